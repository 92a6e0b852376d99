//! Real retrieval inside the phases, on tokio's paused clock: the barrier
//! pipeline scores exactly as a sequential two-pass computation does, user
//! documents are chunked and searched, a model plugs in through `Embedder`,
//! and bad input is refused with the field named.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::time::Duration;

use futures::future::{FutureExt, LocalBoxFuture};
use rag_phase_sync::retrieval::answer::NO_MATCH;
use rag_phase_sync::retrieval::chunker::{chunk_documents, Chunking};
use rag_phase_sync::retrieval::corpus::DEMO_CORPUS;
use rag_phase_sync::retrieval::index::{Query, ScoreParts};
use rag_phase_sync::retrieval::score_sequentially;
use rag_phase_sync::Embedder;
use rag_phase_sync::{
    rag_pipeline, rag_pipeline_with, BarrierKind, Event, EventKind, Fault, Outcome, Phase, PipelineError,
    RunConfig,
};

async fn run(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
) -> (Result<Outcome, PipelineError>, Vec<Event>) {
    let events = RefCell::new(Vec::new());
    let result =
        rag_pipeline_with(config, embedder, &|event: &Event| events.borrow_mut().push(event.clone())).await;
    (result, events.into_inner())
}

/// `(chunk, value)` for every completion of `phase` that `pick` finds a
/// value in (given its score and early score), in event order.
fn completions<T>(
    events: &[Event],
    phase: Phase,
    pick: impl Fn(Option<ScoreParts>, Option<f64>) -> Option<T>,
) -> Vec<(usize, T)> {
    let value = |event: &Event| match event.kind {
        EventKind::PhaseComplete { chunk, phase: p, score, early } if p == phase => {
            Some((chunk, pick(score, early)?))
        }
        _ => None,
    };
    events.iter().filter_map(value).collect()
}

/// Every chunk's Phase 2 score parts, by chunk index.
fn scores(events: &[Event]) -> Vec<ScoreParts> {
    let mut scores = completions(events, Phase::Score, |score, _| score);
    scores.sort_by_key(|(chunk, _)| *chunk);
    scores.into_iter().map(|(_, parts)| parts).collect()
}

fn documents(texts: &[&str]) -> Option<Vec<String>> {
    Some(texts.iter().map(|text| text.to_string()).collect())
}

#[tokio::test(start_paused = true)]
async fn the_barrier_pipeline_scores_exactly_as_two_sequential_passes() {
    let custom = [
        "Tokio is a runtime for asynchronous Rust. It schedules tasks on worker threads.\n\nA barrier waits for every task.",
        "WebAssembly runs in the browser next to JavaScript. Its memory is a linear array of bytes.",
        "BM25 ranks documents by term frequency and inverse document frequency.",
    ];
    let corpora: [(Option<Vec<String>>, Chunking); 3] = [
        (None, Chunking::DEFAULT),
        (None, Chunking { max_words: 30, overlap_words: 5 }),
        (documents(&custom), Chunking { max_words: 12, overlap_words: 2 }),
    ];
    let queries =
        ["What is retrieval augmented generation?", "how does a barrier release its waiters", "wasm memory"];
    for (corpus, chunking) in &corpora {
        let demo: Vec<String> = DEMO_CORPUS.iter().map(|text| text.to_string()).collect();
        let texts = chunk_documents(corpus.as_ref().unwrap_or(&demo), chunking);
        for (seed, query) in (0..12).zip(queries.iter().cycle()) {
            let barrier = if seed % 2 == 0 { BarrierKind::Phase } else { BarrierKind::Classic };
            let config = RunConfig {
                documents: corpus.clone(),
                chunking: *chunking,
                query: query.to_string(),
                seed: Some(seed),
                barrier,
                ..RunConfig::default()
            };
            let (result, events) = run(&config, None).await;
            result.unwrap();
            // Bit for bit: whatever order Phase 1 finished in (the seed
            // shuffles it), Phase 2 saw the whole corpus.
            assert_eq!(scores(&events), score_sequentially(&texts, &Query::lexical(query)), "seed {seed}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn your_documents_are_chunked_searched_and_quoted_with_citations() {
    let config = RunConfig {
        documents: documents(&[
            "The lighthouse keeper climbs 112 steps every evening. He lights the lamp at dusk.",
            "Sourdough needs a starter of flour and water. It rises slowly overnight in a cool kitchen.",
            "The ferry to the island leaves at seven. Tickets are sold on board.",
        ]),
        query: "When does the ferry leave?".into(),
        seed: Some(3),
        ..RunConfig::default()
    };
    let (result, _) = run(&config, None).await;
    let outcome = result.unwrap();
    assert_eq!(outcome.top[0].chunk, 2);
    assert!(outcome.top[0].text.starts_with("The ferry to the island"));
    assert_eq!(outcome.answer, "The ferry to the island leaves at seven. [chunk-2]");
}

#[tokio::test(start_paused = true)]
async fn the_answer_comes_as_quotes_so_a_citation_in_a_document_stays_text() {
    // The page draws citations from `quotes`; a document that itself says
    // "[chunk-7]" must not become one.
    let config = RunConfig {
        documents: documents(&[
            "The ferry leaves at seven, see [chunk-7] in the timetable. Tickets are sold on board.",
        ]),
        query: "When does the ferry leave?".into(),
        seed: Some(5),
        ..RunConfig::default()
    };
    let (result, events) = run(&config, None).await;
    let outcome = result.unwrap();
    assert_eq!(outcome.quotes.len(), 1);
    assert_eq!(outcome.quotes[0].chunk, 0);
    assert_eq!(outcome.quotes[0].sentence, "The ferry leaves at seven, see [chunk-7] in the timetable.");
    assert_eq!(outcome.answer, "The ferry leaves at seven, see [chunk-7] in the timetable. [chunk-0]");
    // One chunk: the seed's lines, in the singular.
    let lines: Vec<String> = events.iter().filter_map(Event::log_line).collect();
    assert!(lines.contains(&"Top 1 chunk: ['chunk-0']".to_string()), "{lines:?}");
    assert!(lines.contains(&"Generating answer from top 1 chunk...".to_string()), "{lines:?}");
}

#[tokio::test(start_paused = true)]
async fn nothing_matched_means_no_quotes() {
    let config =
        RunConfig { query: "zyzzyva quixotic xylophone".into(), seed: Some(2), ..RunConfig::default() };
    let (result, _) = run(&config, None).await;
    let outcome = result.unwrap();
    assert!(outcome.quotes.is_empty());
    assert_eq!(outcome.answer, NO_MATCH);
}

#[tokio::test(start_paused = true)]
async fn a_question_with_no_known_words_matches_nothing_and_scores_zero() {
    let config =
        RunConfig { query: "zyzzyva quixotic xylophone".into(), seed: Some(1), ..RunConfig::default() };
    let (result, events) = run(&config, None).await;
    assert_eq!(result.unwrap().answer, NO_MATCH);
    let scores = scores(&events);
    assert_eq!(scores.len(), DEMO_CORPUS.len());
    assert!(scores.iter().all(|parts| parts.score == 0.0 && parts.bm25 == 0.0 && parts.cosine.is_finite()));
}

#[tokio::test(start_paused = true)]
async fn more_chunks_than_the_documents_make_go_round_them_again() {
    let config = RunConfig { chunks: Some(DEMO_CORPUS.len() + 5), seed: Some(2), ..RunConfig::default() };
    let (result, events) = run(&config, None).await;
    result.unwrap();
    let scores = scores(&events);
    assert_eq!(scores.len(), DEMO_CORPUS.len() + 5);
    assert_eq!(scores[DEMO_CORPUS.len() + 1], scores[1], "chunk 47 repeats chunk 1's text");
}

#[tokio::test(start_paused = true)]
async fn bad_documents_and_chunking_are_refused_naming_the_field() {
    let huge = "word ".repeat(2_200_000); // 11 MB
    let cases: Vec<(RunConfig, &str)> = vec![
        (RunConfig { documents: Some(vec![]), ..RunConfig::default() }, "documents must be an array of 1 to 100000"),
        (
            RunConfig { documents: documents(&["text", " \n\t "]), ..RunConfig::default() },
            "documents must each contain some text (got documents[1] is blank)",
        ),
        (RunConfig { documents: Some(vec![huge]), ..RunConfig::default() }, "documents must hold at most 10 MB"),
        (
            RunConfig { chunking: Chunking { max_words: 0, overlap_words: 0 }, ..RunConfig::default() },
            "chunkWords must be an integer from 1 to 10000 (got 0)",
        ),
        (
            RunConfig { chunking: Chunking { max_words: 20, overlap_words: 20 }, ..RunConfig::default() },
            "overlapWords must be an integer from 0 to 19 (below chunkWords) (got 20)",
        ),
        (
            RunConfig {
                documents: documents(&[&"word ".repeat(100_001)]),
                chunking: Chunking { max_words: 1, overlap_words: 0 },
                ..RunConfig::default()
            },
            "documents must make at most 100000 chunks at chunkWords 1 and overlapWords 0; raise chunkWords or pass less text (got more than 100000 chunks)",
        ),
        (
            RunConfig { faults: vec![Fault::error(DEMO_CORPUS.len(), Phase::Embed)], ..RunConfig::default() },
            "faults must each name a chunk index from 0 to 45 (got chunk-46 error in Phase 1 (embed))",
        ),
    ];
    for (config, message) in cases {
        let (result, events) = run(&config, None).await;
        let error = result.unwrap_err();
        assert!(matches!(error, PipelineError::Config(_)), "{error:?}");
        assert!(error.to_string().starts_with(message), "{error} should start with {message:?}");
        assert!(events.is_empty(), "nothing ran for {message}");
    }
}

/// A toy model standing in for a real one: a vector of letter counts (a-z),
/// after a fixed delay, failing on request.
struct LetterModel {
    delay_ms: u64,
    fail_on: Option<&'static str>,
    short_on: Option<&'static str>,
}

impl Embedder for LetterModel {
    fn embed<'a>(&'a self, text: &'a str) -> LocalBoxFuture<'a, Result<Vec<f32>, String>> {
        async move {
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
            if self.fail_on.is_some_and(|word| text.contains(word)) {
                return Err("model unavailable".into());
            }
            let mut counts = vec![0.0_f32; 26];
            text.bytes().filter(u8::is_ascii_lowercase).for_each(|b| counts[usize::from(b - b'a')] += 1.0);
            if self.short_on.is_some_and(|word| text.contains(word)) {
                counts.truncate(3);
            }
            Ok(counts)
        }
        .boxed_local()
    }
}

const MODEL: LetterModel = LetterModel { delay_ms: 40, fail_on: None, short_on: None };

#[tokio::test(start_paused = true)]
async fn a_model_plugged_in_replaces_the_hashed_vectors_and_the_simulated_latency() {
    let config = RunConfig { chunks: Some(6), seed: Some(4), ..RunConfig::default() };
    let (result, events) = run(&config, Some(&MODEL)).await;
    let outcome = result.unwrap();
    let (_, lexical_events) = run(&config, None).await;
    let (with_model, lexical) = (scores(&events), scores(&lexical_events));
    for (model, hashed) in with_model.iter().zip(&lexical) {
        assert_eq!(model.bm25, hashed.bm25, "BM25 still reads the words");
        assert!(model.cosine > 0.5, "letter-count vectors of English text are alike: {}", model.cosine);
    }
    assert_ne!(with_model, lexical);
    // The query's embedding, then every chunk's in parallel, then scoring.
    let expected = 40.0 + 40.0 + 50.0;
    assert!((outcome.makespan_ms - expected).abs() <= 3.0, "makespan {}", outcome.makespan_ms);
    assert!(events
        .iter()
        .all(|e| !matches!(e.kind, EventKind::PhaseStart { phase: Phase::Embed, planned_ms: Some(_), .. })));
}

#[tokio::test(start_paused = true)]
async fn a_model_that_fails_or_returns_a_bad_vector_is_a_chunk_error_naming_the_chunk() {
    // Chunk 1 of the demo corpus talks about "vector databases"; chunk 2 about "hallucinate".
    let failing = LetterModel { fail_on: Some("hallucinate"), ..MODEL };
    let short = LetterModel { short_on: Some("hallucinate"), ..MODEL };
    let config = RunConfig { chunks: Some(6), seed: Some(4), ..RunConfig::default() };
    for (model, message) in [
        (&failing, "chunk-2 failed in Phase 1 (embed): model unavailable"),
        (
            &short,
            "chunk-2 failed in Phase 1 (embed): embed returned 3 numbers, but the query's vector has 26",
        ),
    ] {
        let (result, events) = run(&config, Some(model)).await;
        let Err(PipelineError::Chunk(error)) = result else { panic!("{result:?}") };
        assert_eq!(error.to_string(), message);
        let cancelled = events.iter().filter(|e| matches!(e.kind, EventKind::ChunkCancelled { .. })).count();
        assert_eq!(cancelled, 5, "every sibling ends");
    }

    let on_query = LetterModel { fail_on: Some("retrieval augmented"), ..MODEL };
    let (result, events) = run(&config, Some(&on_query)).await;
    assert_eq!(result.unwrap_err(), PipelineError::Query("model unavailable".into()));
    assert!(matches!(events.last().unwrap().kind, EventKind::RunEnd { error: Some(_), .. }));
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::PhaseStart { .. })), "no chunk started");
}

#[tokio::test(start_paused = true)]
async fn the_seeds_own_six_chunks_still_print_the_seeds_lines() {
    let events = RefCell::new(Vec::new());
    let config = RunConfig { chunks: Some(6), seed: Some(1), ..RunConfig::default() };
    let outcome =
        rag_pipeline(&config, &|event: &Event| events.borrow_mut().push(event.clone())).await.unwrap();
    let lines: Vec<String> = events.into_inner().iter().filter_map(Event::log_line).collect();
    assert_eq!(lines[12], "Top 3 chunks: ['chunk-0', 'chunk-3', 'chunk-2']");
    assert_eq!(lines[13], "Generating answer from top 3 chunks...");
    assert!(outcome.answer.contains("[chunk-0]"), "{}", outcome.answer);
}

#[tokio::test(start_paused = true)]
async fn without_the_barrier_early_chunks_would_score_against_a_partial_corpus() {
    let config =
        RunConfig { query: "Why does scoring need a barrier?".into(), seed: Some(7), ..RunConfig::default() };
    let (result, events) = run(&config, None).await;
    let outcome = result.unwrap();
    let early: Vec<(usize, f64)> = completions(&events, Phase::Embed, |_, early| early);
    let real = scores(&events);
    assert_eq!(early.len(), real.len(), "every chunk reports its early score");

    // The last chunk to be embedded saw the whole corpus: no difference.
    let &(last, last_early) = early.last().unwrap();
    assert_eq!(last_early, real[last].score);
    // Earlier ones that share words with the question saw partial statistics.
    let changed = early.iter().filter(|&&(chunk, early)| early != real[chunk].score).count();
    assert!(changed > 0, "some early score differs");
    assert_eq!(outcome.without_barrier.changed, changed);

    // The counterfactual top 3 is ranked by the early scores, as reported.
    let mut by_early = early.clone();
    by_early.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let expected: Vec<usize> = by_early.iter().take(3).map(|(chunk, _)| *chunk).collect();
    let reported: Vec<usize> = outcome.without_barrier.top.iter().map(|scored| scored.chunk).collect();
    assert_eq!(reported, expected);
    let real_top: Vec<usize> = outcome.top.iter().map(|ranked| ranked.chunk).collect();
    let wrong = expected.iter().filter(|chunk| !real_top.contains(chunk)).count();
    assert_eq!(outcome.without_barrier.wrong, wrong);
    eprintln!("real top {real_top:?}, without the barrier {expected:?}, {changed} scores changed");
    assert!(events.iter().any(|e| e.kind == EventKind::WithoutBarrier(outcome.without_barrier.clone())));
}
