//! Documents to chunks: whole sentences packed into bounded, paragraph-local
//! pieces.
//!
//! A chunk is what Phase 1 embeds and Phase 2 scores, so it should be about
//! one thing: it never spans two paragraphs (or two documents), and it breaks
//! a sentence only when that sentence alone is longer than a chunk.

use super::sentence::sentences;

/// How documents are cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// Most words in one chunk (words are whitespace-separated). At least 1.
    pub max_words: usize,
    /// Words repeated from the end of the previous chunk of the same
    /// paragraph at the start of the next one, so a fact that straddles a
    /// boundary is whole in at least one chunk. Less than `max_words`.
    pub overlap_words: usize,
}

impl Chunking {
    /// 100-word chunks without overlap: each passage of the demo corpus is
    /// exactly one chunk.
    pub const DEFAULT: Chunking = Chunking { max_words: 100, overlap_words: 0 };
}

impl Default for Chunking {
    fn default() -> Self {
        Chunking::DEFAULT
    }
}

/// Cuts `documents` into chunks; chunk `i` (its index here) is `chunk-i`.
///
/// Paragraphs are separated by blank (or whitespace-only) lines. Sentences
/// (see [`sentences`]) are packed greedily, in order, into chunks of at most
/// `max_words` words; a sentence that does not fit in a chunk holding only
/// the overlap is split by words. Words inside a chunk are joined by single
/// spaces. Whitespace-only input yields no chunks, and no chunk is empty.
///
/// Expects `max_words >= 1` and `overlap_words < max_words` (callers validate
/// user input first); in release builds other values are clamped into that
/// range, so this always terminates.
///
/// ```
/// use rag_phase_sync::retrieval::chunker::{chunk_documents, Chunking};
/// let chunking = Chunking { max_words: 6, overlap_words: 0 };
/// let chunks = chunk_documents(&["One two three. Four five six seven.\n\nNew paragraph."], &chunking);
/// assert_eq!(chunks, ["One two three.", "Four five six seven.", "New paragraph."]);
/// ```
pub fn chunk_documents<S: AsRef<str>>(documents: &[S], chunking: &Chunking) -> Vec<String> {
    debug_assert!(chunking.max_words >= 1, "max_words must be at least 1");
    debug_assert!(chunking.overlap_words < chunking.max_words, "overlap_words must be below max_words");
    let max_words = chunking.max_words.max(1);
    let overlap = chunking.overlap_words.min(max_words - 1);
    let mut chunks = Vec::new();
    for document in documents {
        for paragraph in paragraphs(document.as_ref()) {
            chunk_paragraph(&paragraph, max_words, overlap, &mut chunks);
        }
    }
    chunks
}

/// The paragraphs of `document`: runs of lines that are not blank, each
/// joined back with newlines.
fn paragraphs(document: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in document.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join("\n"));
    }
    paragraphs
}

/// Packs one paragraph's sentences into chunks, appending them to `chunks`.
fn chunk_paragraph(paragraph: &str, max_words: usize, overlap: usize, chunks: &mut Vec<String>) {
    // Invariant: `current` holds `fresh` new words after at most `overlap`
    // words carried over, so when `fresh == 0` there is room for at least
    // one word (overlap < max_words). Every pass of the loop below either
    // consumes a word or emits a chunk with fresh words and resets `fresh`,
    // so the loop always makes progress.
    let mut current: Vec<&str> = Vec::new();
    let mut fresh = 0;
    for sentence in sentences(paragraph) {
        let words: Vec<&str> = sentence.split_whitespace().collect();
        let mut rest = words.as_slice();
        while !rest.is_empty() {
            let room = max_words - current.len();
            if rest.len() <= room {
                current.extend_from_slice(rest);
                fresh += rest.len();
                break;
            }
            if fresh == 0 {
                // Too long even for a chunk holding only the overlap: split it.
                // The chunk is then full and is emitted right below.
                let (head, tail) = rest.split_at(room);
                current.extend_from_slice(head);
                rest = tail;
            }
            emit(&mut current, overlap, chunks);
            fresh = 0;
        }
    }
    if fresh > 0 {
        chunks.push(current.join(" "));
    }
}

/// Pushes `current` as a chunk and keeps its last `overlap` words to start
/// the next one.
fn emit(current: &mut Vec<&str>, overlap: usize, chunks: &mut Vec<String>) {
    chunks.push(current.join(" "));
    let keep = overlap.min(current.len());
    current.drain(..current.len() - keep);
}
