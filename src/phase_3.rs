//! Phase 3, the same in every approach: once, with every surviving chunk's
//! score in hand, the top chunks, what they would have been without the
//! barrier, and the answer.

use crate::event::{EventKind, Scored, WithoutBarrier};
use crate::outcome::{Answered, PipelineError, QuotedSentence, Ranked};
use crate::retrieval::answer::{answer_quotes, answer_text, Cited};
use crate::retrieval::rank::top_k_distinct;
use crate::run::Run;
use crate::state::SharedState;

/// How many chunks Phase 3 answers from.
pub const TOP_K: usize = 3;

/// Phase 3, once, with every surviving chunk's score in hand: the top
/// chunks, what they would have been without the barrier, and the answer.
pub(crate) fn phase_3(run: &Run<'_>, state: SharedState) -> Result<Answered, PipelineError> {
    let SharedState { scores, early, dropped, .. } = state;
    let survivors = scores.iter().flatten().count();
    if survivors == 0 {
        return Err(PipelineError::AllDropped(dropped));
    }
    // A chunk with no score dropped out: NaN is never picked. Above the
    // corpus's own chunks the texts repeat: each is ranked once.
    let text = |chunk: usize| run.chunks.text(chunk);
    let totals: Vec<f64> = scores.iter().map(|parts| parts.map_or(f64::NAN, |parts| parts.score)).collect();
    let (best, duplicates) = top_k_distinct(&totals, TOP_K, text);
    let scored = |scores: &[f64], chunks: &[usize]| -> Vec<Scored> {
        chunks.iter().map(|&chunk| Scored { chunk, score: scores[chunk] }).collect()
    };
    run.emit(EventKind::TopChunks { top: scored(&totals, &best), duplicates });
    // Without the barrier, a survivor would have kept its early score.
    let early: Vec<f64> = early
        .iter()
        .zip(&scores)
        .map(|(early, parts)| match (early, parts) {
            (Some(early), Some(_)) => *early,
            _ => f64::NAN,
        })
        .collect();
    let changed =
        early.iter().zip(&totals).filter(|(early, total)| !early.is_nan() && early != total).count();
    let (early_best, _) = top_k_distinct(&early, TOP_K, text);
    let wrong = early_best.iter().filter(|chunk| !best.contains(chunk)).count();
    let without_barrier = WithoutBarrier { top: scored(&early, &early_best), changed, wrong };
    run.emit(EventKind::WithoutBarrier(without_barrier.clone()));
    run.emit(EventKind::AnswerStart { from: best.len() });
    let cited: Vec<Cited> = best
        .iter()
        .map(|&chunk| Cited { chunk, text: run.chunks.text(chunk), score: totals[chunk] })
        .collect();
    let quoted = answer_quotes(&run.query, &cited);
    let answer = answer_text(&quoted);
    let quotes = quoted
        .iter()
        .map(|quote| QuotedSentence { sentence: quote.sentence.to_string(), chunk: quote.chunk })
        .collect();
    run.emit(EventKind::Answer { text: answer.clone() });
    let top = best
        .iter()
        .filter_map(|&chunk| {
            let parts = scores[chunk]?;
            Some(Ranked { chunk, parts, text: run.chunks.text(chunk).to_string() })
        })
        .collect();
    // The approach fills in what it made and collected.
    Ok(Answered {
        answer,
        quotes,
        top,
        without_barrier,
        dropped,
        duplicates,
        tasks: 0,
        collected: Vec::new(),
    })
}
