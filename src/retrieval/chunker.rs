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
    let unbounded = Budget { chunks: usize::MAX, words: usize::MAX };
    match chunk_documents_within(documents, chunking, unbounded) {
        Ok(chunks) | Err(Exceeded { chunks, .. }) => chunks,
    }
}

/// The most chunks, and the most words in all chunks together, that
/// [`chunk_documents_within`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Chunks built at most.
    pub chunks: usize,
    /// Words in all chunks together at most (overlap words count each time).
    pub words: usize,
}

/// Chunking stopped at a [`Budget`]: the chunks built so far, and which limit ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// Every chunk built before the limit.
    pub chunks: Vec<String>,
    /// True if the word budget ran out, false if the chunk budget did.
    pub words: bool,
}

/// [`chunk_documents`], stopping as soon as `budget` is spent: with an
/// overlap close to the chunk size, every word starts a chunk of
/// `max_words` words, and 300 KB of text would otherwise build 50,000
/// chunks of 10,000 words (4 GB) before anyone could count them.
///
/// ```
/// use rag_phase_sync::retrieval::chunker::{chunk_documents_within, Budget, Chunking};
/// let chunking = Chunking { max_words: 4, overlap_words: 3 };
/// let text = "one two three four five six seven eight";
/// let stopped = chunk_documents_within(&[text], &chunking, Budget { chunks: 100, words: 10 }).unwrap_err();
/// assert_eq!((stopped.chunks.len(), stopped.words), (2, true));
/// assert_eq!(chunk_documents_within(&[text], &chunking, Budget { chunks: 100, words: 100 }).unwrap().len(), 5);
/// ```
pub fn chunk_documents_within<S: AsRef<str>>(
    documents: &[S],
    chunking: &Chunking,
    budget: Budget,
) -> Result<Vec<String>, Exceeded> {
    debug_assert!(chunking.max_words >= 1, "max_words must be at least 1");
    debug_assert!(chunking.overlap_words < chunking.max_words, "overlap_words must be below max_words");
    let max_words = chunking.max_words.max(1);
    let overlap = chunking.overlap_words.min(max_words - 1);
    let mut chunks = Chunked { chunks: Vec::new(), words: 0, budget };
    for document in documents {
        for paragraph in paragraphs(document.as_ref()) {
            if let Err(words) = chunk_paragraph(&paragraph, max_words, overlap, &mut chunks) {
                return Err(Exceeded { chunks: chunks.chunks, words });
            }
        }
    }
    Ok(chunks.chunks)
}

/// Chunks built so far, and what they may still grow to.
struct Chunked {
    chunks: Vec<String>,
    words: usize,
    budget: Budget,
}

impl Chunked {
    /// Adds a chunk of `words`; `Err(true)` if that would pass the word
    /// budget, `Err(false)` if the chunk budget is already spent.
    fn push(&mut self, words: &[&str]) -> Result<(), bool> {
        if self.chunks.len() >= self.budget.chunks {
            return Err(false);
        }
        if self.words + words.len() > self.budget.words {
            return Err(true);
        }
        self.words += words.len();
        self.chunks.push(words.join(" "));
        Ok(())
    }
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

/// Packs one paragraph's sentences into chunks, appending them to `chunks`
/// until its budget runs out (see [`Chunked::push`]).
fn chunk_paragraph(
    paragraph: &str,
    max_words: usize,
    overlap: usize,
    chunks: &mut Chunked,
) -> Result<(), bool> {
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
            emit(&mut current, overlap, chunks)?;
            fresh = 0;
        }
    }
    if fresh > 0 {
        chunks.push(&current)?;
    }
    Ok(())
}

/// Pushes `current` as a chunk and keeps its last `overlap` words to start
/// the next one.
fn emit(current: &mut Vec<&str>, overlap: usize, chunks: &mut Chunked) -> Result<(), bool> {
    chunks.push(current)?;
    let keep = overlap.min(current.len());
    current.drain(..current.len() - keep);
    Ok(())
}
