//! Phase 3's answer: quoted sentences from the top chunks, each cited.
//!
//! Extractive on purpose: every word of the answer is in a cited chunk, so a
//! reader can check it, and there is no model to hallucinate.

use crate::event::chunk_id;

use super::index::Query;
use super::sentence::sentences;
use super::tokenizer::terms;

/// Most sentences quoted in one answer.
pub const MAX_SENTENCES: usize = 3;

/// The answer when no chunk matched the question.
pub const NO_MATCH: &str = "Nothing in the documents matched the question.";

/// A top chunk as Phase 3 sees it: its index, text and score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cited<'a> {
    /// The chunk's index, cited as `chunk-N`.
    pub chunk: usize,
    /// The chunk's text.
    pub text: &'a str,
    /// The chunk's score from Phase 2.
    pub score: f64,
}

/// One quoted sentence of the answer and the chunk it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote<'a> {
    /// The sentence, exactly as the chunk has it.
    pub sentence: &'a str,
    /// The chunk it is quoted from, cited as `chunk-N`.
    pub chunk: usize,
}

/// Answers `query` by quoting the sentences of `top` that contain its terms.
///
/// Sentences are ranked by how many distinct query terms they contain (ties:
/// the chunk's position in `top`, then the sentence's position in it); at
/// most [`MAX_SENTENCES`] are quoted. A sentence sharing fewer than half as
/// many terms as the best one is left out: one incidental word (a barrier's
/// "generation") does not answer a question about retrieval-augmented
/// generation.
///
/// If no sentence shares a term but a chunk still has a positive score (a
/// custom embedding matched on meaning), the best chunk's first sentence is
/// quoted. If nothing matched, or the question has no terms at all, there is
/// no quote.
///
/// The quotes are data, not text with citations in it, so that a document
/// that itself contains "[chunk-7]" can never pass for a citation.
pub fn answer_quotes<'a>(query: &Query, top: &[Cited<'a>]) -> Vec<Quote<'a>> {
    // A chunk with no positive (finite) score did not match; quote nothing of it.
    let matched: Vec<&Cited> = top.iter().filter(|cited| cited.score > 0.0).collect();
    if query.terms().is_empty() || matched.is_empty() {
        return Vec::new();
    }
    // (distinct query terms, rank of chunk, position in chunk, sentence, chunk)
    let mut ranked: Vec<(usize, usize, usize, &str, usize)> = Vec::new();
    for (rank, cited) in matched.iter().enumerate() {
        for (position, sentence) in sentences(cited.text).into_iter().enumerate() {
            let words = terms(sentence);
            let shared = query.terms().iter().filter(|term| words.contains(term)).count();
            if shared > 0 {
                ranked.push((shared, rank, position, sentence, cited.chunk));
            }
        }
    }
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let best = ranked.first().map_or(0, |quote| quote.0);
    let quotes: Vec<Quote> = ranked
        .iter()
        .take_while(|quote| quote.0 * 2 >= best)
        .take(MAX_SENTENCES)
        .map(|&(_, _, _, sentence, chunk)| Quote { sentence, chunk })
        .collect();
    if !quotes.is_empty() {
        return quotes;
    }
    // No shared words, yet a positive score: the vector matched on meaning.
    // Ties keep the earlier (higher-ranked) chunk.
    let best =
        matched.iter().fold(matched[0], |best, cited| if cited.score > best.score { cited } else { best });
    sentences(best.text).first().map(|&sentence| Quote { sentence, chunk: best.chunk }).into_iter().collect()
}

/// The answer as text: each quote followed by its citation, e.g. `[chunk-4]`,
/// or [`NO_MATCH`] when there is no quote.
///
/// ```
/// use rag_phase_sync::retrieval::answer::{answer_quotes, answer_text, Cited};
/// use rag_phase_sync::retrieval::index::Query;
/// let top = [Cited { chunk: 4, text: "Futures are lazy. A barrier waits for every task.", score: 0.8 }];
/// let quotes = answer_quotes(&Query::lexical("What does a barrier do?"), &top);
/// assert_eq!(answer_text(&quotes), "A barrier waits for every task. [chunk-4]");
/// ```
pub fn answer_text(quotes: &[Quote]) -> String {
    if quotes.is_empty() {
        return NO_MATCH.to_string();
    }
    let cited: Vec<String> =
        quotes.iter().map(|quote| format!("{} [{}]", quote.sentence, chunk_id(quote.chunk))).collect();
    cited.join(" ")
}

/// [`answer_text`] of [`answer_quotes`]: the answer as one cited string.
///
/// ```
/// use rag_phase_sync::retrieval::answer::{extractive_answer, Cited};
/// use rag_phase_sync::retrieval::index::Query;
/// let top = [Cited { chunk: 4, text: "Futures are lazy. A barrier waits for every task.", score: 0.8 }];
/// let answer = extractive_answer(&Query::lexical("What does a barrier do?"), &top);
/// assert_eq!(answer, "A barrier waits for every task. [chunk-4]");
/// ```
pub fn extractive_answer(query: &Query, top: &[Cited]) -> String {
    answer_text(&answer_quotes(query, top))
}
