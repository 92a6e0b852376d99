//! Plural folding: "embeddings" finds "embedding", "queries" finds "query".
//!
//! Harman's S-stemmer (1991), the mildest stemmer in the IR literature: it
//! only strips English plural endings, so a folded term is still a word a
//! reader recognises on the page. Lexical retrieval without it misses the
//! obvious: "What are semaphores for?" shared no term with the passage
//! about "a semaphore" (measured on the demo corpus).

use std::borrow::Cow;

/// The singular of `term` (already lowercase) by Harman's three rules, the
/// first that applies winning:
///
/// 1. `-ies` → `-y`, except `-eies`, `-aies`;
/// 2. `-es` → `-e`, except `-aes`, `-ees`, `-oes`;
/// 3. `-s` → ``, except `-us`, `-ss`.
///
/// Terms of three letters or fewer are left alone ("gas", "ids"): too short
/// to tell a plural from a word that ends in s.
///
/// ```
/// use rag_phase_sync::retrieval::stem::singular;
/// assert_eq!(singular("queries"), "query");
/// assert_eq!(singular("databases"), "database");
/// assert_eq!(singular("embeddings"), "embedding");
/// assert_eq!(singular("corpus"), "corpus");
/// assert_eq!(singular("process"), "process");
/// ```
pub fn singular(term: &str) -> Cow<'_, str> {
    match fold(term) {
        Fold { keep, add_y: false } => Cow::Borrowed(&term[..keep]),
        Fold { keep, add_y: true } => Cow::Owned(format!("{}y", &term[..keep])),
    }
}

/// How [`singular`] changes a term: keep its first `keep` bytes, then
/// append `y` if `add_y`. Said as an edit, not a new string, so the
/// tokenizer can fold a word in the buffer it lowercased it into, without
/// allocating (see [`push_terms`](super::tokenizer::push_terms)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fold {
    pub keep: usize,
    pub add_y: bool,
}

/// The edit that makes `term` singular; the rules are on [`singular`].
pub(crate) fn fold(term: &str) -> Fold {
    let unchanged = Fold { keep: term.len(), add_y: false };
    // Every rule needs a final `s`, which most terms lack: that settles them
    // before counting characters. Three characters or fewer: `nth(3)` stops
    // after four characters, where `chars().count()` would walk them all.
    if !term.ends_with('s') || term.chars().nth(3).is_none() {
        return unchanged;
    }
    if let Some(stem) = term.strip_suffix("ies") {
        if !stem.ends_with(['e', 'a']) {
            return Fold { keep: stem.len(), add_y: true };
        }
        return unchanged;
    }
    if let Some(stem) = term.strip_suffix("es") {
        if !stem.ends_with(['a', 'e', 'o']) {
            return Fold { keep: term.len() - 1, add_y: false };
        }
        return unchanged;
    }
    match term.strip_suffix('s') {
        Some(stem) if !stem.ends_with(['u', 's']) => Fold { keep: stem.len(), add_y: false },
        _ => unchanged,
    }
}
