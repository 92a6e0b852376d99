//! The fault matrix, natively on tokio's paused clock: `error` and `hang`
//! (with a phase timeout) × Phase 1 and 2 × the first, a middle and the last
//! chunk × both policies × 6, 31 and 200 chunks, and the classic barrier
//! where it applies (fail-fast). Each case must end within its latency plus
//! the timeout, name the right chunk and phase, or return the right
//! survivors.
//!
//! Above 30 futures `try_join_all` joins in order: a failure waits behind
//! every lower-index chunk, which under the classic barrier never comes back
//! and under `PhaseBarrier` comes back first with a "broken barrier" error
//! naming the wrong chunk. The 31- and 200-chunk fail-fast cases and
//! `the_first_failure_in_time_wins_over_a_lower_index` catch that mutation
//! of `run_group`.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::fmt;
use std::future::{pending, Future};

use rag_phase_sync::runtime::{sleep_ms, timeout};
use rag_phase_sync::{
    rag_pipeline_until, BarrierKind, ChunkErrorPolicy, Event, EventKind, Failure, Fault, FaultKind, Outcome,
    Phase, PipelineError, RunConfig,
};

/// The run sizes: below, just above and well above `try_join_all`'s 30.
const SIZES: [usize; 3] = [6, 31, 200];
/// Phase 1's simulated latency range.
const EMBED_MS: (f64, f64) = (100.0, 300.0);
/// Phase 2's simulated latency.
const SCORE_MS: f64 = 50.0;
/// Every matrix case's phase timeout: longer than any embed, so a hang is
/// always the last thing to end in its phase.
const TIMEOUT_MS: f64 = 400.0;
/// tokio's timer wheel has millisecond resolution.
const SLACK_MS: f64 = 2.0;
/// Virtual time after which a run counts as hung: a hang becomes a failing
/// case with its name instead of a test that never ends.
const GUARD_MS: f64 = 60_000.0;

/// One finished run: its result and every event it sent.
struct Ran {
    result: Result<Outcome, PipelineError>,
    events: Vec<Event>,
}

/// Runs `config` until it ends or `stop` resolves; `Err` if it is still
/// running after [`GUARD_MS`] of virtual time (it is dropped then).
async fn run_until(config: &RunConfig, stop: impl Future<Output = ()>) -> Result<Ran, String> {
    let events = RefCell::new(Vec::new());
    let sink = |event: &Event| events.borrow_mut().push(event.clone());
    let result = timeout(Some(GUARD_MS), rag_pipeline_until(config, None, stop, &sink)).await;
    let events = events.into_inner();
    match result {
        Ok(result) => Ok(Ran { result, events }),
        Err(_) => Err(format!("still running after {GUARD_MS} ms of virtual time: a hang")),
    }
}

async fn run(config: &RunConfig) -> Result<Ran, String> {
    run_until(config, pending()).await
}

/// A seeded run of `chunks` chunks with the matrix's latencies and timeout.
fn config(
    chunks: usize,
    seed: u64,
    faults: Vec<Fault>,
    policy: ChunkErrorPolicy,
    barrier: BarrierKind,
) -> RunConfig {
    RunConfig {
        chunks: Some(chunks),
        seed: Some(seed),
        embed_ms: EMBED_MS,
        score_ms: SCORE_MS,
        time_scale: 1.0,
        phase_timeout_ms: Some(TIMEOUT_MS),
        faults,
        on_chunk_error: policy,
        barrier,
        ..RunConfig::default()
    }
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
struct Case {
    chunks: usize,
    fault: Fault,
    policy: ChunkErrorPolicy,
    barrier: BarrierKind,
    seed: u64,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{} of {} chunks, {}, barrier {}, seed {}]",
            self.fault,
            self.chunks,
            self.policy.name(),
            self.barrier,
            self.seed
        )
    }
}

impl Case {
    fn config(&self) -> RunConfig {
        config(self.chunks, self.seed, vec![self.fault], self.policy, self.barrier)
    }
}

/// Every case for `policy` with `barrier`: sizes × first, middle, last chunk
/// × both phases × both kinds.
fn matrix(policy: ChunkErrorPolicy, barrier: BarrierKind) -> Vec<Case> {
    let mut cases = Vec::new();
    for chunks in SIZES {
        for chunk in [0, chunks / 2, chunks - 1] {
            for phase in [Phase::Embed, Phase::Score] {
                for kind in FaultKind::ALL {
                    let fault = Fault { chunk, phase, kind };
                    let seed = 1_000 + cases.len() as u64;
                    cases.push(Case { chunks, fault, policy, barrier, seed });
                }
            }
        }
    }
    cases
}

/// Runs every case, checking each with `check`; fails listing every case
/// that failed (not just the first), each with why.
async fn run_matrix(cases: &[Case], check: fn(&Case, &Ran) -> Result<(), String>) {
    let mut failed = Vec::new();
    for case in cases {
        let outcome = match run(&case.config()).await {
            Ok(ran) => check(case, &ran),
            Err(hang) => Err(hang),
        };
        if let Err(why) = outcome {
            failed.push(format!("{case}: {why}"));
        }
    }
    assert!(failed.is_empty(), "{} of {} cases failed:\n{}", failed.len(), cases.len(), failed.join("\n"));
}

/// `return Err(..)` from a case's check unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $($why:tt)+) => {
        if !$condition {
            return Err(format!($($why)+));
        }
    };
}

/// Positions in `events` of every event matching `pick`.
fn positions(events: &[Event], pick: impl Fn(&EventKind) -> bool) -> Vec<usize> {
    events.iter().enumerate().filter(|(_, event)| pick(&event.kind)).map(|(i, _)| i).collect()
}

/// Each chunk's planned Phase 1 latency, from its `phase-start` event.
fn planned_embeds(events: &[Event], chunks: usize) -> Vec<Option<f64>> {
    let mut planned = vec![None; chunks];
    for event in events {
        if let EventKind::PhaseStart { chunk, phase: Phase::Embed, planned_ms } = event.kind {
            planned[chunk] = planned_ms;
        }
    }
    planned
}

/// The slowest planned Phase 1 latency of the chunks that started it.
fn max_embed(events: &[Event], chunks: usize) -> f64 {
    planned_embeds(events, chunks).into_iter().flatten().fold(0.0, f64::max)
}

/// The chunks of every `chunk-cancelled` event, sorted (repeats kept).
fn cancelled(events: &[Event]) -> Vec<usize> {
    let mut chunks: Vec<usize> = events
        .iter()
        .filter_map(|event| match event.kind {
            EventKind::ChunkCancelled { chunk, .. } => Some(chunk),
            _ => None,
        })
        .collect();
    chunks.sort_unstable();
    chunks
}

/// The chunks that completed Phase 2, sorted.
fn scored(events: &[Event]) -> Vec<usize> {
    let mut chunks: Vec<usize> = events
        .iter()
        .filter_map(|event| match event.kind {
            EventKind::PhaseComplete { chunk, phase: Phase::Score, .. } => Some(chunk),
            _ => None,
        })
        .collect();
    chunks.sort_unstable();
    chunks
}

/// What every run promises, whatever happened: one run id, time never goes
/// back, and `run-end` is the one last event.
fn check_stream(events: &[Event]) -> Result<(), String> {
    ensure!(!events.is_empty(), "no events");
    let run = events[0].run;
    ensure!(events.iter().all(|event| event.run == run), "events from more than one run");
    ensure!(events.windows(2).all(|pair| pair[0].t_ms <= pair[1].t_ms), "time went back");
    let ends = positions(events, |kind| matches!(kind, EventKind::RunEnd { .. }));
    ensure!(
        ends == [events.len() - 1],
        "run-end at {ends:?} of {} events: it must be last and alone",
        events.len()
    );
    Ok(())
}

/// The failure an injected `kind` of fault must produce.
fn check_failure(kind: FaultKind, failure: &Failure) -> Result<(), String> {
    match kind {
        FaultKind::Hang => {
            ensure!(
                *failure == Failure::TimedOut { after_ms: TIMEOUT_MS },
                "expected a {TIMEOUT_MS} ms timeout, got {failure:?}"
            )
        }
        FaultKind::Error => ensure!(
            matches!(failure, Failure::Error(message) if message.contains("injected fault")),
            "expected the injected error, got {failure:?}"
        ),
    }
    Ok(())
}

/// When a lone `fault` makes its chunk fail, given the slowest planned embed.
fn fails_at(fault: Fault, max_embed: f64, planned: f64) -> f64 {
    match (fault.phase, fault.kind) {
        (Phase::Embed, FaultKind::Error) => planned,
        (Phase::Embed, FaultKind::Hang) => TIMEOUT_MS,
        (_, FaultKind::Error) => max_embed + SCORE_MS,
        (_, FaultKind::Hang) => max_embed + TIMEOUT_MS,
    }
}

/// Fail-fast: the run fails naming the faulty chunk, its phase and how, the
/// moment the fault fires; every sibling is cancelled exactly once.
fn check_fail_fast(case: &Case, ran: &Ran) -> Result<(), String> {
    let (events, fault, chunks) = (&ran.events, case.fault, case.chunks);
    let error = match &ran.result {
        Err(PipelineError::Chunk(error)) => error,
        other => return Err(format!("expected a chunk error, got {other:?}")),
    };
    ensure!(
        (error.chunk, error.phase) == (fault.chunk, fault.phase),
        "the error names chunk-{} in Phase {}: {error}",
        error.chunk,
        error.phase.number()
    );
    check_failure(fault.kind, &error.failure)?;
    let (id, number, name) = (format!("chunk-{}", fault.chunk), fault.phase.number(), fault.phase.name());
    let expected = match fault.kind {
        FaultKind::Error => format!("{id} failed in Phase {number} ({name})"),
        FaultKind::Hang => format!("{id} timed out in Phase {number} ({name}) after {TIMEOUT_MS} ms"),
    };
    let display = error.to_string();
    ensure!(display.starts_with(&expected), "{display:?} should start with {expected:?}");

    check_stream(events)?;
    let failed = positions(events, |kind| matches!(kind, EventKind::ChunkFailed { .. }));
    ensure!(failed.len() == 1, "{} chunk-failed events", failed.len());
    let EventKind::ChunkFailed { chunk, phase, timed_out, .. } = events[failed[0]].kind else {
        unreachable!()
    };
    ensure!(
        (chunk, phase, timed_out) == (fault.chunk, fault.phase, fault.kind == FaultKind::Hang),
        "chunk-failed says chunk-{chunk}, {phase:?}, timed_out {timed_out}"
    );
    let siblings: Vec<usize> = (0..chunks).filter(|&chunk| chunk != fault.chunk).collect();
    let cancelled = cancelled(events);
    ensure!(
        cancelled == siblings,
        "{} chunk-cancelled events for {} siblings (each exactly once, never the faulty chunk)",
        cancelled.len(),
        siblings.len()
    );
    let broken = positions(events, |kind| matches!(kind, EventKind::BarrierBroken { .. }));
    match case.barrier {
        BarrierKind::Phase => {
            ensure!(broken == [failed[0] + 1], "barrier-broken at {broken:?}, chunk-failed at {}", failed[0])
        }
        BarrierKind::Classic => {
            ensure!(broken.is_empty(), "the classic barrier cannot be broken: {broken:?}")
        }
    }
    ensure!(!events.iter().any(|e| matches!(e.kind, EventKind::ChunkDropped { .. })), "a chunk dropped out");

    let EventKind::RunEnd { makespan_ms, error: Some(message), aborted: false, .. } =
        &events[events.len() - 1].kind
    else {
        return Err(format!("the last event is {:?}", events[events.len() - 1].kind));
    };
    ensure!(*message == display, "run-end says {message:?}");
    let planned =
        planned_embeds(events, chunks)[fault.chunk].ok_or("the faulty chunk never started Phase 1")?;
    let deadline = fails_at(fault, max_embed(events, chunks), planned);
    ensure!(
        (deadline - SLACK_MS..=deadline + SLACK_MS).contains(makespan_ms),
        "makespan {makespan_ms} ms, expected {deadline} ms (± {SLACK_MS})"
    );
    Ok(())
}

/// Drop-out: the run answers from the survivors; each faulty chunk leaves
/// the barrier, which then waits for one party fewer; nothing is cancelled.
fn check_drop_out(chunks: usize, faults: &[Fault], ran: &Ran) -> Result<(), String> {
    let events = &ran.events;
    let outcome = match &ran.result {
        Ok(outcome) => outcome,
        Err(error) => return Err(format!("expected survivors, got {error:?}: {error}")),
    };
    check_stream(events)?;
    let faulty = |chunk: usize| faults.iter().any(|fault| fault.chunk == chunk);

    // Every faulty chunk dropped out once, with the right phase and failure,
    // in the order the drop-out events report.
    ensure!(outcome.dropped.len() == faults.len(), "dropped {:?}", outcome.dropped);
    for fault in faults {
        let Some(error) = outcome.dropped.iter().find(|error| error.chunk == fault.chunk) else {
            return Err(format!("chunk-{} is not among the dropped: {:?}", fault.chunk, outcome.dropped));
        };
        ensure!(error.phase == fault.phase, "chunk-{} dropped in {:?}", fault.chunk, error.phase);
        check_failure(fault.kind, &error.failure)?;
    }
    let drops: Vec<(usize, usize, Phase, usize)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| match event.kind {
            EventKind::ChunkDropped { chunk, phase, parties, .. } => Some((i, chunk, phase, parties)),
            _ => None,
        })
        .collect();
    let dropped_in_order: Vec<usize> = outcome.dropped.iter().map(|error| error.chunk).collect();
    ensure!(
        drops.iter().map(|drop| drop.1).collect::<Vec<_>>() == dropped_in_order,
        "chunk-dropped events {drops:?}, outcome.dropped {dropped_in_order:?}"
    );
    for (n, &(_, chunk, _, parties)) in drops.iter().enumerate() {
        ensure!(
            parties == chunks - 1 - n,
            "chunk-{chunk} dropped leaving {parties} parties, expected {}",
            chunks - 1 - n
        );
    }

    // Two generations: each waits for the chunks not yet dropped.
    let releases: Vec<(usize, u64, usize)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| match event.kind {
            EventKind::BarrierRelease { generation, parties, .. } => Some((i, generation, parties)),
            _ => None,
        })
        .collect();
    let in_embed = faults.iter().filter(|fault| fault.phase == Phase::Embed).count();
    let expected = [(0, chunks - in_embed), (1, chunks - faults.len())];
    ensure!(
        releases.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>() == expected,
        "barrier releases (generation, parties) {releases:?}, expected {expected:?}"
    );
    for &(at, chunk, phase, _) in &drops {
        let (after, before) = match phase {
            Phase::Embed => (0, releases[0].0),
            _ => (releases[0].0, releases[1].0),
        };
        ensure!((after..before).contains(&at), "chunk-{chunk} dropped at event {at}, outside {phase:?}");
    }

    let stray = positions(events, |kind| {
        matches!(
            kind,
            EventKind::ChunkCancelled { .. }
                | EventKind::ChunkFailed { .. }
                | EventKind::BarrierBroken { .. }
        )
    });
    let stray: Vec<&str> = stray.iter().map(|&at| events[at].kind.name()).collect();
    ensure!(stray.is_empty(), "under drop-out nothing is cancelled, failed or broken: {stray:?}");

    // The survivors, and only they, are scored and ranked.
    let survivors: Vec<usize> = (0..chunks).filter(|&chunk| !faulty(chunk)).collect();
    ensure!(
        scored(events) == survivors,
        "Phase 2 completed for {:?}, expected every survivor",
        scored(events)
    );
    let top: Vec<usize> = outcome.top.iter().map(|ranked| ranked.chunk).collect();
    ensure!(top.len() == survivors.len().min(3), "top {top:?}");
    ensure!(top.iter().all(|&chunk| !faulty(chunk)), "a dropped chunk is ranked: top {top:?}");
    let early: Vec<usize> = outcome.without_barrier.top.iter().map(|scored| scored.chunk).collect();
    ensure!(
        early.iter().all(|&chunk| !faulty(chunk)),
        "a dropped chunk is in without-barrier's top {early:?}"
    );
    let ranked = events.iter().find_map(|event| match &event.kind {
        EventKind::TopChunks { top, .. } => Some(top.iter().map(|scored| scored.chunk).collect::<Vec<_>>()),
        _ => None,
    });
    ensure!(ranked.as_ref() == Some(&top), "the top event says {ranked:?}, the outcome {top:?}");

    let EventKind::RunEnd { makespan_ms, error: None, aborted: false, .. } = events[events.len() - 1].kind
    else {
        return Err(format!("the last event is {:?}", events[events.len() - 1].kind));
    };
    ensure!(
        makespan_ms == outcome.makespan_ms,
        "run-end says {makespan_ms} ms, the outcome {}",
        outcome.makespan_ms
    );
    // Generation 0 releases when the last chunk is embedded or dropped out in
    // Phase 1; generation 1 when the last survivor of that is scored or
    // dropped out in Phase 2; Phase 3 takes no time.
    let planned = planned_embeds(events, chunks);
    let fault_of = |chunk: usize| faults.iter().find(|fault| fault.chunk == chunk).copied();
    let mut gen_0: f64 = 0.0;
    for (chunk, planned) in planned.iter().enumerate() {
        let planned = planned.ok_or_else(|| format!("chunk-{chunk} never started Phase 1"))?;
        gen_0 = gen_0.max(match fault_of(chunk) {
            Some(Fault { phase: Phase::Embed, kind: FaultKind::Hang, .. }) => TIMEOUT_MS,
            _ => planned,
        });
    }
    let gen_1 = (0..chunks)
        .map(|chunk| match fault_of(chunk) {
            Some(Fault { phase: Phase::Embed, .. }) => 0.0,
            Some(Fault { kind: FaultKind::Hang, .. }) => gen_0 + TIMEOUT_MS,
            _ => gen_0 + SCORE_MS,
        })
        .fold(0.0, f64::max);
    ensure!(
        (gen_1 - SLACK_MS..=gen_1 + SLACK_MS).contains(&makespan_ms),
        "makespan {makespan_ms} ms, expected {gen_1} ms (± {SLACK_MS})"
    );
    // One fault costs at most one timeout on top of a clean run (two in a
    // row, a Phase 1 hang then a Phase 2 hang, cost two).
    let bound = max_embed(events, chunks) + SCORE_MS + TIMEOUT_MS + SLACK_MS;
    ensure!(
        faults.len() > 1 || makespan_ms <= bound,
        "makespan {makespan_ms} ms beyond the slowest embed + score + timeout ({bound} ms)"
    );
    Ok(())
}

fn check_drop_out_case(case: &Case, ran: &Ran) -> Result<(), String> {
    check_drop_out(case.chunks, &[case.fault], ran)
}

#[tokio::test(start_paused = true)]
async fn fail_fast_matrix_with_the_phase_barrier() {
    let cases = matrix(ChunkErrorPolicy::FailFast, BarrierKind::Phase);
    assert_eq!(cases.len(), 36);
    run_matrix(&cases, check_fail_fast).await;
}

#[tokio::test(start_paused = true)]
async fn fail_fast_matrix_with_the_classic_barrier() {
    let cases = matrix(ChunkErrorPolicy::FailFast, BarrierKind::Classic);
    assert_eq!(cases.len(), 36);
    run_matrix(&cases, check_fail_fast).await;
}

#[tokio::test(start_paused = true)]
async fn drop_out_matrix() {
    let cases = matrix(ChunkErrorPolicy::DropOut, BarrierKind::Phase);
    assert_eq!(cases.len(), 36);
    run_matrix(&cases, check_drop_out_case).await;
}

#[tokio::test(start_paused = true)]
async fn drop_out_with_the_classic_barrier_is_rejected() {
    let config = config(6, 1, vec![], ChunkErrorPolicy::DropOut, BarrierKind::Classic);
    let error = config.validate().unwrap_err();
    assert_eq!(error.field, "onChunkError");
    assert!(
        error.to_string().starts_with("onChunkError cannot be \"drop-out\" with barrier \"classic\""),
        "{error}"
    );
    let ran = run(&config).await.unwrap();
    assert_eq!(ran.result.unwrap_err(), PipelineError::Config(error));
    assert!(ran.events.is_empty(), "nothing ran");
    // Fail-fast is the classic barrier's policy.
    let fail_fast = RunConfig { on_chunk_error: ChunkErrorPolicy::FailFast, ..config };
    assert_eq!(fail_fast.validate(), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn two_faults_in_one_run_drop_out_together() {
    let mut failed = Vec::new();
    for chunks in SIZES {
        let last = chunks - 1;
        let pairs = [
            [Fault::error(0, Phase::Embed), Fault::hang(last, Phase::Score)],
            [Fault::hang(0, Phase::Embed), Fault::error(last, Phase::Embed)],
            [Fault::error(0, Phase::Score), Fault::error(last, Phase::Score)],
            [Fault::hang(0, Phase::Score), Fault::hang(last, Phase::Embed)],
        ];
        for (n, faults) in pairs.into_iter().enumerate() {
            let seed = 7_000 + chunks as u64 + n as u64;
            let config = config(chunks, seed, faults.to_vec(), ChunkErrorPolicy::DropOut, BarrierKind::Phase);
            let checked = match run(&config).await {
                Ok(ran) => check_drop_out(chunks, &faults, &ran),
                Err(hang) => Err(hang),
            };
            if let Err(why) = checked {
                failed.push(format!(
                    "[{} and {} of {chunks} chunks, seed {seed}]: {why}",
                    faults[0], faults[1]
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn when_every_chunk_drops_out_there_is_nothing_to_answer_from() {
    for chunks in SIZES {
        for phase in [Phase::Embed, Phase::Score] {
            let faults = (0..chunks).map(|chunk| Fault::error(chunk, phase)).collect();
            let config = config(chunks, 3, faults, ChunkErrorPolicy::DropOut, BarrierKind::Phase);
            let ran = run(&config).await.unwrap();
            let case = format!("every one of {chunks} chunks errs in Phase {}", phase.number());
            let Err(PipelineError::AllDropped(dropped)) = &ran.result else {
                panic!("{case}: expected AllDropped, got {:?}", ran.result)
            };
            assert_eq!(dropped.len(), chunks, "{case}");
            let mut named: Vec<usize> = dropped.iter().map(|error| error.chunk).collect();
            named.sort_unstable();
            assert_eq!(named, (0..chunks).collect::<Vec<_>>(), "{case}: each chunk once");
            assert!(dropped.iter().all(|error| error.phase == phase), "{case}");
            check_stream(&ran.events).unwrap();
            assert!(cancelled(&ran.events).is_empty(), "{case}: nothing is cancelled");
            let EventKind::RunEnd { error: Some(message), aborted: false, .. } =
                &ran.events.last().unwrap().kind
            else {
                panic!("{case}: {:?}", ran.events.last())
            };
            assert_eq!(*message, ran.result.unwrap_err().to_string(), "{case}");
        }
    }
}

/// The error names the chunk that failed first in time, even when a chunk
/// with a lower index fails too, later: `try_join_all` (ordered above 30
/// futures) would wait for chunk-0 and name it.
#[tokio::test(start_paused = true)]
async fn the_first_failure_in_time_wins_over_a_lower_index() {
    let chunks = 200;
    for barrier in BarrierKind::ALL {
        for seed in [1, 2, 3, 42] {
            // The seed replays the latencies: a dry run shows who embeds fastest.
            let dry = run(&config(chunks, seed, vec![], ChunkErrorPolicy::FailFast, barrier)).await.unwrap();
            dry.result.as_ref().unwrap();
            let planned: Vec<f64> =
                planned_embeds(&dry.events, chunks).into_iter().map(Option::unwrap).collect();
            let mut order: Vec<usize> = (0..chunks).collect();
            order.sort_by(|&a, &b| planned[a].total_cmp(&planned[b]));
            let fastest = if order[0] == 0 { order[1] } else { order[0] };
            let case =
                format!("[chunk-0 and chunk-{fastest} err in Phase 1, barrier {barrier}, seed {seed}]");
            assert!(
                planned[fastest] + 2.0 * SLACK_MS < planned[0],
                "{case}: chunk-{fastest} ({} ms) must embed well before chunk-0 ({} ms)",
                planned[fastest],
                planned[0]
            );

            let faults = vec![Fault::error(0, Phase::Embed), Fault::error(fastest, Phase::Embed)];
            let ran = run(&config(chunks, seed, faults, ChunkErrorPolicy::FailFast, barrier))
                .await
                .unwrap_or_else(|hang| panic!("{case}: {hang}"));
            let replayed = planned_embeds(&ran.events, chunks);
            assert_eq!(replayed[fastest], Some(planned[fastest]), "{case}: the seed replays the latencies");
            let Err(PipelineError::Chunk(error)) = &ran.result else {
                panic!("{case}: expected a chunk error, got {:?}", ran.result)
            };
            assert_eq!((error.chunk, error.phase), (fastest, Phase::Embed), "{case}: {error}");
            assert!(
                error.to_string().starts_with(&format!("chunk-{fastest} failed in Phase 1 (embed)")),
                "{case}"
            );
            check_stream(&ran.events).unwrap();
            let expected: Vec<usize> = (0..chunks).filter(|&chunk| chunk != fastest).collect();
            assert_eq!(cancelled(&ran.events), expected, "{case}: chunk-0 is cancelled, not failed");
            let EventKind::RunEnd { makespan_ms, .. } = ran.events.last().unwrap().kind else {
                unreachable!()
            };
            assert!((makespan_ms - planned[fastest]).abs() <= SLACK_MS, "{case}: ended at {makespan_ms} ms");
        }
    }
}

/// Checks a stopped run: `Aborted`, every chunk cancelled exactly once, and
/// `run-end` (aborted) last, at `at_ms`.
fn check_aborted(case: &str, ran: &Ran, chunks: usize, at_ms: f64) {
    assert_eq!(ran.result, Err(PipelineError::Aborted), "{case}");
    check_stream(&ran.events).unwrap_or_else(|why| panic!("{case}: {why}"));
    assert_eq!(cancelled(&ran.events), (0..chunks).collect::<Vec<_>>(), "{case}: each chunk cancelled once");
    let failed = positions(&ran.events, |k| {
        matches!(k, EventKind::ChunkFailed { .. } | EventKind::ChunkDropped { .. })
    });
    assert!(failed.is_empty(), "{case}: nothing failed");
    let last = ran.events.last().unwrap();
    let EventKind::RunEnd { makespan_ms, error: Some(message), aborted: true, .. } = &last.kind else {
        panic!("{case}: the last event is {:?}", last.kind)
    };
    assert_eq!(*message, PipelineError::Aborted.to_string(), "{case}");
    assert!((last.t_ms - at_ms).abs() <= SLACK_MS, "{case}: run-end at {} ms, expected {at_ms}", last.t_ms);
    assert!((makespan_ms - at_ms).abs() <= SLACK_MS, "{case}: makespan {makespan_ms} ms");
}

#[tokio::test(start_paused = true)]
async fn stop_cancels_every_chunk_at_once() {
    let chunks = 200;
    let runs = [
        (ChunkErrorPolicy::FailFast, BarrierKind::Phase),
        (ChunkErrorPolicy::FailFast, BarrierKind::Classic),
        (ChunkErrorPolicy::DropOut, BarrierKind::Phase),
    ];
    for (policy, barrier) in runs {
        let case = format!("[stop at 150 ms, {chunks} chunks, {}, barrier {barrier}]", policy.name());
        let config = config(chunks, 5, vec![], policy, barrier);
        let ran = run_until(&config, sleep_ms(150.0)).await.unwrap_or_else(|hang| panic!("{case}: {hang}"));
        check_aborted(&case, &ran, chunks, 150.0);
        // At 150 ms some chunks (100 to 300 ms) are parked at the barrier, others still embedding.
        let waiting = |want: bool| {
            ran.events
                .iter()
                .any(|e| matches!(e.kind, EventKind::ChunkCancelled { waiting, .. } if waiting == want))
        };
        assert!(waiting(true) && waiting(false), "{case}: both parked and embedding chunks are cancelled");
    }
}

#[tokio::test(start_paused = true)]
async fn stop_ends_a_hang_that_has_no_timeout() {
    let chunks = 200;
    for policy in ChunkErrorPolicy::ALL {
        for phase in [Phase::Embed, Phase::Score] {
            let fault = Fault::hang(chunks / 2, phase);
            let case = format!("[{fault}, no timeout, stop at 1000 ms, {}]", policy.name());
            let config = RunConfig {
                phase_timeout_ms: None,
                ..config(chunks, 6, vec![fault], policy, BarrierKind::Phase)
            };
            let ran =
                run_until(&config, sleep_ms(1000.0)).await.unwrap_or_else(|hang| panic!("{case}: {hang}"));
            check_aborted(&case, &ran, chunks, 1000.0);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn with_zero_latencies_no_cancelled_sibling_is_lost() {
    // Past START_SLICE, some chunks' futures are never even made: they still
    // report their cancellation.
    for (chunks, barrier) in [200, 3 * rag_phase_sync::START_SLICE]
        .into_iter()
        .flat_map(|chunks| BarrierKind::ALL.map(|barrier| (chunks, barrier)))
    {
        let case = format!("[chunk-0 errs in Phase 1 of {chunks} chunks at zero latency, barrier {barrier}]");
        let config = RunConfig {
            embed_ms: (0.0, 0.0),
            score_ms: 0.0,
            ..config(chunks, 9, vec![Fault::error(0, Phase::Embed)], ChunkErrorPolicy::FailFast, barrier)
        };
        let ran = run(&config).await.unwrap_or_else(|hang| panic!("{case}: {hang}"));
        let Err(PipelineError::Chunk(error)) = &ran.result else { panic!("{case}: got {:?}", ran.result) };
        assert_eq!((error.chunk, error.phase), (0, Phase::Embed), "{case}");
        check_stream(&ran.events).unwrap_or_else(|why| panic!("{case}: {why}"));
        let cancelled = cancelled(&ran.events);
        assert_eq!(cancelled.len(), chunks - 1, "{case}");
        assert_eq!(cancelled, (1..chunks).collect::<Vec<_>>(), "{case}: each sibling exactly once");
        let unstarted = ran
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ChunkCancelled { started: false, .. }))
            .count();
        assert!(unstarted > 0, "{case}: some siblings were cancelled before they were ever polled");
    }
}
