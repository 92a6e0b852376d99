//! PhaseBarrier's promises, one scenario each, polled by hand so every wake
//! is counted; and the classic barrier's hazard, asserted as known.

#[path = "common/probe.rs"]
mod probe;

use std::cell::RefCell;
use std::task::Poll;

use futures::executor::block_on;
use futures::future::join_all;
use probe::Probe;
use rag_phase_sync::futures::Wait;
use rag_phase_sync::ClassicBarrier;
use rag_phase_sync::{BarrierError, BarrierSignal, PhaseBarrier};

/// A plain wait on `barrier` that has arrived and parked, polled by `probe`.
fn parked<'b, 'o>(barrier: &'b PhaseBarrier<'o>, probe: &Probe) -> Wait<'b, 'o> {
    let mut wait = barrier.wait();
    assert!(probe.poll(&mut wait).is_pending(), "arrived and parked");
    wait
}

fn leader_of(poll: Poll<Result<rag_phase_sync::Arrival, BarrierError>>) -> Option<(bool, u64)> {
    match poll {
        Poll::Ready(Ok(arrival)) => Some((arrival.is_leader(), arrival.generation())),
        Poll::Ready(Err(error)) => panic!("unexpected {error}"),
        Poll::Pending => None,
    }
}

#[test]
fn a_dropped_wait_withdraws_so_a_lone_wait_still_blocks() {
    let barrier = PhaseBarrier::new(2).unwrap();
    let (a, b, c) = (Probe::new(), Probe::new(), Probe::new());
    let first = parked(&barrier, &a);
    assert_eq!(barrier.arrived(), 1);
    drop(first); // cancelled while parked

    assert_eq!(barrier.arrived(), 0, "the arrival was withdrawn");
    let mut lone = barrier.wait();
    assert!(b.poll(&mut lone).is_pending(), "one party of two must not release the barrier");
    assert_eq!(barrier.generation(), 0);

    let mut last = barrier.wait();
    assert_eq!(leader_of(c.poll(&mut last)), Some((true, 0)), "the true last arrival leads");
    assert_eq!((a.wakes(), b.wakes()), (0, 1), "the dropped wait is never woken");
    assert_eq!(leader_of(b.poll(&mut lone)), Some((false, 0)));
}

#[test]
fn the_classic_barrier_counts_a_dropped_wait_and_releases_with_a_false_leader() {
    // The known hazard of async-barrier (and async_lock's and tokio's
    // barriers): kept as the "classic" option to show exactly this.
    let barrier = ClassicBarrier::new(2);
    let probe = Probe::new();
    let mut first = Box::pin(barrier.wait_as(0));
    assert!(probe.poll(&mut first).is_pending());
    drop(first);
    let mut lone = Box::pin(barrier.wait_as(1));
    let Poll::Ready(arrival) = probe.poll(&mut lone) else { panic!("the hazard is gone: update the docs") };
    assert!(arrival.is_leader(), "a lone party leads a release that should need two");
}

#[test]
fn zero_parties_is_an_error() {
    assert_eq!(PhaseBarrier::new(0).err(), Some(BarrierError::ZeroParties));
    assert_eq!(BarrierError::ZeroParties.to_string(), "a barrier needs at least 1 party (got 0)");
}

#[test]
fn a_party_that_fails_and_aborts_never_deadlocks_the_others() {
    // The seed's hazard: one party fails before the barrier. Even under a
    // plain join_all (no structured cancellation), abort frees the others.
    let barrier = PhaseBarrier::new(4).unwrap();
    let results = block_on(join_all((0..4).map(|party| {
        let barrier = &barrier;
        async move {
            if party == 2 {
                barrier.abort("chunk-2 failed in Phase 1 (embed)");
                return Err(BarrierError::Broken("it failed itself".into()));
            }
            barrier.wait_as(party).await
        }
    })));
    for (party, result) in results.iter().enumerate().filter(|(party, _)| *party != 2) {
        let expected = BarrierError::Broken("chunk-2 failed in Phase 1 (embed)".into());
        assert_eq!(result, &Err(expected), "party {party}");
    }
}

#[test]
fn abort_wakes_every_waiter_once_with_the_reason_and_reset_makes_it_usable() {
    let barrier = PhaseBarrier::new(3).unwrap();
    let probes = [Probe::new(), Probe::new()];
    let mut waits = probes.each_ref().map(|probe| parked(&barrier, probe));
    barrier.abort("chunk-5 failed");
    barrier.abort("a second reason is ignored");
    assert!(barrier.is_broken());
    assert_eq!(barrier.arrived(), 0);
    for (probe, wait) in probes.iter().zip(&mut waits) {
        assert_eq!(probe.wakes(), 1);
        assert_eq!(probe.poll(wait), Poll::Ready(Err(BarrierError::Broken("chunk-5 failed".into()))));
    }
    let later = Probe::new();
    assert_eq!(
        later.poll(&mut barrier.wait()),
        Poll::Ready(Err(BarrierError::Broken("chunk-5 failed".into()))),
        "a wait after abort fails at once"
    );

    barrier.reset();
    assert!(!barrier.is_broken());
    let arrivals = block_on(join_all((0..3).map(|_| barrier.wait())));
    let leaders = arrivals.iter().filter(|arrival| arrival.as_ref().unwrap().is_leader()).count();
    assert_eq!(leaders, 1);
    assert_eq!(barrier.generation(), 1);
}

#[test]
fn reset_breaks_waiters_of_an_unbroken_barrier() {
    let barrier = PhaseBarrier::new(2).unwrap();
    let probe = Probe::new();
    let mut wait = parked(&barrier, &probe);
    barrier.reset();
    assert_eq!(probe.wakes(), 1);
    assert_eq!(probe.poll(&mut wait), Poll::Ready(Err(BarrierError::Broken("reset".into()))));
    assert_eq!((barrier.arrived(), barrier.is_broken()), (0, false));
}

#[test]
fn arrive_and_drop_releases_a_generation_waiting_only_for_the_dropped_party() {
    let barrier = PhaseBarrier::new(3).unwrap();
    let probes = [Probe::new(), Probe::new()];
    let mut waits = probes.each_ref().map(|probe| parked(&barrier, probe));
    barrier.arrive_and_drop().unwrap();
    assert_eq!((barrier.parties(), barrier.generation()), (2, 1));
    let outcomes: Vec<(bool, u64)> =
        probes.iter().zip(&mut waits).map(|(probe, wait)| leader_of(probe.poll(wait)).unwrap()).collect();
    assert_eq!(probes.iter().map(Probe::wakes).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(outcomes.iter().filter(|(leader, _)| *leader).count(), 1, "one leader");
    assert!(outcomes.iter().all(|&(_, generation)| generation == 0));

    // Later generations need the two remaining parties only.
    let arrivals = block_on(join_all((0..2).map(|_| barrier.wait())));
    assert!(arrivals.iter().all(|arrival| arrival.as_ref().unwrap().generation() == 1));
    barrier.arrive_and_drop().unwrap();
    barrier.arrive_and_drop().unwrap();
    assert_eq!(barrier.arrive_and_drop(), Err(BarrierError::ZeroParties));
    assert_eq!(block_on(barrier.wait()), Err(BarrierError::ZeroParties));
}

#[test]
fn one_instance_runs_many_generations_with_one_leader_each() {
    let barrier = PhaseBarrier::new(5).unwrap();
    let arrivals = block_on(join_all((0..5).map(|_| async {
        let mut seen = Vec::new();
        for _ in 0..4 {
            let arrival = barrier.wait().await.unwrap();
            seen.push((arrival.generation(), arrival.is_leader()));
        }
        seen
    })));
    for generation in 0..4 {
        let leaders = arrivals.iter().filter(|seen| seen[generation as usize] == (generation, true)).count();
        assert_eq!(leaders, 1, "generation {generation}");
        assert!(arrivals.iter().all(|seen| seen[generation as usize].0 == generation));
    }
    assert_eq!(barrier.generation(), 4);
}

#[test]
fn a_wait_dropped_after_release_changes_nothing() {
    let barrier = PhaseBarrier::new(2).unwrap();
    let probe = Probe::new();
    let released = parked(&barrier, &probe);
    assert_eq!(leader_of(Probe::new().poll(&mut barrier.wait())), Some((true, 0)));
    drop(released); // woken, never polled again
    assert_eq!((barrier.arrived(), barrier.generation()), (0, 1));
    let mut next = barrier.wait();
    assert!(probe.poll(&mut next).is_pending(), "generation 1 still needs two parties");
}

#[test]
fn a_repolled_waiter_is_woken_once_on_its_latest_waker() {
    let barrier = PhaseBarrier::new(2).unwrap();
    let (old, new) = (Probe::new(), Probe::new());
    let mut wait = parked(&barrier, &old);
    assert!(new.poll(&mut wait).is_pending(), "a spurious poll does not release");
    assert_eq!(barrier.arrived(), 1, "nor arrive twice");
    assert!(Probe::new().poll(&mut barrier.wait()).is_ready());
    assert_eq!((old.wakes(), new.wakes()), (0, 1));
}

#[test]
fn the_observer_hears_every_arrival_withdrawal_release_and_break_in_order() {
    let heard = RefCell::new(Vec::new());
    let barrier =
        PhaseBarrier::new(2).unwrap().with_observer(|signal| heard.borrow_mut().push(signal.clone()));
    let probe = Probe::new();
    let mut cancelled = barrier.wait_as(7);
    assert!(probe.poll(&mut cancelled).is_pending());
    drop(cancelled);
    let mut first = barrier.wait_as(1);
    assert!(probe.poll(&mut first).is_pending());
    assert!(probe.poll(&mut barrier.wait_as(2)).is_ready());
    barrier.abort("stop");
    drop(first);
    drop(barrier);
    assert_eq!(
        heard.into_inner(),
        [
            BarrierSignal::Arrived { party: 7, arrived: 1, parties: 2, generation: 0 },
            BarrierSignal::Withdrawn { party: 7, arrived: 0, parties: 2, generation: 0 },
            BarrierSignal::Arrived { party: 1, arrived: 1, parties: 2, generation: 0 },
            BarrierSignal::Arrived { party: 2, arrived: 2, parties: 2, generation: 0 },
            BarrierSignal::Released { leader: 2, parties: 2, generation: 0 },
            BarrierSignal::Broken { reason: "stop".into(), generation: 1 },
        ]
    );
}

#[test]
fn the_observer_may_read_the_barrier_it_observes() {
    let seen = RefCell::new(Vec::new());
    let barrier = std::rc::Rc::new_cyclic(|weak: &std::rc::Weak<PhaseBarrier>| {
        let weak = weak.clone();
        let seen = &seen;
        PhaseBarrier::new(2).unwrap().with_observer(move |_| {
            let barrier = weak.upgrade().unwrap();
            seen.borrow_mut().push((barrier.arrived(), barrier.generation()));
        })
    });
    block_on(join_all((0..2).map(|_| barrier.wait()))).iter().for_each(|a| assert!(a.is_ok()));
    drop(barrier);
    assert_eq!(seen.into_inner(), [(1, 0), (0, 1), (0, 1)], "state is updated before the observer runs");
}
