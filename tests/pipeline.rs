//! The pipeline on tokio's paused clock: every sleep is virtual, so hundreds
//! of runs take milliseconds and every run is exactly reproducible.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::cell::RefCell;

use common::{assert_run_invariants, positions, timeless};
use rag_phase_sync::{
    rag_pipeline, BarrierKind, Event, EventKind, Fault, Outcome, Phase, PipelineError, RunConfig,
};

async fn run(config: &RunConfig) -> (Result<Outcome, PipelineError>, Vec<Event>) {
    let events = RefCell::new(Vec::new());
    let result = rag_pipeline(config, &|event: &Event| events.borrow_mut().push(event.clone())).await;
    (result, events.into_inner())
}

/// The seed's problem: six chunks (the demo corpus's first six), seeded latencies.
fn seeded(seed: u64) -> RunConfig {
    RunConfig { seed: Some(seed), chunks: Some(6), ..RunConfig::default() }
}

#[tokio::test(start_paused = true)]
async fn phases_never_overlap_over_200_seeds() {
    for seed in 0..200 {
        let chunks = 1 + (seed as usize % 12);
        let (result, events) = run(&RunConfig { chunks: Some(chunks), ..seeded(seed) }).await;
        result.unwrap();
        assert_run_invariants(&events, chunks);
    }
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_replays_the_same_events() {
    for seed in [0, 1, 42, 9_007_199_254_740_991] {
        let (_, first) = run(&seeded(seed)).await;
        let (_, second) = run(&seeded(seed)).await;
        assert_eq!(timeless(&first), timeless(&second), "seed {seed}");
        let times = |events: &[Event]| events.iter().map(|e| e.t_ms).collect::<Vec<_>>();
        assert_eq!(times(&first), times(&second), "virtual time replays exactly");
    }
    let (_, one) = run(&seeded(1)).await;
    let (_, two) = run(&seeded(2)).await;
    assert_ne!(timeless(&one), timeless(&two), "different seeds differ");
}

#[tokio::test(start_paused = true)]
async fn makespan_is_the_slowest_embed_plus_the_score() {
    let config = RunConfig { time_scale: 3.0, ..seeded(5) };
    let (result, events) = run(&config).await;
    let slowest_embed = events
        .iter()
        .filter_map(|event| match event.kind {
            EventKind::PhaseStart { phase: Phase::Embed, planned_ms, .. } => planned_ms,
            _ => None,
        })
        .fold(0.0, f64::max);
    let expected = slowest_embed + 50.0 * 3.0;
    let makespan = result.unwrap().makespan_ms;
    // tokio's timer wheel has millisecond resolution.
    assert!((makespan - expected).abs() <= 2.0, "makespan {makespan}, expected {expected}");
    assert!((300.0..=900.0).contains(&slowest_embed), "embed latencies scale by timeScale");
}

#[tokio::test(start_paused = true)]
async fn the_barrier_cost_is_the_wait_for_the_slowest_chunk() {
    let (result, events) = run(&seeded(8)).await;
    let outcome = result.unwrap();
    let embeds: Vec<f64> = events
        .iter()
        .filter_map(|event| match event.kind {
            EventKind::PhaseStart { phase: Phase::Embed, planned_ms, .. } => planned_ms,
            _ => None,
        })
        .collect();
    let slowest = embeds.iter().cloned().fold(0.0, f64::max);
    let expected_wait: f64 = embeds.iter().map(|embed| slowest - embed).sum();
    let time = outcome.chunk_time;
    // Six chunks, each alive for the whole run: working or waiting, never idle.
    let tolerance = 6.0 * 2.0;
    assert!((time.working_ms + time.waiting_ms - 6.0 * outcome.makespan_ms).abs() <= tolerance, "{time:?}");
    assert!((time.waiting_ms - expected_wait).abs() <= tolerance, "{time:?} vs {expected_wait}");
    let EventKind::RunEnd { chunk_time, .. } = events.last().unwrap().kind else { panic!() };
    assert_eq!(chunk_time, time);
}

#[tokio::test(start_paused = true)]
async fn the_log_prints_the_seeds_lines_in_order() {
    let (result, events) = run(&seeded(3)).await;
    let outcome = result.unwrap();
    let lines: Vec<String> = events.iter().filter_map(Event::log_line).collect();
    assert_eq!(lines.len(), 6 + 6 + 3);
    assert!(lines[..6].iter().all(|line| line.starts_with("Phase 1 complete: chunk-")));
    for line in &lines[6..12] {
        let (head, score) = line.split_once(" score=").unwrap();
        assert!(head.starts_with("Phase 2 complete: chunk-"));
        assert_eq!(score.len(), 4, "two decimals: {line}");
    }
    let ids: Vec<String> = outcome.top.iter().map(|s| format!("'chunk-{}'", s.chunk)).collect();
    assert_eq!(lines[12], format!("Top 3 chunks: [{}]", ids.join(", ")));
    assert_eq!(lines[13], "Generating answer from top 3 chunks...");
    assert_eq!(lines[14], format!("Final answer: {}", outcome.answer));
}

#[tokio::test(start_paused = true)]
async fn a_failing_chunk_cancels_its_siblings_and_names_itself() {
    for barrier in BarrierKind::ALL {
        let config =
            RunConfig { chunks: Some(6), faults: vec![Fault::error(4, Phase::Embed)], barrier, ..seeded(11) };
        let (result, events) = run(&config).await;
        let Err(PipelineError::Chunk(error)) = result else {
            panic!("expected a chunk error, got {result:?}")
        };
        assert_eq!((error.chunk, error.phase), (4, Phase::Embed));
        assert!(error.to_string().starts_with("chunk-4 failed in Phase 1 (embed)"), "{error}");

        // Every sibling ends: done with Phase 1 and parked at the barrier, or
        // still embedding; each is reported cancelled exactly once.
        let mut cancelled: Vec<usize> = events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::ChunkCancelled { chunk, .. } => Some(chunk),
                _ => None,
            })
            .collect();
        cancelled.sort();
        assert_eq!(cancelled, [0, 1, 2, 3, 5], "{barrier}");
        for event in &events {
            if let EventKind::ChunkCancelled { chunk, phase, waiting, .. } = event.kind {
                let embedded = events.iter().any(|e| {
                    matches!(e.kind, EventKind::PhaseComplete { chunk: c, phase: Phase::Embed, .. } if c == chunk)
                });
                assert_eq!((phase, waiting), (Phase::Embed, embedded), "chunk-{chunk}");
            }
        }
        assert!(!events.iter().any(|e| matches!(e.kind, EventKind::PhaseStart { phase: Phase::Score, .. })));
        assert!(!events.iter().any(|e| matches!(e.kind, EventKind::BarrierRelease { .. })));
        let EventKind::RunEnd { error: Some(message), .. } = &events.last().unwrap().kind else { panic!() };
        assert_eq!(*message, error.to_string());

        // PhaseBarrier is broken by the failure, right after it is reported;
        // the classic barrier cannot be, and relies on the group's drop alone.
        let broken: Vec<usize> = positions(&events, |k| matches!(k, EventKind::BarrierBroken { .. }));
        let failed = positions(&events, |k| matches!(k, EventKind::ChunkFailed { .. }));
        match barrier {
            BarrierKind::Phase => assert_eq!(broken, [failed[0] + 1]),
            BarrierKind::Classic => assert!(broken.is_empty()),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn both_barriers_run_the_same_schedule_to_the_same_answer() {
    let phase = run(&RunConfig { barrier: BarrierKind::Phase, ..seeded(5) }).await;
    let classic = run(&RunConfig { barrier: BarrierKind::Classic, ..seeded(5) }).await;
    let (phase, classic) = (phase.0.unwrap(), classic.0.unwrap());
    assert_eq!(
        (phase.answer, phase.top, phase.makespan_ms),
        (classic.answer, classic.top, classic.makespan_ms)
    );
}

#[tokio::test(start_paused = true)]
async fn bad_options_are_rejected_before_anything_runs() {
    let cases: Vec<(RunConfig, &str)> = vec![
        (RunConfig { chunks: Some(0), ..seeded(1) }, "chunks must be an integer from 1 to 100000 (got 0)"),
        (RunConfig { chunks: Some(100_001), ..seeded(1) }, "chunks must be an integer from 1 to 100000"),
        (RunConfig { embed_ms: (300.0, 100.0), ..seeded(1) }, "embedMs must be [min, max] with min <= max"),
        (RunConfig { embed_ms: (-1.0, 100.0), ..seeded(1) }, "embedMs must be a number from 0 to 60000 ms"),
        (RunConfig { embed_ms: (0.0, f64::NAN), ..seeded(1) }, "embedMs must be a number from 0 to 60000 ms"),
        (RunConfig { score_ms: f64::INFINITY, ..seeded(1) }, "scoreMs must be a number from 0 to 60000 ms"),
        (RunConfig { time_scale: -2.0, ..seeded(1) }, "timeScale must be a number from 0 to 1000"),
        (
            RunConfig { faults: vec![Fault::hang(6, Phase::Score)], ..seeded(1) },
            "faults must each name a chunk index from 0 to 5",
        ),
        (RunConfig { query: "  ".into(), ..seeded(1) }, "query must be a non-blank string"),
        (RunConfig { seed: Some(1 << 53), ..RunConfig::default() }, "seed must be an integer from 0 to"),
    ];
    for (config, message) in cases {
        let (result, events) = run(&config).await;
        let error = result.unwrap_err().to_string();
        assert!(error.starts_with(message), "{error:?} should start with {message:?}");
        assert!(events.is_empty(), "nothing ran for {message}");
    }
}

#[tokio::test(start_paused = true)]
async fn many_chunks_with_zero_latency_finish() {
    let chunks = 20_000;
    let config = RunConfig { chunks: Some(chunks), embed_ms: (0.0, 0.0), score_ms: 0.0, ..seeded(9) };
    let (result, events) = run(&config).await;
    assert_eq!(result.unwrap().top.len(), 3);
    assert_run_invariants(&events, chunks);
}

#[tokio::test(start_paused = true)]
async fn fewer_than_three_chunks_answer_from_all_of_them() {
    let (result, events) = run(&RunConfig { chunks: Some(2), ..seeded(4) }).await;
    assert_eq!(result.unwrap().top.len(), 2);
    assert!(events.iter().filter_map(Event::log_line).any(|line| line.starts_with("Top 2 chunks: [")));
}

#[tokio::test(start_paused = true)]
async fn every_run_gets_its_own_id_and_a_replayable_seed() {
    let (first, first_events) = run(&RunConfig::default()).await;
    let (second, _) = run(&RunConfig::default()).await;
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_ne!(first.run, second.run);
    assert!(first.seed < 1 << 53, "a random seed fits a JS number exactly");
    let (_, replay) = run(&RunConfig { seed: Some(first.seed), ..RunConfig::default() }).await;
    let without_seed = |events: &[Event]| timeless(&events[1..]);
    assert_eq!(without_seed(&replay), without_seed(&first_events), "the reported seed replays the run");
}
