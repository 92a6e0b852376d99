//! What a run is asked to do, and the accepted range of every value.
//!
//! Each field's limits live in one [`Limit`], so the range check here and the
//! type check at the JS boundary (`src/web.rs`) print the same words.

use std::fmt;

use crate::event::Phase;
use crate::fault::Fault;
use crate::retrieval::chunker::Chunking;
use crate::rng::MAX_SAFE_INTEGER;

/// The seed's query, used when none is given.
pub const DEFAULT_QUERY: &str = "What is retrieval augmented generation?";

/// The accepted range of one numeric option, named as JS spells it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// The option's name in the JS API, e.g. `chunks`.
    pub field: &'static str,
    /// Smallest accepted value.
    pub min: f64,
    /// Largest accepted value.
    pub max: f64,
    /// Whether only whole numbers are accepted.
    pub integer: bool,
    /// Unit printed after the range, e.g. `ms`.
    pub unit: &'static str,
}

/// `chunks`: how many chunks run concurrently.
pub const CHUNKS: Limit = Limit { field: "chunks", min: 1.0, max: 100_000.0, integer: true, unit: "" };
/// `chunkWords`: the most words in one chunk.
pub const CHUNK_WORDS: Limit =
    Limit { field: "chunkWords", min: 1.0, max: 10_000.0, integer: true, unit: "" };
/// `overlapWords`: words repeated from one chunk at the start of the next
/// (the upper bound is checked against `chunkWords`).
pub const OVERLAP_WORDS: Limit =
    Limit { field: "overlapWords", min: 0.0, max: 9_999.0, integer: true, unit: "" };
/// `documents`: the most bytes of text (UTF-8) a run accepts, all documents together.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// `seed`: any JS safe integer, so a seed printed by the page can be typed back in.
pub const SEED: Limit =
    Limit { field: "seed", min: 0.0, max: MAX_SAFE_INTEGER as f64, integer: true, unit: "" };
/// `embedMs`: bounds of the simulated Phase 1 latency.
pub const EMBED_MS: Limit = Limit { field: "embedMs", min: 0.0, max: 60_000.0, integer: false, unit: "ms" };
/// `scoreMs`: the simulated Phase 2 latency.
pub const SCORE_MS: Limit = Limit { field: "scoreMs", min: 0.0, max: 60_000.0, integer: false, unit: "ms" };
/// `storeMs`: how long one simulated vector-store write takes (0: no store step).
pub const STORE_MS: Limit = Limit { field: "storeMs", min: 0.0, max: 1_000.0, integer: false, unit: "ms" };
/// `timeScale`: every simulated latency is multiplied by it (10 = ten times slower).
pub const TIME_SCALE: Limit = Limit { field: "timeScale", min: 0.0, max: 1_000.0, integer: false, unit: "" };
/// `failChunk`: the chunk index that fails in Phase 1 (upper bound checked against `chunks`).
pub const FAIL_CHUNK: Limit = Limit { field: "failChunk", min: 0.0, max: 99_999.0, integer: true, unit: "" };
/// `faults`: the most faults one run may inject (one per chunk and phase).
pub const MAX_FAULTS: usize = 2 * 100_000;
/// `phaseTimeoutMs`: the longest one chunk's phase may take, on the real clock.
pub const PHASE_TIMEOUT_MS: Limit =
    Limit { field: "phaseTimeoutMs", min: 1.0, max: 600_000.0, integer: false, unit: "ms" };
/// `query`: its length in characters.
pub const QUERY_CHARS: Limit =
    Limit { field: "query", min: 1.0, max: 10_000.0, integer: true, unit: "characters" };

/// The barrier a run uses: ours by default, or the deprecated crate's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BarrierKind {
    /// [`PhaseBarrier`](crate::PhaseBarrier): cancel-safe, breakable and shrinkable.
    #[default]
    Phase,
    /// `async-barrier` (see `classic_barrier.rs`): none of those, kept to show why.
    Classic,
}

impl BarrierKind {
    /// Every kind, in the order the JS option lists them.
    pub const ALL: [BarrierKind; 2] = [BarrierKind::Phase, BarrierKind::Classic];

    /// The name the JS option `barrier` takes: `phase` or `classic`.
    pub fn name(self) -> &'static str {
        match self {
            BarrierKind::Phase => "phase",
            BarrierKind::Classic => "classic",
        }
    }

    /// The kind named `name`, if there is one.
    ///
    /// ```
    /// use rag_phase_sync::BarrierKind;
    /// assert_eq!(BarrierKind::from_name("classic"), Some(BarrierKind::Classic));
    /// assert_eq!(BarrierKind::from_name("tokio"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<BarrierKind> {
        BarrierKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for BarrierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a run synchronises its phases: one barrier inside every chunk's
/// future, or the seed's "Alternative Approach", one gather per phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Approach {
    /// One future per chunk runs Phase 1 and Phase 2, meeting the others at
    /// the barrier between them (`rag_pipeline`'s own design).
    #[default]
    Barrier,
    /// `embeddings = await gather(embed…)`, then `scores = await gather(score…)`:
    /// a structured group per phase, each joined before the next is made; the
    /// first failure in time drops the rest, as `try_join_all` does
    /// (`asyncio.gather` raises its first error too, but leaves the rest running).
    Gather,
    /// The same gathers with `return_exceptions=True` (`Promise.allSettled`):
    /// every task runs to its end, a failure is a value in the list, and the
    /// chunks that scored are ranked.
    GatherCollect,
}

impl Approach {
    /// Every approach, in the order the JS option lists them.
    pub const ALL: [Approach; 3] = [Approach::Barrier, Approach::Gather, Approach::GatherCollect];

    /// The name the JS option `approach` takes: `barrier`, `gather` or `gather-collect`.
    pub fn name(self) -> &'static str {
        match self {
            Approach::Barrier => "barrier",
            Approach::Gather => "gather",
            Approach::GatherCollect => "gather-collect",
        }
    }

    /// The approach named `name`, if there is one.
    ///
    /// ```
    /// use rag_phase_sync::Approach;
    /// assert_eq!(Approach::from_name("gather-collect"), Some(Approach::GatherCollect));
    /// assert_eq!(Approach::from_name("allSettled"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Approach> {
        Approach::ALL.into_iter().find(|approach| approach.name() == name)
    }
}

impl fmt::Display for Approach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the group does when a chunk fails (an error or a timeout).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChunkErrorPolicy {
    /// Python's `TaskGroup`: the first failure breaks the barrier, cancels
    /// every other chunk and fails the run.
    #[default]
    FailFast,
    /// The failed chunk leaves the barrier for good (`arrive_and_drop`), the
    /// others finish, and Phase 3 ranks the survivors. Needs `PhaseBarrier`.
    DropOut,
}

impl ChunkErrorPolicy {
    /// Every policy, in the order the JS option lists them.
    pub const ALL: [ChunkErrorPolicy; 2] = [ChunkErrorPolicy::FailFast, ChunkErrorPolicy::DropOut];

    /// The name the JS option `onChunkError` takes: `fail-fast` or `drop-out`.
    pub fn name(self) -> &'static str {
        match self {
            ChunkErrorPolicy::FailFast => "fail-fast",
            ChunkErrorPolicy::DropOut => "drop-out",
        }
    }

    /// The policy named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<ChunkErrorPolicy> {
        ChunkErrorPolicy::ALL.into_iter().find(|policy| policy.name() == name)
    }
}

impl Limit {
    /// The accepted range in words, e.g. `an integer from 1 to 100000`.
    pub fn describe(&self) -> String {
        let kind = if self.integer { "an integer" } else { "a number" };
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        format!("{kind} from {} to {}{unit}", self.min, self.max)
    }

    /// Accepts `value` if it is finite, in range and (where asked) whole.
    pub fn check(&self, value: f64) -> Result<f64, ConfigError> {
        let whole = !self.integer || value.fract() == 0.0;
        if value.is_finite() && whole && (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(self.error(number_text(value)))
        }
    }

    /// The error for a value outside the range; `got` is how the value reads.
    pub fn error(&self, got: impl Into<String>) -> ConfigError {
        ConfigError::new(self.field, format!("must be {}", self.describe()), got)
    }
}

/// A number as JS prints it where Rust would differ: `NaN`, `Infinity`, `-Infinity`.
pub fn number_text(value: f64) -> String {
    match value {
        f64::INFINITY => "Infinity".into(),
        f64::NEG_INFINITY => "-Infinity".into(),
        _ => format!("{value}"),
    }
}

/// An option outside its accepted range: names the field, the range and what was given.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The option's name in the JS API.
    pub field: &'static str,
    /// What is accepted, e.g. `must be an integer from 1 to 100000`.
    pub expected: String,
    /// What was given, as it reads.
    pub got: String,
}

impl ConfigError {
    /// An error for `field`, saying what it `expected` and what it `got`.
    pub fn new(field: &'static str, expected: impl Into<String>, got: impl Into<String>) -> Self {
        ConfigError { field, expected: expected.into(), got: got.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} (got {})", self.field, self.expected, self.got)
    }
}

impl std::error::Error for ConfigError {}

/// Everything a run needs; `RunConfig::default()` asks the seed's question
/// of the bundled demo corpus.
///
/// ```
/// use rag_phase_sync::RunConfig;
/// let config = RunConfig { chunks: Some(8), seed: Some(7), ..RunConfig::default() };
/// assert!(config.validate().is_ok());
/// assert!(RunConfig { chunks: Some(0), ..config }.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The text to search: `None` is the bundled demo corpus
    /// ([`DEMO_CORPUS`](crate::retrieval::corpus::DEMO_CORPUS)).
    pub documents: Option<Vec<String>>,
    /// How the documents are cut into chunks.
    pub chunking: Chunking,
    /// How many chunks run concurrently (`chunk-0` … `chunk-{n-1}`): `None`
    /// runs every chunk of the documents once; `Some(n)` runs the first `n`,
    /// going round the documents' chunks again if `n` is larger (to try a
    /// barrier of up to 100,000 parties on a small corpus).
    pub chunks: Option<usize>,
    /// The question the chunks are scored against.
    pub query: String,
    /// Seeds every simulated latency; `None` draws one with getrandom.
    pub seed: Option<u64>,
    /// Phase 1 latency is drawn uniformly from `[min, max]` ms.
    pub embed_ms: (f64, f64),
    /// Phase 2 latency in ms.
    pub score_ms: f64,
    /// Multiplies every simulated latency: 10 makes the run ten times slower to watch.
    pub time_scale: f64,
    /// Chunks that fail or hang on purpose, to show what the group does.
    pub faults: Vec<Fault>,
    /// What the group does when a chunk fails.
    pub on_chunk_error: ChunkErrorPolicy,
    /// The longest one chunk's phase (or the query's `embed` call) may take,
    /// in real milliseconds (not scaled by `time_scale`): past it the phase
    /// fails as timed out. `None` waits forever.
    pub phase_timeout_ms: Option<f64>,
    /// Which barrier synchronises the chunks: `PhaseBarrier` unless asked otherwise.
    pub barrier: BarrierKind,
    /// Barrier, or one gather per phase. The gathers ignore `barrier` and
    /// `on_chunk_error` (their error handling is the approach itself).
    pub approach: Approach,
    /// How long one write of a chunk's vector to the simulated vector store
    /// takes, in ms before `time_scale`; 0 (the default) skips the store step.
    /// See [`STORE_SLOTS`](crate::STORE_SLOTS).
    pub store_ms: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            documents: None,
            chunking: Chunking::DEFAULT,
            chunks: None,
            query: DEFAULT_QUERY.to_string(),
            seed: None,
            embed_ms: (100.0, 300.0),
            score_ms: 50.0,
            time_scale: 1.0,
            faults: Vec::new(),
            on_chunk_error: ChunkErrorPolicy::FailFast,
            phase_timeout_ms: None,
            barrier: BarrierKind::Phase,
            approach: Approach::Barrier,
            store_ms: 0.0,
        }
    }
}

impl RunConfig {
    /// Checks every value against its [`Limit`], naming the first one that
    /// is off. Limits that depend on the chunks themselves (how many the
    /// documents make, which chunks `faults` name) are checked by
    /// [`Chunks::new`](crate::chunks::Chunks::new).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(chunks) = self.chunks {
            CHUNKS.check(chunks as f64)?;
        }
        if let Some(documents) = &self.documents {
            validate_documents(documents)?;
        }
        CHUNK_WORDS.check(self.chunking.max_words as f64)?;
        if self.chunking.overlap_words >= self.chunking.max_words {
            let expected =
                format!("must be an integer from 0 to {} (below chunkWords)", self.chunking.max_words - 1);
            return Err(ConfigError::new(
                OVERLAP_WORDS.field,
                expected,
                self.chunking.overlap_words.to_string(),
            ));
        }
        let chars = self.query.chars().count();
        if self.query.trim().is_empty() || chars as f64 > QUERY_CHARS.max {
            return Err(ConfigError::new(
                QUERY_CHARS.field,
                format!("must be a non-blank string of at most {} characters", QUERY_CHARS.max),
                format!("{chars} characters"),
            ));
        }
        if let Some(seed) = self.seed {
            if seed > MAX_SAFE_INTEGER {
                return Err(SEED.error(seed.to_string()));
            }
        }
        let (min, max) = self.embed_ms;
        EMBED_MS.check(min)?;
        EMBED_MS.check(max)?;
        if min > max {
            return Err(ConfigError::new(
                EMBED_MS.field,
                format!("must be [min, max] with min <= max, each {}", EMBED_MS.describe()),
                format!("[{min}, {max}]"),
            ));
        }
        SCORE_MS.check(self.score_ms)?;
        TIME_SCALE.check(self.time_scale)?;
        STORE_MS.check(self.store_ms)?;
        if let Some(timeout) = self.phase_timeout_ms {
            PHASE_TIMEOUT_MS.check(timeout)?;
        }
        if self.faults.len() > MAX_FAULTS {
            let expected = format!("must be an array of at most {MAX_FAULTS} faults");
            return Err(ConfigError::new("faults", expected, format!("{} faults", self.faults.len())));
        }
        if let Some(fault) = self.faults.iter().find(|fault| fault.phase == Phase::Answer) {
            let expected = r#"must each name phase "embed" or "score" (Phase 3 runs once, not per chunk)"#;
            return Err(ConfigError::new("faults", expected, fault.to_string()));
        }
        if self.on_chunk_error == ChunkErrorPolicy::DropOut && self.barrier == BarrierKind::Classic {
            let expected = r#"cannot be "drop-out" with barrier "classic": async-barrier cannot lower its parties, so a dropped chunk would strand the others; use barrier "phase""#;
            return Err(ConfigError::new("onChunkError", expected, r#""drop-out""#));
        }
        Ok(())
    }
}

/// `documents` must be 1 to 100,000 strings, each with some text, 10 MB in all.
fn validate_documents(documents: &[String]) -> Result<(), ConfigError> {
    const FIELD: &str = "documents";
    if documents.is_empty() || documents.len() > CHUNKS.max as usize {
        let expected = format!("must be an array of 1 to {} strings", CHUNKS.max);
        return Err(ConfigError::new(FIELD, expected, format!("{} strings", documents.len())));
    }
    if let Some(blank) = documents.iter().position(|document| document.trim().is_empty()) {
        let got = format!("documents[{blank}] is blank");
        return Err(ConfigError::new(FIELD, "must each contain some text", got));
    }
    let bytes: usize = documents.iter().map(String::len).sum();
    if bytes > MAX_DOCUMENT_BYTES {
        let expected = format!("must hold at most {} MB of text in all", MAX_DOCUMENT_BYTES >> 20);
        return Err(ConfigError::new(FIELD, expected, format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)));
    }
    Ok(())
}
