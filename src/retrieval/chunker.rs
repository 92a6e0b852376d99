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
    // Every document makes at least one chunk (one with text does), so
    // that many are reserved up front rather than grown into.
    let reserve = documents.len().min(budget.chunks);
    let mut chunks = Chunked { chunks: Vec::with_capacity(reserve), words: 0, budget };
    // Reused by every paragraph: a run of 100,000 one-chunk documents
    // allocates only the chunks themselves.
    let (mut words, mut current) = (Vec::new(), Vec::new());
    for document in documents {
        for paragraph in paragraphs(document.as_ref()) {
            let fitted =
                chunk_paragraph(paragraph, max_words, overlap, &mut chunks, &mut words, &mut current);
            if let Err(words) = fitted {
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
        self.push_text(words.len(), || words.join(" "))
    }

    /// Adds the chunk `text` makes, of `words` words, as [`push`](Chunked::push) does.
    fn push_text(&mut self, words: usize, text: impl FnOnce() -> String) -> Result<(), bool> {
        if self.chunks.len() >= self.budget.chunks {
            return Err(false);
        }
        if self.words + words > self.budget.words {
            return Err(true);
        }
        self.words += words;
        self.chunks.push(text());
        Ok(())
    }
}

/// The paragraphs of `document`: runs of lines that are not blank (as
/// `str::lines` cuts lines), each a slice of `document` from its first
/// line's start to its last line's end.
///
/// Inside a paragraph a line break stays as written (`\n` or `\r\n`):
/// both are whitespace, and a chunk is the paragraph's whitespace-separated
/// words joined by single spaces, so which one it was never shows.
fn paragraphs(document: &str) -> impl Iterator<Item = &str> {
    // Most documents are a single line: a single paragraph unless blank.
    // (`memchr` finds that out faster than cutting lines one by one.)
    let single = !document.contains('\n');
    let mut whole = (single && !document.trim().is_empty()).then_some(document);
    // Each line with the offset it starts at; `lines` gives no offsets.
    let mut lines = document
        .split_inclusive('\n')
        .scan(0, |offset, piece| {
            let start = *offset;
            *offset += piece.len();
            // What `str::lines` strips: the `\n`, then a `\r` before it.
            let line = piece.strip_suffix('\n').map_or(piece, |line| line.strip_suffix('\r').unwrap_or(line));
            Some((start, line))
        })
        .peekable();
    let filled = |(_, line): &(usize, &str)| !line.trim().is_empty();
    std::iter::from_fn(move || {
        if single {
            return whole.take();
        }
        let (start, first) = lines.by_ref().find(filled)?;
        let mut end = start + first.len();
        while let Some((at, line)) = lines.next_if(filled) {
            end = at + line.len();
        }
        Some(&document[start..end])
    })
}

/// Packs one paragraph's sentences into chunks, appending them to `chunks`
/// until its budget runs out (see [`Chunked::push`]). `words` and `current`
/// are scratch space, reused from one paragraph to the next.
fn chunk_paragraph<'a>(
    paragraph: &'a str,
    max_words: usize,
    overlap: usize,
    chunks: &mut Chunked,
    words: &mut Vec<&'a str>,
    current: &mut Vec<&'a str>,
) -> Result<(), bool> {
    // Most paragraphs fit in one chunk (every demo passage does). Sentences
    // never split a word, so the words of all the sentences are the
    // paragraph's words; packing them all into one chunk is then exactly
    // what the sentence loop below would do, without finding the sentences.
    // Most are also one line, one space between words: their words joined
    // by spaces are the paragraph itself, so it is copied as it is.
    if let Some(count) = single_spaced_words(paragraph).filter(|&count| count <= max_words) {
        return chunks.push_text(count, || paragraph.to_string());
    }
    words.clear();
    words.extend(split_words(paragraph).take(max_words + 1));
    if words.len() <= max_words {
        return chunks.push(words);
    }
    // Invariant: `current` holds `fresh` new words after at most `overlap`
    // words carried over, so when `fresh == 0` there is room for at least
    // one word (overlap < max_words). Every pass of the loop below either
    // consumes a word or emits a chunk with fresh words and resets `fresh`,
    // so the loop always makes progress.
    current.clear();
    let mut fresh = 0;
    for sentence in sentences(paragraph) {
        words.clear();
        words.extend(split_words(sentence));
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
            emit(current, overlap, chunks)?;
            fresh = 0;
        }
    }
    if fresh > 0 {
        chunks.push(current)?;
    }
    Ok(())
}

/// How many words `text` has, if it is ASCII words separated by single
/// spaces, with no other whitespace: exactly when
/// `text.split_whitespace().collect::<Vec<_>>().join(" ") == text`.
fn single_spaced_words(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes[0] == b' ' || bytes[bytes.len() - 1] == b' ' {
        return None;
    }
    let (mut spaces, mut after_space) = (0, false);
    for &byte in bytes {
        // Non-ASCII may be whitespace too (U+00A0, U+3000…): not this path.
        if !byte.is_ascii() || matches!(byte, b'\t'..=b'\r') || (after_space && byte == b' ') {
            return None;
        }
        after_space = byte == b' ';
        spaces += usize::from(after_space);
    }
    Some(spaces + 1)
}

/// `text.split_whitespace()`, byte by byte when `text` is ASCII (nearly
/// always): the same words, without decoding characters.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    // `char::is_whitespace` on ASCII: tab, line feed, vertical tab, form
    // feed, carriage return and space (`u8::is_ascii_whitespace` leaves out
    // the vertical tab).
    let space = |byte: u8| matches!(byte, b'\t'..=b'\r' | b' ');
    let ascii = text.is_ascii();
    let bytes = text.as_bytes();
    let mut end = 0;
    let mut unicode = text.split_whitespace();
    std::iter::from_fn(move || {
        if !ascii {
            return unicode.next();
        }
        while end < bytes.len() && space(bytes[end]) {
            end += 1;
        }
        let start = end;
        while end < bytes.len() && !space(bytes[end]) {
            end += 1;
        }
        (start < end).then(|| &text[start..end])
    })
}

/// Pushes `current` as a chunk and keeps its last `overlap` words to start
/// the next one.
fn emit(current: &mut Vec<&str>, overlap: usize, chunks: &mut Chunked) -> Result<(), bool> {
    chunks.push(current)?;
    let keep = overlap.min(current.len());
    current.drain(..current.len() - keep);
    Ok(())
}
