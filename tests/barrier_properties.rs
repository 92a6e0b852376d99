//! PhaseBarrier against a model, over 10,000 random schedules that mix
//! arrivals, spurious polls, cancelled waiters (before and after release),
//! aborts, resets and drop-outs. After every step the barrier must agree with
//! the model, which states the promises:
//! - no generation releases before every remaining party has arrived
//!   (withdrawn arrivals don't count: no false leader after drops);
//! - every waiter is woken exactly once when its outcome is decided, never
//!   before, and sees the outcome the model predicts;
//! - exactly one leader per generation.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/probe.rs"]
mod probe;

use std::collections::{BTreeMap, BTreeSet};
use std::task::Poll;

use probe::Probe;
use proptest::prelude::*;
use rag_phase_sync::futures::Wait;
use rag_phase_sync::{BarrierError, PhaseBarrier};

#[derive(Debug, Clone)]
enum Step {
    Arrive,
    /// Poll the n-th live waiter again (index taken modulo how many there are).
    Repoll(usize),
    /// Drop the n-th live waiter, whatever state it is in.
    Cancel(usize),
    Abort,
    Reset,
    DropOut,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => Just(Step::Arrive),
        4 => any::<usize>().prop_map(Step::Repoll),
        3 => any::<usize>().prop_map(Step::Cancel),
        1 => Just(Step::Abort),
        1 => Just(Step::Reset),
        1 => Just(Step::DropOut),
    ]
}

/// What the model says a parked waiter's next poll returns.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Pending,
    Released(u64),
    Broken(String),
}

struct Waiter<'b> {
    wait: Wait<'b, 'static>,
    probe: Probe,
    expect: Expect,
}

#[derive(Default)]
struct Model {
    parties: usize,
    arrived: usize,
    generation: u64,
    broken: Option<String>,
    /// Leaders seen per released generation.
    leaders: BTreeMap<u64, usize>,
    /// Generations whose leader may be unknown: a released waiter was
    /// dropped before it was polled.
    unseen: BTreeSet<u64>,
}

impl Model {
    /// Decides every parked waiter's outcome.
    fn end_generation(&mut self, waiters: &mut [Waiter], outcome: Expect) {
        for waiter in waiters.iter_mut().filter(|w| w.expect == Expect::Pending) {
            waiter.expect = outcome.clone();
        }
        self.arrived = 0;
    }
}

fn run_schedule(parties: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    let barrier = PhaseBarrier::new(parties).unwrap();
    let mut model = Model { parties, ..Model::default() };
    let mut waiters: Vec<Waiter> = Vec::new();
    let mut aborts = 0;

    for step in steps {
        match *step {
            Step::Arrive => {
                let (mut wait, probe) = (barrier.wait(), Probe::new());
                let poll = probe.poll(&mut wait);
                if let Some(reason) = &model.broken {
                    prop_assert_eq!(poll, Poll::Ready(Err(BarrierError::Broken(reason.clone()))));
                } else if model.parties == 0 {
                    prop_assert_eq!(poll, Poll::Ready(Err(BarrierError::ZeroParties)));
                } else if model.arrived + 1 == model.parties {
                    let Poll::Ready(Ok(arrival)) = poll else {
                        return Err(TestCaseError::fail(format!("last arrival did not release: {poll:?}")));
                    };
                    prop_assert!(arrival.is_leader(), "the completing arrival leads");
                    prop_assert_eq!(arrival.generation(), model.generation);
                    *model.leaders.entry(model.generation).or_default() += 1;
                    model.end_generation(&mut waiters, Expect::Released(model.generation));
                    model.generation += 1;
                } else {
                    prop_assert!(poll.is_pending(), "released early: {:?}", poll);
                    model.arrived += 1;
                    waiters.push(Waiter { wait, probe, expect: Expect::Pending });
                }
            }
            Step::Repoll(n) if !waiters.is_empty() => {
                let index = n % waiters.len();
                let waiter = &mut waiters[index];
                let poll = waiter.probe.poll(&mut waiter.wait);
                match waiter.expect.clone() {
                    Expect::Pending => prop_assert!(poll.is_pending(), "released early: {:?}", poll),
                    Expect::Released(generation) => {
                        let Poll::Ready(Ok(arrival)) = poll else {
                            return Err(TestCaseError::fail(format!("expected a release, got {poll:?}")));
                        };
                        prop_assert_eq!(arrival.generation(), generation);
                        if arrival.is_leader() {
                            *model.leaders.entry(generation).or_default() += 1;
                        }
                        waiters.swap_remove(index);
                    }
                    Expect::Broken(reason) => {
                        prop_assert_eq!(poll, Poll::Ready(Err(BarrierError::Broken(reason))));
                        waiters.swap_remove(index);
                    }
                }
            }
            Step::Repoll(_) => {}
            Step::Cancel(n) if !waiters.is_empty() => {
                let waiter = waiters.swap_remove(n % waiters.len());
                match waiter.expect {
                    Expect::Pending => model.arrived -= 1,
                    Expect::Released(generation) => {
                        model.unseen.insert(generation);
                    }
                    Expect::Broken(_) => {}
                }
            }
            Step::Cancel(_) => {}
            Step::Abort => {
                aborts += 1;
                let reason = format!("abort {aborts}");
                barrier.abort(reason.clone());
                if model.broken.is_none() {
                    model.end_generation(&mut waiters, Expect::Broken(reason.clone()));
                    model.broken = Some(reason);
                }
            }
            Step::Reset => {
                barrier.reset();
                model.end_generation(&mut waiters, Expect::Broken("reset".into()));
                model.broken = None;
            }
            Step::DropOut => {
                let result = barrier.arrive_and_drop();
                if model.parties == 0 {
                    prop_assert_eq!(result, Err(BarrierError::ZeroParties));
                } else {
                    prop_assert_eq!(result, Ok(()));
                    model.parties -= 1;
                    if model.arrived > 0 && model.arrived == model.parties {
                        model.end_generation(&mut waiters, Expect::Released(model.generation));
                        model.generation += 1;
                    }
                }
            }
        }

        prop_assert_eq!(barrier.parties(), model.parties);
        prop_assert_eq!(barrier.arrived(), model.arrived);
        prop_assert_eq!(barrier.generation(), model.generation);
        prop_assert_eq!(barrier.is_broken(), model.broken.is_some());
        for waiter in &waiters {
            let expected_wakes = usize::from(waiter.expect != Expect::Pending);
            prop_assert_eq!(waiter.probe.wakes(), expected_wakes, "{:?}", waiter.expect);
        }
    }

    // Collect every decided outcome, then check the leaders.
    for mut waiter in waiters.drain(..) {
        let poll = waiter.probe.poll(&mut waiter.wait);
        match waiter.expect {
            Expect::Pending => prop_assert!(poll.is_pending()),
            Expect::Released(generation) => {
                if let Poll::Ready(Ok(arrival)) = poll {
                    *model.leaders.entry(generation).or_default() += usize::from(arrival.is_leader());
                } else {
                    return Err(TestCaseError::fail(format!("expected a release, got {poll:?}")));
                }
            }
            Expect::Broken(reason) => prop_assert_eq!(poll, Poll::Ready(Err(BarrierError::Broken(reason)))),
        }
    }
    prop_assert_eq!(barrier.arrived(), 0, "every parked wait withdrew when dropped");
    for generation in 0..model.generation {
        let leaders = model.leaders.get(&generation).copied().unwrap_or(0);
        if model.unseen.contains(&generation) {
            prop_assert!(leaders <= 1, "generation {} had {} leaders", generation, leaders);
        } else {
            prop_assert_eq!(leaders, 1, "generation {} leaders", generation);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn the_barrier_keeps_its_promises_over_random_schedules(
        parties in 1usize..=6,
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        run_schedule(parties, &steps)?;
    }
}
