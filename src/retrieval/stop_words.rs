//! Stop words, and telling them apart fast.
//!
//! The tokenizer asks, for every word of every chunk, whether it is a stop
//! word: 100,000 chunks of 14 words make 1.4 million questions. A binary
//! search of the sorted list costs eight comparisons each; here the list is
//! also a small hash table, built at compile time, that answers with one
//! multiply and, nearly always, one integer comparison.

/// English stop words: too common to say anything about what a text is about.
///
/// Sorted (byte order) for the reader; [`is_stop_word`] looks words up in a
/// hash table built from it at compile time. It includes the fragments that
/// [`tokens`](super::tokenizer::tokens) leaves of contractions: "it's",
/// "don't", "we'll"…
#[rustfmt::skip] // a word list reads best packed; one word per line would be 140 lines
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
    "d", "did", "do", "does", "doing", "don", "down", "during", "each", "few", "for", "from", "further",
    "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "ll", "m", "me", "might", "more", "most",
    "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other",
    "our", "ours", "ourselves", "out", "over", "own", "re", "s", "same", "shall", "she", "should", "so",
    "some", "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "ve", "very", "was",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
    "you", "your", "yours", "yourself", "yourselves",
];

/// Longest stop word, in bytes: anything longer is not one.
const LONGEST: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < STOP_WORDS.len() {
        if STOP_WORDS[i].len() > longest {
            longest = STOP_WORDS[i].len();
        }
        i += 1;
    }
    longest
};

/// Slots in [`STOP_TABLE`]: a power of two, over three times the words, so
/// a lookup almost always settles at its first slot.
const SLOTS: usize = 512;

/// A word of at most 15 bytes as one integer: its bytes little-endian,
/// its length in the top byte. Distinct words get distinct keys (the
/// length tells "a" from "a\0"), and no key is 0, which marks an empty slot.
const fn key(word: &[u8]) -> u128 {
    // Last byte first, each shifted in by a constant 8 bits: a shift by a
    // variable amount of a 128-bit integer costs many instructions.
    let mut key = 0;
    let mut i = word.len();
    while i > 0 {
        i -= 1;
        key = key << 8 | word[i] as u128;
    }
    key | (word.len() as u128) << 120
}

/// [`key`] at run time, for a word of at most 15 bytes: one copy into a
/// zeroed array rather than a loop over the bytes. (`key` builds the table
/// at compile time, and a `const fn` cannot copy slices on our minimum Rust.)
fn key_of(word: &[u8]) -> u128 {
    let mut bytes = [0; 16];
    bytes[..word.len()].copy_from_slice(word);
    bytes[15] = word.len() as u8;
    u128::from_le_bytes(bytes)
}

/// Where `key` starts probing: its two halves folded, then a Fibonacci
/// multiply, whose top bits depend on every bit of the key.
const fn home(key: u128) -> usize {
    let folded = (key as u64) ^ ((key >> 64) as u64);
    (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

/// [`STOP_WORDS`] as an open-addressing hash set of keys (linear probing),
/// built at compile time.
const STOP_TABLE: [u128; SLOTS] = {
    assert!(LONGEST < 16, "a key holds at most 15 bytes");
    let mut table = [0; SLOTS];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        let key = key(STOP_WORDS[i].as_bytes());
        let mut slot = home(key);
        while table[slot] != 0 {
            slot = (slot + 1) % SLOTS;
        }
        table[slot] = key;
        i += 1;
    }
    table
};

/// Whether `word` (already lowercase) is in [`STOP_WORDS`].
///
/// ```
/// use rag_phase_sync::retrieval::tokenizer::is_stop_word;
/// assert!(is_stop_word("the"));
/// assert!(!is_stop_word("barrier"));
/// ```
pub fn is_stop_word(word: &str) -> bool {
    if word.len() > LONGEST {
        return false;
    }
    let key = key_of(word.as_bytes());
    let mut slot = home(key);
    loop {
        match STOP_TABLE[slot] {
            0 => return false,
            found if found == key => return true,
            _ => slot = (slot + 1) % SLOTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_word_table_agrees_with_the_list() {
        for word in STOP_WORDS {
            assert!(is_stop_word(word), "{word}");
            // Near misses: a letter more, a letter less, a NUL padding.
            for near in [format!("{word}x"), format!("x{word}"), format!("{word}\0"), word[1..].to_string()] {
                assert_eq!(is_stop_word(&near), STOP_WORDS.contains(&near.as_str()), "{near:?}");
            }
        }
        for word in ["", "barrier", "yourselvesx", "ourselves", "café", "\0", "aaaaaaaaaaaaaaaaaaaa"] {
            assert_eq!(is_stop_word(word), STOP_WORDS.contains(&word), "{word:?}");
        }
        for word in ["", "a", "the", "yourselves", "fifteen letters", "café"] {
            assert_eq!(key_of(word.as_bytes()), key(word.as_bytes()), "{word:?}");
        }
    }
}
