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
    if term.chars().count() <= 3 {
        return Cow::Borrowed(term);
    }
    if let Some(stem) = term.strip_suffix("ies") {
        if !stem.ends_with(['e', 'a']) {
            return Cow::Owned(format!("{stem}y"));
        }
        return Cow::Borrowed(term);
    }
    if let Some(stem) = term.strip_suffix("es") {
        if !stem.ends_with(['a', 'e', 'o']) {
            return Cow::Borrowed(&term[..term.len() - 1]);
        }
        return Cow::Borrowed(term);
    }
    match term.strip_suffix('s') {
        Some(stem) if !stem.ends_with(['u', 's']) => Cow::Borrowed(stem),
        _ => Cow::Borrowed(term),
    }
}
