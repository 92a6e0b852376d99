//! Invariants of a successful run, checked from its event stream alone.
//! Shared by the native tests and the browser tests.

use rag_phase_sync::{Event, EventKind, Phase};

/// Positions in `events` of every event matching `pick`.
pub fn positions(events: &[Event], pick: impl Fn(&EventKind) -> bool) -> Vec<usize> {
    events.iter().enumerate().filter(|(_, event)| pick(&event.kind)).map(|(i, _)| i).collect()
}

fn completes(phase: Phase) -> impl Fn(&EventKind) -> bool {
    move |kind| matches!(kind, EventKind::PhaseComplete { phase: p, .. } if *p == phase)
}

fn starts(phase: Phase) -> impl Fn(&EventKind) -> bool {
    move |kind| matches!(kind, EventKind::PhaseStart { phase: p, .. } if *p == phase)
}

/// Asserts everything a successful run of `chunks` chunks promises.
pub fn assert_run_invariants(events: &[Event], chunks: usize) {
    let embedded = positions(events, completes(Phase::Embed));
    let scoring = positions(events, starts(Phase::Score));
    let scored = positions(events, completes(Phase::Score));
    let top = positions(events, |kind| matches!(kind, EventKind::TopChunks { .. }));
    assert_eq!(embedded.len(), chunks, "one Phase 1 completion per chunk");
    assert_eq!(scored.len(), chunks, "one Phase 2 completion per chunk");
    assert_eq!(top.len(), 1, "one top-3 event");
    assert!(
        embedded.iter().max() < scoring.iter().min(),
        "every Phase 1 completion precedes every Phase 2 start"
    );
    assert!(scored.iter().max() < top.first(), "every Phase 2 completion precedes Phase 3");

    // The barrier ran exactly two generations, each released by its last arrival.
    let releases: Vec<(usize, u64)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| match event.kind {
            EventKind::BarrierRelease { generation, parties, .. } => {
                assert_eq!(parties, chunks);
                Some((i, generation))
            }
            _ => None,
        })
        .collect();
    assert_eq!(releases.iter().map(|r| r.1).collect::<Vec<_>>(), [0, 1], "two generations");
    for (release, generation) in releases {
        let arrivals = positions(
            events,
            |kind| matches!(kind, EventKind::BarrierArrive { generation: g, .. } if *g == generation),
        );
        assert_eq!(arrivals.len(), chunks, "every chunk arrives in generation {generation}");
        assert!(arrivals.iter().all(|&arrival| arrival < release), "release after every arrival");
    }

    // The top-3 are the three highest scores, in order (where no text repeats;
    // else the best, and the rest each below the one before).
    let mut scores: Vec<(usize, f64)> = events
        .iter()
        .filter_map(|event| match event.kind {
            EventKind::PhaseComplete { chunk, phase: Phase::Score, score, .. } => {
                Some((chunk, score.unwrap().score))
            }
            _ => None,
        })
        .collect();
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let expected: Vec<usize> = scores.iter().take(3).map(|s| s.0).collect();
    let EventKind::TopChunks { top, duplicates } = &events[top[0]].kind else { unreachable!() };
    let picked: Vec<usize> = top.iter().map(|s| s.chunk).collect();
    if *duplicates == 0 {
        assert_eq!(picked, expected, "top-3 by score");
    } else {
        assert_eq!(picked[0], expected[0], "the best chunk leads");
        assert!(top.windows(2).all(|pair| pair[0].score >= pair[1].score), "best first");
    }

    assert!(events.windows(2).all(|pair| pair[0].t_ms <= pair[1].t_ms), "time never goes back");
    let run = events[0].run;
    assert!(events.iter().all(|event| event.run == run), "one run id");
    assert!(matches!(events.last().unwrap().kind, EventKind::RunEnd { error: None, .. }));
}

/// The events as a person reads them, without times: what a seed must reproduce
/// even where timers jitter.
#[allow(dead_code)] // the native tests use it; browser timers jitter too much
pub fn timeless(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|event| event.kind.clone()).collect()
}
