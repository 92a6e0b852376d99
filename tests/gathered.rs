//! The seed's "Alternative Approach" (one gather per phase) beside the
//! barrier, on tokio's paused clock: the same scores to the bit, the same
//! top and answer; gather's first failure drops the rest, gather-collect
//! runs everything and collects failures; and the store step that makes the
//! barrier's overlap measurable.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::cell::RefCell;
use std::future::{pending, Future};

use common::{assert_run_invariants, positions, timeless};
use rag_phase_sync::runtime::{sleep_ms, timeout};
use rag_phase_sync::{
    rag_pipeline_gathered, rag_pipeline_until, Approach, ChunkErrorPolicy, Event, EventKind, Failure, Fault,
    GatherStep, Outcome, Phase, PipelineError, RunConfig, STORE_SLOTS,
};

/// The demo corpus's chunk count, and a bigger run that goes round it.
const SIZES: [usize; 2] = [46, 250];
const SEEDS: [u64; 4] = [0, 7, 42, 9_007_199_254_740_991];
/// Virtual time after which a run counts as hung.
const GUARD_MS: f64 = 600_000.0;

struct Ran {
    result: Result<Outcome, PipelineError>,
    events: Vec<Event>,
}

/// Runs `config` until it ends or `stop` resolves; `None` if it still runs
/// after [`GUARD_MS`] of virtual time.
async fn run_until(config: &RunConfig, stop: impl Future<Output = ()>) -> Option<Ran> {
    let events = RefCell::new(Vec::new());
    let sink = |event: &Event| events.borrow_mut().push(event.clone());
    let result = timeout(Some(GUARD_MS), rag_pipeline_until(config, None, stop, &sink)).await.ok()?;
    Some(Ran { result, events: events.into_inner() })
}

async fn run(config: &RunConfig) -> Ran {
    run_until(config, pending()).await.expect("the run ends")
}

fn with(config: &RunConfig, approach: Approach) -> RunConfig {
    RunConfig { approach, ..config.clone() }
}

/// Every chunk's Phase 2 score parts as bits, by chunk (`None`: not scored).
fn score_bits(events: &[Event], chunks: usize) -> Vec<Option<[u64; 4]>> {
    let mut bits = vec![None; chunks];
    for event in events {
        if let EventKind::PhaseComplete { chunk, phase: Phase::Score, score: Some(parts), .. } = event.kind {
            let parts = [parts.bm25, parts.bm25_normalised, parts.cosine, parts.score];
            assert!(bits[chunk].replace(parts.map(f64::to_bits)).is_none(), "chunk-{chunk} scored twice");
        }
    }
    bits
}

/// The gathers' events, as (step, tasks, failed) for each `gather-end`,
/// checking each follows its own `gather-start` and they come in order.
fn gathers(events: &[Event]) -> Vec<(GatherStep, usize, usize)> {
    let mut open = None;
    let mut ended = Vec::new();
    for event in events {
        match event.kind {
            EventKind::GatherStart { gather, step, tasks } => {
                assert!(open.is_none(), "gather {gather} began before the last one joined");
                assert_eq!(gather, ended.len() + 1, "gathers are numbered 1, 2, …");
                open = Some((gather, step, tasks));
            }
            EventKind::GatherEnd { gather, step, tasks, failed } => {
                assert_eq!(open.take(), Some((gather, step, tasks)), "gather-end matches its start");
                ended.push((step, tasks, failed));
            }
            _ => {}
        }
    }
    ended
}

/// What a gathered run that succeeded promises, from its events alone:
/// no barrier event; every Phase 1 completion inside gather 1, before any
/// store write or Phase 2 start; every Phase 2 inside the last gather;
/// run-end last.
fn assert_gathered_invariants(events: &[Event], chunks: usize, store: bool) {
    assert!(!events.iter().any(|e| e.kind.name().starts_with("barrier-")), "a gathered run has no barrier");
    let ends = positions(events, |k| matches!(k, EventKind::GatherEnd { .. }));
    let starts = positions(events, |k| matches!(k, EventKind::GatherStart { .. }));
    assert_eq!(starts.len(), if store { 3 } else { 2 });
    let embedded = positions(events, |k| matches!(k, EventKind::PhaseComplete { phase: Phase::Embed, .. }));
    let scoring = positions(events, |k| matches!(k, EventKind::PhaseStart { phase: Phase::Score, .. }));
    let scored = positions(events, |k| matches!(k, EventKind::PhaseComplete { phase: Phase::Score, .. }));
    let stores = positions(events, |k| matches!(k, EventKind::StoreStart { .. }));
    assert_eq!((embedded.len(), scored.len()), (chunks, chunks));
    assert_eq!(stores.len(), if store { chunks } else { 0 });
    assert!(embedded.iter().all(|&at| starts[0] < at && at < ends[0]), "Phase 1 inside gather 1");
    let last = starts.len() - 1;
    assert!(scoring.iter().chain(&scored).all(|&at| starts[last] < at && at < ends[last]));
    assert!(stores.iter().all(|&at| ends[0] < at && at < starts[last]), "writes between the gathers");
    assert!(matches!(events.last().unwrap().kind, EventKind::RunEnd { error: None, .. }));
    assert!(events.windows(2).all(|pair| pair[0].t_ms <= pair[1].t_ms), "time never goes back");
}

/// The barrier's and both gathers' runs of `config` agree: every score to
/// the bit, the top, the answer and its quotes, what the barrier prevented
/// (early scores), and, with no store, the makespan and the time spent
/// waiting. Returns the three outcomes.
async fn assert_same_answers(config: &RunConfig, chunks: usize) -> [Outcome; 3] {
    let barrier = run(&with(config, Approach::Barrier)).await;
    assert_run_invariants(&barrier.events, chunks);
    let expected = score_bits(&barrier.events, chunks);
    assert!(expected.iter().all(Option::is_some), "every chunk scored");
    let barrier = barrier.result.unwrap();
    let mut outcomes = Vec::new();
    for approach in [Approach::Gather, Approach::GatherCollect] {
        let ran = run(&with(config, approach)).await;
        let label = format!("{approach} of {chunks} chunks, seed {:?}", config.seed);
        assert_eq!(score_bits(&ran.events, chunks), expected, "{label}: scores to the bit");
        assert_gathered_invariants(&ran.events, chunks, config.store_ms > 0.0);
        let outcome = ran.result.unwrap();
        assert_eq!(outcome.top, barrier.top, "{label}");
        assert_eq!((&outcome.answer, &outcome.quotes), (&barrier.answer, &barrier.quotes), "{label}");
        assert_eq!(outcome.without_barrier, barrier.without_barrier, "{label}: early scores");
        assert_eq!(outcome.duplicates, barrier.duplicates, "{label}");
        assert_eq!((outcome.approach, outcome.collected.len()), (approach, 0), "{label}");
        let stores = if config.store_ms > 0.0 { chunks } else { 0 };
        assert_eq!(outcome.tasks, 2 * chunks + stores, "{label}: futures made");
        if config.store_ms == 0.0 {
            // The same schedule: no store, no barrier, nothing else to wait for.
            assert!((outcome.makespan_ms - barrier.makespan_ms).abs() <= 1.0, "{label}: makespan");
            let (waited, barrier_waited) = (outcome.chunk_time.waiting_ms, barrier.chunk_time.waiting_ms);
            assert!(
                (waited - barrier_waited).abs() <= chunks as f64,
                "{label}: {waited} vs {barrier_waited}"
            );
        }
        outcomes.push(outcome);
    }
    assert_eq!(barrier.tasks, chunks);
    let [gather, collect] = <[Outcome; 2]>::try_from(outcomes).unwrap();
    [barrier, gather, collect]
}

#[tokio::test(start_paused = true)]
async fn gathers_score_to_the_bit_as_the_barrier_does_at_zero_latency() {
    for chunks in SIZES {
        for seed in SEEDS {
            let config = RunConfig {
                chunks: Some(chunks),
                seed: Some(seed),
                embed_ms: (0.0, 0.0),
                score_ms: 0.0,
                ..RunConfig::default()
            };
            assert_same_answers(&config, chunks).await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn gathers_score_to_the_bit_as_the_barrier_does_on_the_paused_clock() {
    for chunks in SIZES {
        for seed in SEEDS {
            let config = RunConfig { chunks: Some(chunks), seed: Some(seed), ..RunConfig::default() };
            let [barrier, ..] = assert_same_answers(&config, chunks).await;
            assert!(barrier.without_barrier.changed > 0, "early scores differ: the check has teeth");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_gathered_run_reports_its_gathers_and_logs_them() {
    let config = RunConfig { seed: Some(5), approach: Approach::Gather, ..RunConfig::default() };
    let ran = run(&config).await;
    ran.result.unwrap();
    let EventKind::RunStart { approach, store_ms, chunks, .. } = ran.events[0].kind else { panic!() };
    assert_eq!((approach, store_ms, chunks), (Approach::Gather, 0.0, 46));
    assert_eq!(gathers(&ran.events), [(GatherStep::Embed, 46, 0), (GatherStep::Score, 46, 0)]);
    let lines: Vec<String> = ran.events.iter().filter_map(Event::log_line).collect();
    assert_eq!(lines[0], "Gather 1 (embed): 46 tasks");
    assert!(lines[1..47].iter().all(|line| line.starts_with("Phase 1 complete: chunk-")));
    assert_eq!(lines[47], "Gather 1 (embed) joined: 46 tasks, 0 failed");
    assert_eq!(lines[48], "Gather 2 (score): 46 tasks");
    assert!(lines[49..95].iter().all(|line| line.starts_with("Phase 2 complete: chunk-")));
    assert_eq!(lines[95], "Gather 2 (score) joined: 46 tasks, 0 failed");
    assert!(lines[96].starts_with("Top 3 chunks: ["));
    // Phase 1 completes with no early score: nothing is indexed before the join.
    assert!(ran.events.iter().all(|e| !matches!(e.kind, EventKind::PhaseComplete { early: Some(_), .. })));
    // A run-start of the barrier approach says so too.
    let barrier = run(&with(&config, Approach::Barrier)).await;
    assert!(matches!(barrier.events[0].kind, EventKind::RunStart { approach: Approach::Barrier, .. }));
    assert!(gathers(&barrier.events).is_empty());
}

#[tokio::test(start_paused = true)]
async fn rag_pipeline_gathered_runs_a_gather_whatever_the_config_says() {
    let config = RunConfig { seed: Some(2), chunks: Some(6), ..RunConfig::default() };
    let sink = |_: &Event| {};
    let outcome = rag_pipeline_gathered(&config, None, pending(), &sink).await.unwrap();
    assert_eq!((outcome.approach, outcome.tasks), (Approach::Gather, 12));
    let collect = with(&config, Approach::GatherCollect);
    let outcome = rag_pipeline_gathered(&collect, None, pending(), &sink).await.unwrap();
    assert_eq!(outcome.approach, Approach::GatherCollect);
}

#[tokio::test(start_paused = true)]
async fn gathers_first_failure_in_time_drops_the_rest_of_its_gather() {
    for chunks in SIZES {
        for phase in [Phase::Embed, Phase::Score] {
            // chunk-3 hangs until its 400 ms timeout; chunk-40 fails as its
            // phase ends (within 300 ms): the later index fails first in time.
            let faults = vec![Fault::hang(3, phase), Fault::error(40, phase)];
            let base = RunConfig {
                chunks: Some(chunks),
                seed: Some(11),
                faults,
                phase_timeout_ms: Some(400.0),
                ..RunConfig::default()
            };
            let first = 40;
            let config = with(&base, Approach::Gather);
            let ran = run(&config).await;
            let Err(PipelineError::Chunk(error)) = ran.result else { panic!("{:?}", ran.result) };
            assert_eq!((error.chunk, error.phase), (first, phase), "{chunks} chunks, {phase:?}");
            let failed = positions(&ran.events, |k| matches!(k, EventKind::ChunkFailed { .. }));
            assert_eq!(failed.len(), 1, "the others were dropped before they could fail");
            let number = if phase == Phase::Embed { 1 } else { 2 };
            let step = if phase == Phase::Embed { GatherStep::Embed } else { GatherStep::Score };
            let ended = gathers(&ran.events);
            assert_eq!(ended.len(), number, "no gather after the failed one");
            assert_eq!(ended[number - 1], (step, chunks, 1));
            // Every task of that gather not finished when it failed was
            // cancelled, once, in that phase; finished ones just ended.
            let finished: Vec<usize> = ran
                .events
                .iter()
                .filter_map(|e| match e.kind {
                    EventKind::PhaseComplete { chunk, phase: p, .. } if p == phase => Some(chunk),
                    _ => None,
                })
                .collect();
            let mut cancelled: Vec<usize> = ran
                .events
                .iter()
                .filter_map(|e| match e.kind {
                    EventKind::ChunkCancelled { chunk, phase: p, waiting: false, .. } => {
                        assert_eq!(p, phase);
                        Some(chunk)
                    }
                    _ => None,
                })
                .collect();
            cancelled.sort_unstable();
            let expected: Vec<usize> =
                (0..chunks).filter(|chunk| *chunk != first && !finished.contains(chunk)).collect();
            assert_eq!(cancelled, expected, "{chunks} chunks, {phase:?}");
            let gather_end = positions(&ran.events, |k| matches!(k, EventKind::GatherEnd { failed: 1, .. }));
            let last_cancel = positions(&ran.events, |k| matches!(k, EventKind::ChunkCancelled { .. }));
            assert!(last_cancel.iter().all(|&at| at < gather_end[0]), "dropped before the join returns");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn gather_collect_runs_every_task_and_collects_the_failures() {
    for chunks in SIZES {
        let faults = vec![
            Fault::error(3, Phase::Embed),
            Fault::error(10, Phase::Score),
            Fault::hang(20, Phase::Embed),
            Fault::error(chunks - 1, Phase::Score),
        ];
        let config = RunConfig {
            chunks: Some(chunks),
            seed: Some(8),
            faults,
            phase_timeout_ms: Some(400.0),
            approach: Approach::GatherCollect,
            ..RunConfig::default()
        };
        let ran = run(&config).await;
        let outcome = ran.result.unwrap();
        let collected: Vec<(usize, Phase, bool)> = outcome
            .collected
            .iter()
            .map(|e| (e.chunk, e.phase, matches!(e.failure, Failure::TimedOut { after_ms: 400.0 })))
            .collect();
        assert_eq!(
            collected,
            [
                (3, Phase::Embed, false),
                (20, Phase::Embed, true),
                (10, Phase::Score, false),
                (chunks - 1, Phase::Score, false)
            ],
            "in gather order, then chunk order"
        );
        assert!(
            !ran.events.iter().any(|e| matches!(e.kind, EventKind::ChunkCancelled { .. })),
            "nobody cancelled"
        );
        assert_eq!(positions(&ran.events, |k| matches!(k, EventKind::ChunkFailed { .. })).len(), 4);
        assert_eq!(
            gathers(&ran.events),
            [(GatherStep::Embed, chunks, 2), (GatherStep::Score, chunks - 2, 2)]
        );
        // Phase 2 ran only for the chunks whose Phase 1 succeeded.
        let scoring: Vec<usize> = ran
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::PhaseStart { chunk, phase: Phase::Score, .. } => Some(chunk),
                _ => None,
            })
            .collect();
        assert!(!scoring.contains(&3) && !scoring.contains(&20) && scoring.len() == chunks - 2);
        assert_eq!(outcome.tasks, chunks + chunks - 2);
        assert!(outcome.top.iter().all(|r| ![3, 10, 20, chunks - 1].contains(&r.chunk)));
        assert!(outcome.dropped.is_empty(), "onChunkError is a barrier option");

        // The barrier's drop-out keeps the same chunks out of the same
        // places (embed failures never indexed, score failures indexed but
        // unranked): the same survivors' scores to the bit, the same answer.
        let drop_out = RunConfig {
            approach: Approach::Barrier,
            on_chunk_error: ChunkErrorPolicy::DropOut,
            ..config.clone()
        };
        let barrier = run(&drop_out).await;
        assert_eq!(score_bits(&ran.events, chunks), score_bits(&barrier.events, chunks));
        let barrier = barrier.result.unwrap();
        assert_eq!((outcome.top, outcome.answer), (barrier.top, barrier.answer));
    }
}

#[tokio::test(start_paused = true)]
async fn gather_collect_with_every_chunk_failing_has_nothing_to_answer_from() {
    let faults =
        (0..6).map(|chunk| Fault::error(chunk, if chunk % 2 == 0 { Phase::Embed } else { Phase::Score }));
    let config = RunConfig {
        chunks: Some(6),
        seed: Some(1),
        faults: faults.collect(),
        approach: Approach::GatherCollect,
        ..RunConfig::default()
    };
    let ran = run(&config).await;
    let Err(PipelineError::AllFailed(collected)) = ran.result else { panic!("{:?}", ran.result) };
    assert_eq!(collected.iter().map(|e| e.chunk).collect::<Vec<_>>(), [0, 2, 4, 1, 3, 5]);
    let message = PipelineError::AllFailed(collected).to_string();
    assert!(message.starts_with("every chunk failed, so there is nothing to answer from (the first: chunk-0 failed in Phase 1 (embed)"), "{message}");
    let EventKind::RunEnd { error: Some(error), .. } = &ran.events.last().unwrap().kind else { panic!() };
    assert_eq!(*error, message);
}

#[tokio::test(start_paused = true)]
async fn a_hang_without_a_timeout_hangs_gather_collect_forever_and_a_timeout_collects_it() {
    let hang = RunConfig {
        chunks: Some(46),
        seed: Some(4),
        faults: vec![Fault::hang(9, Phase::Embed)],
        approach: Approach::GatherCollect,
        ..RunConfig::default()
    };
    // Nothing cancels a task in gather-collect, so the gather never joins.
    let events = RefCell::new(Vec::new());
    let sink = |event: &Event| events.borrow_mut().push(event.clone());
    let hung = timeout(Some(GUARD_MS), rag_pipeline_until(&hang, None, pending(), &sink)).await;
    assert!(hung.is_err(), "still running after {GUARD_MS} ms of virtual time");
    let events = events.into_inner();
    let embedded = positions(&events, |k| matches!(k, EventKind::PhaseComplete { phase: Phase::Embed, .. }));
    assert_eq!(embedded.len(), 45, "every other chunk embedded");
    assert!(gathers(&events).is_empty(), "gather 1 never joined");

    let timed = RunConfig { phase_timeout_ms: Some(500.0), ..hang };
    let ran = run(&timed).await;
    let outcome = ran.result.unwrap();
    assert_eq!(outcome.collected.len(), 1);
    assert_eq!(outcome.collected[0].failure, Failure::TimedOut { after_ms: 500.0 });
    assert_eq!(outcome.collected[0].to_string(), "chunk-9 timed out in Phase 1 (embed) after 500 ms");
    // The join waited for the timeout: 500 ms, then Phase 2.
    assert!((outcome.makespan_ms - 550.0).abs() <= 2.0, "{}", outcome.makespan_ms);
}

#[tokio::test(start_paused = true)]
async fn the_store_step_makes_the_barrier_measurably_faster_than_the_gathers() {
    for seed in [1, 2, 3] {
        let base = RunConfig { seed: Some(seed), ..RunConfig::default() };
        let stored = RunConfig { store_ms: 20.0, ..base.clone() };
        let [barrier, gather, collect] = assert_same_answers(&stored, 46).await;
        // The gathers write after the slowest embedding: 12 rounds of 4
        // slots (46 / 4, rounded up) × 20 ms (each round's timer within 1 ms).
        let plain = run(&with(&base, Approach::Gather)).await.result.unwrap();
        let writes = 46usize.div_ceil(STORE_SLOTS) as f64 * 20.0;
        let expected = plain.makespan_ms + writes;
        assert!((gather.makespan_ms - expected).abs() <= 14.0, "{} vs {expected}", gather.makespan_ms);
        assert!((collect.makespan_ms - gather.makespan_ms).abs() <= 1.0);
        // The barrier hides most of it behind slower chunks' embeddings.
        assert!(
            barrier.makespan_ms + 100.0 < gather.makespan_ms,
            "seed {seed}: barrier {} vs gather {}",
            barrier.makespan_ms,
            gather.makespan_ms
        );
        println!(
            "seed {seed}: no store {:.0} ms; storeMs 20: barrier {:.0} ms, gather {:.0} ms",
            plain.makespan_ms, barrier.makespan_ms, gather.makespan_ms
        );
        assert_eq!(barrier.tasks, 46);
    }
}

#[tokio::test(start_paused = true)]
async fn without_a_store_barrier_and_gather_take_the_same_time() {
    for seed in [1, 2, 3] {
        let config = RunConfig { seed: Some(seed), ..RunConfig::default() };
        let barrier = run(&config).await.result.unwrap();
        let gather = run(&with(&config, Approach::Gather)).await.result.unwrap();
        assert!((barrier.makespan_ms - gather.makespan_ms).abs() <= 1.0, "seed {seed}");
    }
}

/// Store writes seen in `events`: (chunk, start index, complete index), checking
/// that no more than `STORE_SLOTS` are under way at once and each starts
/// after its chunk's Phase 1.
fn store_writes(events: &[Event]) -> Vec<(usize, usize, usize)> {
    let mut writes: Vec<(usize, usize, usize)> = Vec::new();
    let mut under_way = 0;
    for (at, event) in events.iter().enumerate() {
        match event.kind {
            EventKind::StoreStart { chunk, queued_ms } => {
                assert!(queued_ms >= 0.0);
                under_way += 1;
                assert!(under_way <= STORE_SLOTS, "at most {STORE_SLOTS} writes at a time");
                let embedded = positions(
                    events,
                    |k| matches!(k, EventKind::PhaseComplete { chunk: c, phase: Phase::Embed, .. } if *c == chunk),
                );
                assert!(embedded[0] < at, "chunk-{chunk} writes after its Phase 1");
                writes.push((chunk, at, usize::MAX));
            }
            EventKind::StoreComplete { chunk } => {
                under_way -= 1;
                let write = writes.iter_mut().find(|w| w.0 == chunk).unwrap();
                assert_eq!(write.2, usize::MAX, "one write per chunk");
                write.2 = at;
            }
            _ => {}
        }
    }
    writes
}

#[tokio::test(start_paused = true)]
async fn store_writes_take_four_at_a_time_before_the_barrier_or_between_the_gathers() {
    for chunks in SIZES {
        let config = RunConfig {
            chunks: Some(chunks),
            seed: Some(6),
            store_ms: 20.0,
            time_scale: 2.0,
            ..RunConfig::default()
        };
        for approach in Approach::ALL {
            let ran = run(&with(&config, approach)).await;
            let outcome = ran.result.unwrap();
            let writes = store_writes(&ran.events);
            assert_eq!(writes.len(), chunks, "{approach}: every chunk writes once");
            // Each write takes storeMs × timeScale, and starts when it got a slot.
            for &(chunk, start, complete) in &writes {
                let took = ran.events[complete].t_ms - ran.events[start].t_ms;
                assert!((took - 40.0).abs() <= 1.0, "{approach} chunk-{chunk}: {took} ms");
            }
            match approach {
                Approach::Barrier => {
                    // Inside the chunk's future, before it arrives at the barrier.
                    for &(chunk, _, complete) in &writes {
                        let arrive = positions(
                            &ran.events,
                            |k| matches!(k, EventKind::BarrierArrive { chunk: c, generation: 0, .. } if *c == chunk),
                        );
                        assert!(complete < arrive[0], "chunk-{chunk} writes before the barrier");
                    }
                    assert_eq!(outcome.tasks, chunks);
                }
                Approach::Gather | Approach::GatherCollect => {
                    let ended = gathers(&ran.events);
                    assert_eq!(ended[1], (GatherStep::Store, chunks, 0));
                    assert_eq!(outcome.tasks, 3 * chunks);
                    let log: Vec<String> = ran.events.iter().filter_map(Event::log_line).collect();
                    assert!(log.contains(&format!("Gather 2 (store): {chunks} tasks")));
                    assert!(log.contains(&format!("Gather 3 (score) joined: {chunks} tasks, 0 failed")));
                }
            }
        }
    }
}

/// The chunks of every event `pick` finds one in, sorted.
fn chunks_of(events: &[Event], pick: impl Fn(&EventKind) -> Option<usize>) -> Vec<usize> {
    let mut chunks: Vec<usize> = events.iter().filter_map(|e| pick(&e.kind)).collect();
    chunks.sort_unstable();
    chunks
}

#[tokio::test(start_paused = true)]
async fn stop_during_store_writes_cancels_each_unfinished_task_once() {
    // 250 chunks through 4 slots of 50 ms: with the gathers, the writes run
    // from ~300 ms to ~3.4 s; with the barrier, from ~100 ms on.
    for approach in Approach::ALL {
        for stop_at in [150.0, 400.0, 1_000.0] {
            let config = RunConfig {
                chunks: Some(250),
                seed: Some(3),
                store_ms: 50.0,
                approach,
                ..RunConfig::default()
            };
            let ran = run_until(&config, sleep_ms(stop_at)).await.unwrap();
            let label = format!("{approach}, stop at {stop_at} ms");
            assert_eq!(ran.result.unwrap_err(), PipelineError::Aborted, "{label}");
            let EventKind::RunEnd { aborted: true, .. } = ran.events.last().unwrap().kind else { panic!() };
            let cancelled = chunks_of(&ran.events, |k| match *k {
                EventKind::ChunkCancelled { chunk, .. } => Some(chunk),
                _ => None,
            });
            let written = chunks_of(&ran.events, |k| match *k {
                EventKind::StoreComplete { chunk } => Some(chunk),
                _ => None,
            });
            let embedded = chunks_of(&ran.events, |k| match *k {
                EventKind::PhaseComplete { chunk, phase: Phase::Embed, .. } => Some(chunk),
                _ => None,
            });
            let all: Vec<usize> = (0..250).collect();
            let not_in =
                |done: &[usize]| all.iter().copied().filter(|c| !done.contains(c)).collect::<Vec<_>>();
            match approach {
                // Every chunk future was alive: each reports once, parked at
                // the barrier once written, else in Phase 1 (the write is its tail).
                Approach::Barrier => {
                    assert_eq!(cancelled, all, "{label}");
                    for event in &ran.events {
                        if let EventKind::ChunkCancelled { chunk, phase, waiting, .. } = event.kind {
                            assert_eq!((phase, waiting), (Phase::Embed, written.contains(&chunk)), "{label}");
                        }
                    }
                }
                // Only the open gather's unfinished tasks were alive.
                Approach::Gather | Approach::GatherCollect => match gathers(&ran.events).len() {
                    0 => assert_eq!(cancelled, not_in(&embedded), "{label}: stopped in gather 1"),
                    1 => assert_eq!(cancelled, not_in(&written), "{label}: stopped in gather 2"),
                    n => panic!("{label}: stopped after {n} gathers"),
                },
            }
            assert!(stop_at < 300.0 || !written.is_empty(), "{label}: some writes finished");
            // Writes under way when stopped never complete, and were never more than four.
            let writes = store_writes(&ran.events[..ran.events.len() - 1]);
            assert!(writes.iter().filter(|w| w.2 == usize::MAX).count() <= STORE_SLOTS, "{label}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_replays_a_gathered_run_exactly() {
    for approach in [Approach::Gather, Approach::GatherCollect] {
        let config = RunConfig { seed: Some(21), store_ms: 10.0, approach, ..RunConfig::default() };
        let (first, second) = (run(&config).await, run(&config).await);
        assert_eq!(timeless(&first.events[1..]), timeless(&second.events[1..]));
        let times = |events: &[Event]| events.iter().map(|e| e.t_ms).collect::<Vec<_>>();
        assert_eq!(times(&first.events), times(&second.events));
    }
}

#[tokio::test(start_paused = true)]
async fn bad_store_ms_is_rejected_before_anything_runs() {
    for store_ms in [-1.0, 1_000.5, f64::NAN, f64::INFINITY] {
        let config = RunConfig { store_ms, ..RunConfig::default() };
        let ran = run(&config).await;
        let error = ran.result.unwrap_err().to_string();
        assert!(error.starts_with("storeMs must be a number from 0 to 1000 ms (got "), "{error}");
        assert!(ran.events.is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_under_the_barrier_drops_queued_and_running_store_writes() {
    for chunks in SIZES {
        // chunk-1 hangs until 400 ms, while the other chunks' writes (30 ms,
        // 4 at a time) still run and queue.
        let config = RunConfig {
            chunks: Some(chunks),
            seed: Some(5),
            store_ms: 30.0,
            faults: vec![Fault::hang(1, Phase::Embed)],
            phase_timeout_ms: Some(400.0),
            ..RunConfig::default()
        };
        let ran = run(&config).await;
        let Err(PipelineError::Chunk(error)) = ran.result else { panic!("{:?}", ran.result) };
        assert_eq!(error.chunk, 1);
        let failed = positions(&ran.events, |k| matches!(k, EventKind::ChunkFailed { .. }))[0];
        let stores = positions(&ran.events, |k| {
            matches!(k, EventKind::StoreStart { .. } | EventKind::StoreComplete { .. })
        });
        assert!(stores.iter().all(|&at| at < failed), "{chunks}: no write starts or ends after the failure");
        let written = chunks_of(&ran.events, |k| match *k {
            EventKind::StoreComplete { chunk } => Some(chunk),
            _ => None,
        });
        assert!(written.len() < chunks - 1, "{chunks}: writes were still queued");
        let cancelled = chunks_of(&ran.events, |k| match *k {
            EventKind::ChunkCancelled { chunk, .. } => Some(chunk),
            _ => None,
        });
        assert_eq!(cancelled, (0..chunks).filter(|&c| c != 1).collect::<Vec<_>>(), "each sibling once");
        for event in &ran.events {
            if let EventKind::ChunkCancelled { chunk, phase, waiting, .. } = event.kind {
                // Parked at the barrier once written; else still in Phase 1's tail (or its work).
                assert_eq!((phase, waiting), (Phase::Embed, written.contains(&chunk)), "chunk-{chunk}");
            }
        }
    }
}
