//! A small seeded PRNG (SplitMix64), split into one stream per chunk.
//!
//! Every chunk draws from its own stream, so what a chunk draws never depends
//! on the order the event loop happens to poll chunks in: the same seed gives
//! the same latencies and scores in Chromium and in native tests.

/// The largest integer a JS number holds exactly (2^53 - 1): every seed
/// fits in it, so the page can show a seed and a person can type it back.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A SplitMix64 generator: tiny, fast, and good enough for simulated latencies.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for stream `stream` of `seed`.
    ///
    /// ```
    /// use rag_phase_sync::Rng;
    /// let a = Rng::stream(42, 0).next_f64();
    /// assert_eq!(a, Rng::stream(42, 0).next_f64());
    /// assert_ne!(a, Rng::stream(42, 1).next_f64());
    /// ```
    pub fn stream(seed: u64, stream: u64) -> Rng {
        let mut mixer = Rng { state: stream };
        Rng { state: seed ^ mixer.next_u64() }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[low, high]` (returns `low` when they are equal).
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next_f64()
    }
}

/// A fresh seed from the platform's entropy (getrandom), within JS's safe
/// integers so the page can show it and a person can replay the run.
pub fn random_seed() -> u64 {
    // If the platform has no entropy source, fall back to a fixed seed rather
    // than fail the run: the seed is reported either way.
    getrandom::u64().unwrap_or(0x5EED) & MAX_SAFE_INTEGER
}
