//! A fixed, fast hash for the vocabulary's table, in the style of the Fx
//! hash rustc uses for its own tables.
//!
//! std's default, SipHash with a random key, is built to resist an attacker
//! choosing keys that collide; it costs a few dozen instructions per short
//! word, and Phase 1 hashes every distinct term of every chunk, Phase 2
//! every query term per chunk, twice. Here the keys are the words of the
//! documents the user passed in their own tab: the only one who could flood
//! the table is the user, against themselves. Fx takes one multiply per
//! eight bytes. It is also deterministic (no per-process key), though
//! nothing relies on that: the table is looked up, never iterated.

/// Odd, with its bits well spread (rustc-hash's constant): multiplying by it
/// carries every input bit into the high bits of the product.
const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Fx over `bytes`: per eight-byte little-endian word, `hash = (hash + word) · K`.
pub(crate) fn fx_hash(bytes: &[u8]) -> u64 {
    let add = |hash: u64, word: u64| hash.wrapping_add(word).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    let mut hash = (&mut words)
        .fold(0, |hash, word| add(hash, u64::from_le_bytes(word.try_into().expect("eight bytes"))));
    // The last 0 to 7 bytes as one word, with the length on top so that
    // "a" and "a\0" differ.
    let tail = words.remainder().iter().rev().fold(0, |word, &byte| word << 8 | u64::from(byte));
    hash = add(hash, tail | (bytes.len() as u64) << 56);
    // A product's low bits depend only on the input's low bits, and the
    // table picks slots by low bits: rotating brings the well-mixed high
    // bits down (as rustc-hash 2 does).
    hash.rotate_left(26)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_hash_equal_and_neighbours_differ() {
        assert_eq!(fx_hash(b"barrier"), fx_hash(b"barrier"));
        let words: [&[u8]; 9] = [
            b"",
            b"a",
            b"a\0",
            b"b",
            b"ab",
            b"ba",
            b"barrier",
            b"barriers",
            b"retrieval-augmented generation",
        ];
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                assert_ne!(fx_hash(a), fx_hash(b), "{a:?} {b:?}");
            }
        }
    }
}
