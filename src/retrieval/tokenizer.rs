//! Text to terms: the one place that decides what a "word" is.
//!
//! Chunks and queries go through the same functions, so a query term and a
//! chunk term match exactly when a reader would say they are the same word.

pub use super::stop_words::{is_stop_word, STOP_WORDS};

use super::stem::{fold, Fold};

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
    let (mut arena, mut tokens) = (String::new(), Vec::new());
    for_each_token(text, &mut arena, |arena, start| tokens.push(arena[start..].to_string()));
    tokens
}

/// The words of `text` that carry meaning, as BM25 and the answer match
/// them: [`tokens`] without [`STOP_WORDS`], plurals folded to the singular
/// ([`singular`](super::stem::singular)), so "embeddings" in a question
/// finds "embedding".
///
/// ```
/// use rag_phase_sync::retrieval::tokenizer::terms;
/// assert_eq!(terms("What is a vector store?"), ["vector", "store"]);
/// assert_eq!(terms("Do vector databases store embeddings?"), ["vector", "database", "store", "embedding"]);
/// ```
pub fn terms(text: &str) -> Vec<String> {
    let (mut arena, mut terms) = (String::new(), Vec::new());
    push_terms(text, &mut arena, |term| terms.push(term.to_string()));
    terms
}

/// Appends [`terms`]`(text)` to `arena`, back to back, calling `kept` with
/// each as it is appended: Phase 1 keeps all of a chunk's terms in one
/// string, hashing each as it comes, with no allocation per term. Each word
/// is lowercased and folded where it will stay, and cut off again if it
/// turns out to be a stop word.
pub(crate) fn push_terms(text: &str, arena: &mut String, mut kept: impl FnMut(&str)) {
    for_each_token(text, arena, |arena, start| {
        if is_stop_word(&arena[start..]) {
            arena.truncate(start);
            return;
        }
        let Fold { keep, add_y } = fold(&arena[start..]);
        let folded = start + keep < arena.len() || add_y;
        arena.truncate(start + keep);
        if add_y {
            arena.push('y');
        }
        // Checked again if folding changed it: "others" is a stop word's plural.
        if folded && is_stop_word(&arena[start..]) {
            arena.truncate(start);
            return;
        }
        kept(&arena[start..]);
    });
}

/// Appends each of [`tokens`]`(text)` to `arena`, calling `visit` with the
/// arena and where the token starts in it; the next token is appended after
/// whatever `visit` leaves there.
fn for_each_token(text: &str, arena: &mut String, mut visit: impl FnMut(&mut String, usize)) {
    if !text.is_ascii() {
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()) {
            let start = arena.len();
            arena.extend(word.chars().flat_map(char::to_lowercase));
            visit(arena, start);
        }
        return;
    }
    // ASCII text, nearly all of it: the same words, found byte by byte
    // rather than decoded char by char, and lowercased as they are copied,
    // one table lookup a byte (see `ASCII_WORD`).
    let mut start = arena.len();
    for &byte in text.as_bytes() {
        match ASCII_WORD[usize::from(byte)] {
            // A separator ends the word being copied, if there is one.
            0 if arena.len() > start => {
                visit(arena, start);
                start = arena.len();
            }
            0 => {}
            lower => arena.push(char::from(lower)),
        }
    }
    if arena.len() > start {
        visit(arena, start);
    }
}

/// For each ASCII byte: its lowercase if it is part of a word, else 0.
/// For an ASCII character, `char::is_alphanumeric` is
/// `u8::is_ascii_alphanumeric` and `char::to_lowercase` is
/// `u8::to_ascii_lowercase`, so this is [`tokens`]' rule for ASCII text.
const ASCII_WORD: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 128 {
        if (byte as u8).is_ascii_alphanumeric() {
            table[byte] = (byte as u8).to_ascii_lowercase();
        }
        byte += 1;
    }
    table
};
