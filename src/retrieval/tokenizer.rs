//! Text to terms: the one place that decides what a "word" is.
//!
//! Chunks and queries go through the same functions, so a query term and a
//! chunk term match exactly when a reader would say they are the same word.

use super::stem::singular;

/// English stop words: too common to say anything about what a text is about.
///
/// Sorted (byte order) so [`is_stop_word`] can binary-search. It includes the
/// fragments that [`tokens`] leaves of contractions: "it's", "don't", "we'll"…
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

/// Longest a key holds, in bytes; no stop word is longer.
const KEY_BYTES: usize = 16;

/// `word`'s first [`KEY_BYTES`] bytes as a big-endian integer, zero-padded:
/// keys order as the words do, so one integer comparison stands in for a
/// string comparison.
const fn key(word: &[u8]) -> u128 {
    let mut key = 0;
    let mut i = 0;
    while i < KEY_BYTES {
        key <<= 8;
        if i < word.len() {
            key |= word[i] as u128;
        }
        i += 1;
    }
    key
}

/// [`STOP_WORDS`] as keys, computed at compile time (sorted, as they are).
const STOP_KEYS: [u128; STOP_WORDS.len()] = {
    let mut keys = [0; STOP_WORDS.len()];
    let mut i = 0;
    while i < keys.len() {
        assert!(STOP_WORDS[i].len() <= KEY_BYTES);
        keys[i] = key(STOP_WORDS[i].as_bytes());
        i += 1;
    }
    keys
};

/// Whether `word` (already lowercase) is in [`STOP_WORDS`].
///
/// ```
/// use rag_phase_sync::retrieval::tokenizer::is_stop_word;
/// assert!(is_stop_word("the"));
/// assert!(!is_stop_word("barrier"));
/// ```
pub fn is_stop_word(word: &str) -> bool {
    // Called for every word of every chunk: a string binary search was a
    // large part of Phase 1's cost; integer keys make it about three times
    // cheaper (measured). The final comparison settles the one ambiguity of
    // zero padding: "a" and "a\0" share a key.
    word.len() <= KEY_BYTES
        && matches!(STOP_KEYS.binary_search(&key(word.as_bytes())), Ok(i) if STOP_WORDS[i] == word)
}

/// Every word of `text`, lowercase, in order.
///
/// A word is a maximal run of alphanumeric characters (Unicode's definition,
/// so accented and non-Latin letters stay inside words); everything else
/// separates words. Splitting happens before lowercasing, so a lowercase
/// mapping that yields a combining mark never splits a word.
///
/// ```
/// use rag_phase_sync::retrieval::tokenizer::tokens;
/// assert_eq!(tokens("Café-au-lait naïve"), ["café", "au", "lait", "naïve"]);
/// assert_eq!(tokens("BM25, k1=1.2"), ["bm25", "k1", "1", "2"]);
/// ```
pub fn tokens(text: &str) -> Vec<String> {
    words(text)
        .map(|word| {
            let mut token = String::with_capacity(word.len());
            push_lowercase(word, &mut token);
            token
        })
        .collect()
}

/// The words of `text` that carry meaning, as BM25 and the answer match
/// them: [`tokens`] without [`STOP_WORDS`], plurals folded to the singular
/// ([`singular`]), so "embeddings" in a question finds "embedding".
///
/// ```
/// use rag_phase_sync::retrieval::tokenizer::terms;
/// assert_eq!(terms("What is a vector store?"), ["vector", "store"]);
/// assert_eq!(terms("Do vector databases store embeddings?"), ["vector", "database", "store", "embedding"]);
/// ```
pub fn terms(text: &str) -> Vec<String> {
    // Lowercase into one reused buffer and allocate only the words kept:
    // stop words are about half of English text.
    let mut buffer = String::new();
    let mut terms = Vec::new();
    for word in words(text) {
        buffer.clear();
        push_lowercase(word, &mut buffer);
        if is_stop_word(&buffer) {
            continue;
        }
        // Checked again after folding: "others" is a stop word's plural.
        let term = singular(&buffer);
        if !is_stop_word(&term) {
            terms.push(term.into_owned());
        }
    }
    terms
}

/// The maximal runs of alphanumeric characters in `text`, as written.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty())
}

/// Appends `word` lowercased (`char::to_lowercase`) to `out`.
fn push_lowercase(word: &str, out: &mut String) {
    if word.is_ascii() {
        // The same result as the general path, without per-char work.
        let start = out.len();
        out.push_str(word);
        out[start..].make_ascii_lowercase();
    } else {
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
}
