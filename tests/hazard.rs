//! The hazard demo on tokio's paused clock: a dropped barrier wait makes
//! async-barrier release a generation early with a false leader, and
//! PhaseBarrier withdraws the arrival instead. Every outcome is checked
//! against the event stream too, judged here independently.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;

use rag_phase_sync::{
    run_hazard, run_hazard_scenario, BarrierKind, Event, EventKind, HazardOutcome, HazardScenario, Missing,
    Parked, Phase,
};

async fn run(barrier: BarrierKind, time_scale: f64) -> (HazardOutcome, Vec<Event>) {
    run_script(&HazardScenario::SCRIPT, barrier, time_scale).await
}

async fn run_script(
    scenario: &HazardScenario,
    barrier: BarrierKind,
    time_scale: f64,
) -> (HazardOutcome, Vec<Event>) {
    let events = RefCell::new(Vec::new());
    let sink = |event: &Event| events.borrow_mut().push(event.clone());
    let outcome = run_hazard_scenario(scenario, barrier, time_scale, &sink).await.unwrap();
    (outcome, events.into_inner())
}

/// Where in `events` the first event matching `pick` is.
fn find(events: &[Event], pick: impl Fn(&EventKind) -> bool) -> usize {
    events.iter().position(|event| pick(&event.kind)).expect("no such event")
}

fn completes(chunk: usize, phase: Phase) -> impl Fn(&EventKind) -> bool {
    move |kind| matches!(*kind, EventKind::PhaseComplete { chunk: c, phase: p, .. } if c == chunk && p == phase)
}

/// (generation, t, leader) of every barrier-release event.
fn releases(events: &[Event]) -> Vec<(u64, f64, usize)> {
    let releases = events.iter().filter_map(|event| match event.kind {
        EventKind::BarrierRelease { generation, leader, .. } => Some((generation, event.t_ms, leader)),
        _ => None,
    });
    releases.collect()
}

/// The chunks each release left behind, judged from the events alone: those
/// whose completion of the phase the generation closes comes after it.
fn left_behind(events: &[Event]) -> Vec<Vec<usize>> {
    let positions = events.iter().enumerate().filter_map(|(at, event)| match event.kind {
        EventKind::BarrierRelease { generation, .. } => Some((at, generation)),
        _ => None,
    });
    positions
        .map(|(release, generation)| {
            let phase = if generation == 0 { Phase::Embed } else { Phase::Score };
            (0..4)
                .filter(|&chunk| {
                    let done = events.iter().position(|event| completes(chunk, phase)(&event.kind));
                    done.is_none_or(|done| done > release)
                })
                .collect()
        })
        .collect()
}

/// Whether every Phase 1 completion comes before every Phase 2 start: the barrier's promise.
fn phases_kept_apart(events: &[Event]) -> bool {
    let last_embed =
        events.iter().rposition(|e| matches!(e.kind, EventKind::PhaseComplete { phase: Phase::Embed, .. }));
    let first_score =
        events.iter().position(|e| matches!(e.kind, EventKind::PhaseStart { phase: Phase::Score, .. }));
    last_embed < first_score
}

/// What every run of the scenario promises, whatever the barrier: the
/// outcome says what the events show.
fn assert_outcome_matches_events(outcome: &HazardOutcome, events: &[Event]) {
    let from_outcome: Vec<(u64, f64, usize)> =
        outcome.releases.iter().map(|release| (release.generation, release.at_ms, release.leader)).collect();
    assert_eq!(from_outcome, releases(events), "one release per barrier-release event");
    let missing: Vec<Vec<usize>> = outcome
        .releases
        .iter()
        .map(|release| release.missing.iter().map(|missing| missing.chunk).collect())
        .collect();
    assert_eq!(missing, left_behind(events), "the chunks each release left behind");
    assert_eq!(outcome.invariant_held, phases_kept_apart(events) && missing.iter().all(Vec::is_empty));
    let withdrawals = events.iter().filter(|event| matches!(event.kind, EventKind::BarrierWithdraw { .. }));
    let withdrawn = outcome.cancelled_waits.iter().filter(|wait| wait.withdrawn);
    assert_eq!(withdrawn.count(), withdrawals.count(), "a withdrawn wait per barrier-withdraw");
    assert!(matches!(events.last().unwrap().kind, EventKind::RunEnd { error: None, aborted: false, .. }));
    assert_eq!(events.last().unwrap().t_ms, outcome.ended_ms);
    assert!(events.iter().all(|event| event.run == outcome.run), "one run id");
    assert!(events.windows(2).all(|pair| pair[0].t_ms <= pair[1].t_ms), "time never goes back");
}

#[tokio::test(start_paused = true)]
async fn async_barrier_releases_generation_0_early_with_a_false_leader() {
    let (outcome, events) = run(BarrierKind::Classic, 1.0).await;
    assert_outcome_matches_events(&outcome, &events);

    // chunk-1 gave up at 110 ms and its wait was dropped, but nothing withdrew its arrival...
    let gave_up =
        find(&events, |kind| matches!(kind, EventKind::WaitCancelled { chunk: 1, generation: 0, .. }));
    assert_eq!(events[gave_up].t_ms, 110.0);
    let line = events[gave_up].log_line().unwrap();
    assert_eq!(line, "chunk-1 gave up waiting after 50 ms: its wait was dropped");
    assert!(!events.iter().any(|event| matches!(event.kind, EventKind::BarrierWithdraw { .. })));
    assert_eq!(outcome.cancelled_waits.len(), 1);
    assert!(!outcome.cancelled_waits[0].withdrawn);

    // ...so its arrival again at once was the fourth: generation 0 released at 110 ms, chunk-1 its
    // leader, while chunk-3 was still embedding (until 200 ms).
    let generation_0 = &outcome.releases[0];
    assert_eq!((generation_0.generation, generation_0.at_ms, generation_0.leader), (0, 110.0, 1));
    let still_embedding =
        Missing { chunk: 3, phase: Phase::Embed, working: true, finished_at_ms: Some(200.0) };
    assert_eq!(generation_0.missing, [still_embedding]);
    assert_eq!(generation_0.counted_cancelled, [1], "the ghost arrival that released it");
    assert!(!phases_kept_apart(&events), "chunks started Phase 2 while chunk-3 embedded");
    let scoring = find(&events, |kind| matches!(kind, EventKind::PhaseStart { phase: Phase::Score, .. }));
    assert!(scoring < find(&events, completes(3, Phase::Embed)));

    // The off-by-one carries on: chunk-3's arrival after Phase 1 counts toward generation 1, which
    // it leads at 200 ms before it has scored; its last arrival parks in generation 2 for good.
    let arrival = find(&events, |kind| matches!(kind, EventKind::BarrierArrive { chunk: 3, .. }));
    assert!(matches!(events[arrival].kind, EventKind::BarrierArrive { arrived: 4, generation: 1, .. }));
    let generation_1 = &outcome.releases[1];
    assert_eq!((generation_1.at_ms, generation_1.leader), (200.0, 3));
    let not_scored = Missing { chunk: 3, phase: Phase::Score, working: false, finished_at_ms: Some(220.0) };
    assert_eq!(generation_1.missing, [not_scored]);
    assert_eq!(outcome.false_releases().count(), 2);
    assert_eq!(outcome.still_parked, [Parked { chunk: 3, generation: 2, since_ms: 220.0 }]);
    assert_eq!(outcome.finished, [0, 1, 2]);
    assert_eq!(outcome.ended_ms, 400.0, "the horizon ended it");
    assert!(!outcome.invariant_held);
    let cancelled = &events[events.len() - 2];
    assert_eq!(cancelled.log_line().unwrap(), "Cancelled: chunk-3 at the barrier after Phase 2");
}

#[tokio::test(start_paused = true)]
async fn phase_barrier_withdraws_the_dropped_arrival_and_waits_for_chunk_3() {
    let (outcome, events) = run(BarrierKind::Phase, 1.0).await;
    assert_outcome_matches_events(&outcome, &events);

    // The dropped wait took its arrival back, right after chunk-1 gave up.
    let gave_up = find(&events, |kind| matches!(kind, EventKind::WaitCancelled { chunk: 1, .. }));
    let withdrawn = find(&events, |kind| matches!(kind, EventKind::BarrierWithdraw { chunk: 1, .. }));
    assert_eq!(withdrawn, gave_up + 1);
    assert_eq!(events[withdrawn].t_ms, 110.0);
    assert!(matches!(
        events[withdrawn].kind,
        EventKind::BarrierWithdraw { arrived: 2, parties: 4, generation: 0, .. }
    ));
    assert!(matches!(events[withdrawn + 1].kind, EventKind::BarrierArrive { chunk: 1, arrived: 3, .. }));
    assert!(outcome.cancelled_waits[0].withdrawn);

    // Generation 0 waits for chunk-3, the last real arrival, and every chunk finishes.
    let led: Vec<(u64, f64, usize)> =
        outcome.releases.iter().map(|r| (r.generation, r.at_ms, r.leader)).collect();
    assert_eq!(led, [(0, 200.0, 3), (1, 250.0, 0)]);
    assert!(outcome.releases.iter().all(|release| release.missing.is_empty()));
    assert!(outcome.releases.iter().all(|release| release.counted_cancelled.is_empty()));
    assert_eq!(outcome.false_releases().count(), 0);
    assert!(phases_kept_apart(&events));
    assert!(outcome.invariant_held);
    assert!(outcome.still_parked.is_empty());
    assert_eq!(outcome.finished, [0, 1, 2, 3]);
    assert_eq!(outcome.ended_ms, 250.0, "it ended when the last chunk did, not at the horizon");
    assert!(!events.iter().any(|event| matches!(event.kind, EventKind::ChunkCancelled { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_patient_chunk_leaves_async_barrier_correct() {
    // The dropped wait is the whole hazard: with no timeout, the classic barrier is right too.
    let patient = HazardScenario { patience_ms: 1_000.0, ..HazardScenario::SCRIPT };
    for barrier in [BarrierKind::Classic, BarrierKind::Phase] {
        let (outcome, events) = run_script(&patient, barrier, 1.0).await;
        assert_outcome_matches_events(&outcome, &events);
        assert!(outcome.cancelled_waits.is_empty(), "{barrier}");
        assert_eq!((outcome.releases[0].at_ms, outcome.releases[0].leader), (200.0, 3), "{barrier}");
        assert!(outcome.invariant_held && outcome.still_parked.is_empty(), "{barrier}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_time_scale_stretches_every_moment_and_zero_still_shows_the_hazard() {
    let (classic, _) = run(BarrierKind::Classic, 3.0).await;
    assert_eq!((classic.releases[0].at_ms, classic.releases[0].leader), (330.0, 1));
    assert_eq!(classic.ended_ms, 1_200.0);
    let (phase, _) = run(BarrierKind::Phase, 3.0).await;
    assert_eq!((phase.releases[0].at_ms, phase.releases[0].leader), (600.0, 3));

    // No timer at all: the impatient chunk gives up at its first poll, and the outcome still
    // comes from what happened (no chunk left parked by a horizon that came too soon).
    let (classic, events) = run(BarrierKind::Classic, 0.0).await;
    assert_outcome_matches_events(&classic, &events);
    assert!(!classic.invariant_held);
    assert_eq!(classic.still_parked.len(), 1);
    let (phase, events) = run(BarrierKind::Phase, 0.0).await;
    assert_outcome_matches_events(&phase, &events);
    assert!(phase.invariant_held);
    assert_eq!(phase.finished, [0, 1, 2, 3]);
    assert_eq!(phase.releases[0].leader, 3, "chunk-3 arrives last even at time scale 0");
}

#[tokio::test(start_paused = true)]
async fn bad_scales_and_scripts_are_refused_naming_the_field() {
    let quiet = |_: &Event| {};
    for scale in [-1.0, f64::NAN, f64::INFINITY, 1_000.5] {
        let error = run_hazard(BarrierKind::Phase, scale, &quiet).await.unwrap_err();
        assert_eq!(error.field, "timeScale", "{scale}");
    }
    let script = HazardScenario::SCRIPT;
    let cases = [
        (HazardScenario { impatient: 4, ..script }, "impatient"),
        (HazardScenario { patience_ms: -1.0, ..script }, "patienceMs"),
        (HazardScenario { embed_ms: [40.0, f64::NAN, 80.0, 200.0], ..script }, "embedMs"),
        (HazardScenario { horizon_ms: 1e9, ..script }, "horizonMs"),
    ];
    for (scenario, field) in cases {
        let error = run_hazard_scenario(&scenario, BarrierKind::Classic, 1.0, &quiet).await.unwrap_err();
        assert_eq!(error.field, field);
    }
}

#[tokio::test(start_paused = true)]
async fn the_result_reads_as_the_page_receives_it() {
    let (outcome, events) = run(BarrierKind::Classic, 1.0).await;
    let mut json = String::new();
    outcome.write_json(&mut json);
    let false_release = r#""falseReleases":[{"generation":0,"atMs":110,"leader":1,"leaderId":"chunk-1","missing":[{"chunk":3,"id":"chunk-3","phase":"embed","working":true,"finishedAtMs":200}],"countedCancelled":[{"chunk":1,"id":"chunk-1"}],"false":true},"#;
    assert!(json.contains(false_release), "{json}");
    assert!(
        json.contains(r#""stillParked":[{"chunk":3,"id":"chunk-3","generation":2,"sinceMs":220}]"#),
        "{json}"
    );
    assert!(json.ends_with(r#""endedMs":400,"invariantHeld":false}"#), "{json}");
    let gave_up = events.iter().find(|event| matches!(event.kind, EventKind::WaitCancelled { .. })).unwrap();
    let mut json = String::new();
    gave_up.write_json(&mut json);
    let expected = r#""t":110,"line":"chunk-1 gave up waiting after 50 ms: its wait was dropped","chunk":1,"id":"chunk-1","generation":0,"waitedMs":50}"#;
    assert!(json.starts_with(r#"{"type":"wait-cancelled","run":"#) && json.ends_with(expected), "{json}");
    let mut json = String::new();
    HazardScenario::SCRIPT.write_json(&mut json);
    assert_eq!(
        json,
        r#"{"chunks":4,"embedMs":[40,60,80,200],"scoreMs":[50,30,30,20],"impatient":1,"impatientId":"chunk-1","patienceMs":50,"horizonMs":400}"#
    );
}
