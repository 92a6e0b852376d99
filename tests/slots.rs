//! `Slots` (the store's and the pacer's semaphore) against a model, over
//! random schedules of hundreds of waiters cancelled at every point: before
//! their first poll, while queued, after a slot was handed to them but
//! before they took it, and while holding it. After every step:
//! - at most `slots` are held (held + handed + free == slots);
//! - a released slot goes to the oldest live waiter, which is woken, and to
//!   nobody else (first come, first served, no barging);
//! - a dropped queued waiter no longer counts, and is never handed a slot.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/probe.rs"]
mod probe;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use probe::Probe;
use proptest::prelude::*;
use rag_phase_sync::{Permit, Slots};

type Acquire<'s> = Pin<Box<dyn Future<Output = Permit<'s>> + 's>>;

/// Where one waiter is, as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Made, never polled: not queued yet.
    Unpolled,
    /// Polled, waiting in the queue.
    Queued,
    /// A slot was handed to it; its next poll takes it.
    Handed,
    /// It holds a slot.
    Holding,
}

struct Waiter<'s> {
    id: usize,
    acquire: Option<Acquire<'s>>,
    permit: Option<Permit<'s>>,
    probe: Probe,
    state: State,
}

/// The model: free slots, and the queue of live waiters by id, oldest first.
struct Model {
    slots: usize,
    free: usize,
    queue: VecDeque<usize>,
}

impl Model {
    /// A slot came back: the oldest queued waiter gets it (its id is
    /// returned), else it is free.
    fn release(&mut self, waiters: &mut [Waiter]) -> Option<usize> {
        let id = self.queue.pop_front();
        match id {
            Some(id) => waiters.iter_mut().find(|w| w.id == id).unwrap().state = State::Handed,
            None => self.free += 1,
        }
        id
    }
}

#[derive(Debug, Clone)]
enum Step {
    New,
    /// Poll the n-th waiter (modulo how many there are).
    Poll(usize),
    /// Drop the n-th waiter, whatever state it is in.
    Drop(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => Just(Step::New),
        6 => any::<usize>().prop_map(Step::Poll),
        4 => any::<usize>().prop_map(Step::Drop),
    ]
}

/// Runs `steps` against `Slots::new(slots)` and the model, checking both agree.
fn check(slots_count: usize, steps: &[Step]) {
    let slots = Slots::new(slots_count);
    let mut model = Model { slots: slots_count, free: slots_count, queue: VecDeque::new() };
    let mut waiters: Vec<Waiter> = Vec::new();
    let mut next_id = 0;
    for step in steps {
        match *step {
            Step::New => {
                let acquire: Acquire = Box::pin(slots.acquire());
                waiters.push(Waiter {
                    id: next_id,
                    acquire: Some(acquire),
                    permit: None,
                    probe: Probe::new(),
                    state: State::Unpolled,
                });
                next_id += 1;
            }
            Step::Poll(n) if !waiters.is_empty() => {
                let index = n % waiters.len();
                let waiter = &mut waiters[index];
                let Some(acquire) = waiter.acquire.as_mut() else { continue };
                let wakes = waiter.probe.wakes();
                let polled = waiter.probe.poll(acquire);
                let expected_ready = match waiter.state {
                    State::Unpolled if model.free > 0 && model.queue.is_empty() => {
                        model.free -= 1;
                        true
                    }
                    State::Unpolled => {
                        model.queue.push_back(waiter.id);
                        false
                    }
                    State::Queued => false,
                    State::Handed => true,
                    State::Holding => unreachable!("a holder has no acquire"),
                };
                assert_eq!(polled.is_ready(), expected_ready, "waiter {} in {:?}", waiter.id, waiter.state);
                assert_eq!(waiter.probe.wakes(), wakes, "a poll never wakes its own waiter");
                if let Poll::Ready(permit) = polled {
                    waiter.permit = Some(permit);
                    waiter.acquire = None;
                    waiter.state = State::Holding;
                } else {
                    waiter.state = State::Queued;
                }
            }
            Step::Drop(n) if !waiters.is_empty() => {
                let index = n % waiters.len();
                let waiter = waiters.remove(index);
                let state = waiter.state;
                if state == State::Queued {
                    model.queue.retain(|&id| id != waiter.id);
                }
                // Handed on before the model looks at who is woken.
                let before: Vec<(usize, usize)> = waiters.iter().map(|w| (w.id, w.probe.wakes())).collect();
                drop(waiter);
                let handed = match state {
                    State::Handed | State::Holding => model.release(&mut waiters),
                    State::Unpolled | State::Queued => None,
                };
                for (waiter, (id, wakes)) in waiters.iter().zip(before) {
                    assert_eq!(waiter.id, id);
                    let woken = waiter.probe.wakes() > wakes;
                    assert_eq!(woken, handed == Some(id), "woken iff handed the slot now (waiter {id})");
                }
            }
            Step::Poll(_) | Step::Drop(_) => {}
        }
        let held = waiters.iter().filter(|w| matches!(w.state, State::Handed | State::Holding)).count();
        assert_eq!(held + model.free, model.slots, "held + handed + free == slots");
        assert_eq!(slots.available(), model.free, "free slots");
        assert_eq!(slots.waiters(), model.queue.len(), "live queued waiters");
        assert_eq!(slots.is_free(), model.free > 0 && model.queue.is_empty());
    }
    // Dropping everyone, in any state, frees every slot.
    drop(waiters);
    assert_eq!((slots.available(), slots.waiters()), (slots_count, 0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn slots_agree_with_the_model(slots in 1usize..=5, steps in proptest::collection::vec(step(), 1..400)) {
        check(slots, &steps);
    }
}

/// 300 waiters behind 4 slots, cancelled at each point in turn: id 0 mod 4
/// before its first poll, 1 mod 4 while queued, 2 mod 4 after being handed
/// a slot but before taking it, 3 mod 4 while holding it. Each released slot
/// wakes exactly the oldest live waiter, and the survivors are served in
/// arrival order.
#[test]
fn three_hundred_waiters_cancelled_at_every_point_are_served_in_order() {
    struct Queued<'s> {
        id: usize,
        acquire: Acquire<'s>,
        probe: Probe,
    }
    let slots = Slots::new(4);
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut held: VecDeque<Permit> = VecDeque::new();
    for id in 0..300 {
        let mut acquire: Acquire = Box::pin(slots.acquire());
        if id % 4 == 0 {
            drop(acquire); // never polled: never queued
            continue;
        }
        let probe = Probe::new();
        match probe.poll(&mut acquire) {
            Poll::Ready(permit) => held.push_back(permit),
            Poll::Pending => queue.push_back(Queued { id, acquire, probe }),
        }
    }
    assert_eq!((held.len(), slots.available()), (4, 0), "ids 1, 2, 3 and 5 took the slots");
    queue.retain(|waiter| waiter.id % 4 != 1);
    assert_eq!(slots.waiters(), queue.len(), "cancelled while queued: no longer counted");
    let mut served = Vec::new();
    while let Some(permit) = held.pop_front() {
        drop(permit); // cancelled while holding: the slot goes on
        while let Some(first) = queue.front() {
            let woken: Vec<usize> =
                queue.iter().filter(|waiter| waiter.probe.wakes() > 0).map(|waiter| waiter.id).collect();
            assert_eq!(woken, [first.id], "only the oldest live waiter is handed the slot");
            let mut waiter = queue.pop_front().unwrap();
            if waiter.id % 4 == 2 {
                drop(waiter); // handed the slot, dropped before taking it: it passes on
                continue;
            }
            let Poll::Ready(permit) = waiter.probe.poll(&mut waiter.acquire) else {
                panic!("handed, so ready")
            };
            served.push(waiter.id);
            held.push_back(permit);
            break;
        }
    }
    let expected: Vec<usize> = (7..300).step_by(4).collect();
    assert_eq!(served, expected, "every waiter cancelled nowhere is served, in arrival order");
    assert_eq!((slots.available(), slots.waiters()), (4, 0));
}
