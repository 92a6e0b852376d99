//! `PhaseBarrier`: a reusable, cancel-safe, breakable, observable barrier for
//! futures on one thread (the browser's event loop).
//!
//! `parties` futures call [`PhaseBarrier::wait`]; each parks until all of them
//! have arrived, then the generation is *released*: every waiter resumes, the
//! last to arrive is its leader, and the barrier is ready for the next
//! generation. What the barriers we measured (`async-barrier`,
//! `async_lock::Barrier`, `tokio::sync::Barrier`) lack, and this one promises:
//!
//! - **Cancel-safe**: a `wait()` future dropped before its generation is
//!   released withdraws its arrival (as Python's `asyncio.Barrier` does), so a
//!   later arrival can never release early with a false leader. Dropped after
//!   release, it changes nothing.
//! - **Breakable**: [`abort`](PhaseBarrier::abort) wakes every parked,
//!   unreleased waiter with [`BarrierError::Broken`] and fails later waits until
//!   [`reset`](PhaseBarrier::reset) (Java's `CyclicBarrier`), so a failing party
//!   cannot deadlock the others.
//! - **Shrinkable**: [`arrive_and_drop`](PhaseBarrier::arrive_and_drop) lets a
//!   party leave for good (C++'s `std::barrier`).
//! - **Observable**: an observer hears of every arrival, withdrawal, release
//!   and break as a [`BarrierSignal`], so the pipeline can stream events
//!   without the barrier knowing about them.
//! - `new(0)` is an error, not a barrier of one.
//!
//! Costs: an arrival is O(1); a release is O(waiters) and wakes each waiter
//! exactly once. Waiters live in a slab (`slots` plus a free list), so a
//! withdrawal is O(1) too.
//!
//! ```
//! use futures::executor::block_on;
//! use futures::future::join_all;
//! use rag_phase_sync::PhaseBarrier;
//!
//! let barrier = PhaseBarrier::new(3).unwrap();
//! let arrivals = block_on(join_all((0..3).map(|_| barrier.wait())));
//! let leaders = arrivals.iter().filter(|arrival| arrival.as_ref().unwrap().is_leader()).count();
//! assert_eq!(leaders, 1);
//! assert_eq!(barrier.generation(), 1);
//! ```
//!
//! # Differences from Python's `asyncio.Barrier`
//!
//! Ported from CPython's own `BarrierTests` (`tests/barrier_cpython.rs`),
//! PhaseBarrier passes all but the cases below, where it differs on purpose:
//!
//! - **`wait()` returns an [`Arrival`], not an index.** Python's `wait()`
//!   returns how many tasks were already waiting when the task arrived, so the
//!   task whose arrival fills the barrier gets `parties - 1`: that task is our
//!   leader ([`Arrival::is_leader`]). The other indexes are not returned;
//!   [`arrived`](PhaseBarrier::arrived), read just before the first poll, is
//!   the same number.
//! - **A release is final.** After a release Python's barrier *drains*: nobody
//!   enters until every released task has left, and a `reset()` or `abort()`
//!   during the drain still breaks the released tasks that have not resumed.
//!   Here a released wait resolves `Ok` even when it is first polled after an
//!   `abort` or `reset`, and the barrier fills the next generation at once.
//! - **Nobody is held outside.** A task that waits again while Python's barrier
//!   drains is kept out, uncounted, beyond the reach of `reset()`; here it is
//!   parked in the next generation at once, and [`reset`](PhaseBarrier::reset)
//!   breaks it like any parked waiter. Python code that resets from the last
//!   task out of a release can therefore strand a task here (see `reset`).
//! - `abort(reason)` and `reset()` are plain calls, not coroutines; the error
//!   carries the reason ([`BarrierError::Broken`]); `arrived()` is `n_waiting`,
//!   except that it counts the next generation's arrivals where Python reports
//!   0 while draining; [`arrive_and_drop`](PhaseBarrier::arrive_and_drop) has
//!   no Python counterpart.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Why a barrier could not be built or waited on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BarrierError {
    /// The barrier has no parties: `new(0)`, or every party has dropped out.
    ZeroParties,
    /// The barrier was aborted for this reason and not yet reset.
    Broken(String),
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarrierError::ZeroParties => f.write_str("a barrier needs at least 1 party (got 0)"),
            BarrierError::Broken(reason) => write!(f, "the barrier is broken: {reason}"),
        }
    }
}

impl std::error::Error for BarrierError {}

/// What one `wait()` returns once its generation is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    leader: bool,
    generation: u64,
}

impl Arrival {
    /// An arrival released in `generation`, led by this party or not.
    pub(crate) fn new(leader: bool, generation: u64) -> Self {
        Arrival { leader, generation }
    }

    /// Whether this party led the release; exactly one per generation.
    pub fn is_leader(&self) -> bool {
        self.leader
    }

    /// Which generation released this party: 0 for the first, then 1, 2, …
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// What the barrier tells its observer, as it happens.
///
/// `party` is the id given to [`PhaseBarrier::wait_as`] (the pipeline passes
/// the chunk index); plain [`PhaseBarrier::wait`] passes [`ANONYMOUS`].
/// Each variant's doc names its fields in a sentence, which reads better
/// than a line per field.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BarrierSignal {
    /// `party` arrived: `arrived` of `parties` are now in `generation`.
    Arrived { party: usize, arrived: usize, parties: usize, generation: u64 },
    /// `party`'s wait was dropped before release; its arrival was withdrawn.
    Withdrawn { party: usize, arrived: usize, parties: usize, generation: u64 },
    /// `generation` was released with `leader` as its leader.
    Released { leader: usize, parties: usize, generation: u64 },
    /// A party left for good; `parties` remain.
    Dropped { parties: usize, generation: u64 },
    /// The barrier was aborted; waiters get [`BarrierError::Broken`].
    Broken { reason: String, generation: u64 },
    /// The barrier was reset and accepts waiters again.
    Reset { generation: u64 },
}

/// A callback that hears a barrier's signals.
type Callback<'o> = Box<dyn Fn(&BarrierSignal) + 'o>;

/// Who hears a barrier's signals: nobody, or one callback.
#[derive(Default)]
pub(crate) struct Observer<'o>(Option<Callback<'o>>);

impl<'o> Observer<'o> {
    pub(crate) fn new(callback: impl Fn(&BarrierSignal) + 'o) -> Self {
        Observer(Some(Box::new(callback)))
    }

    pub(crate) fn notify(&self, signal: BarrierSignal) {
        if let Some(callback) = &self.0 {
            callback(&signal);
        }
    }
}

/// The party id of a plain [`PhaseBarrier::wait`].
pub const ANONYMOUS: usize = usize::MAX;

/// A reusable barrier for `parties` futures on one thread; see the module docs.
///
/// The observer may borrow from its surroundings (lifetime `'o`), which is why
/// the barrier is borrowed by its waiters rather than shared through an `Rc`.
pub struct PhaseBarrier<'o> {
    state: RefCell<State>,
    observer: Observer<'o>,
}

/// The barrier's bookkeeping. Invariant: `arrived` is the number of
/// `Slot::Waiting` entries, and it is below `parties` whenever it is not 0
/// (reaching `parties` releases at once).
struct State {
    parties: usize,
    arrived: usize,
    generation: u64,
    broken: Option<Rc<str>>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// Reused between releases so a release allocates nothing in steady state.
    to_wake: Vec<Waker>,
}

/// One parked `wait()`: waiting, or told its outcome and not yet polled.
enum Slot {
    Free,
    Waiting { waker: Waker, party: usize },
    Released { leader: bool },
    Broken(Rc<str>),
}

impl<'o> PhaseBarrier<'o> {
    /// A barrier that releases each generation when `parties` waiters have arrived.
    ///
    /// ```
    /// use rag_phase_sync::{BarrierError, PhaseBarrier};
    /// assert_eq!(PhaseBarrier::new(0).err(), Some(BarrierError::ZeroParties));
    /// assert_eq!(PhaseBarrier::new(4).unwrap().parties(), 4);
    /// ```
    pub fn new(parties: usize) -> Result<Self, BarrierError> {
        if parties == 0 {
            return Err(BarrierError::ZeroParties);
        }
        let state = State {
            parties,
            arrived: 0,
            generation: 0,
            broken: None,
            slots: Vec::new(),
            free: Vec::new(),
            to_wake: Vec::new(),
        };
        Ok(PhaseBarrier { state: RefCell::new(state), observer: Observer::default() })
    }

    /// The same barrier, reporting every [`BarrierSignal`] to `observer`. The
    /// observer runs after the barrier's state is updated and unborrowed, so
    /// it may call the barrier's observers (`arrived()`, …).
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use rag_phase_sync::{BarrierSignal, PhaseBarrier};
    /// let heard = RefCell::new(Vec::new());
    /// let barrier = PhaseBarrier::new(1).unwrap().with_observer(|s| heard.borrow_mut().push(s.clone()));
    /// futures::executor::block_on(barrier.wait_as(7)).unwrap();
    /// drop(barrier);
    /// assert_eq!(heard.into_inner()[1], BarrierSignal::Released { leader: 7, parties: 1, generation: 0 });
    /// ```
    pub fn with_observer(self, observer: impl Fn(&BarrierSignal) + 'o) -> Self {
        PhaseBarrier { observer: Observer::new(observer), ..self }
    }

    /// Waits until every party has arrived in this generation.
    ///
    /// The arrival happens when the future is first polled, not when `wait()`
    /// is called. The future resolves to an [`Arrival`] when its generation is
    /// released (at once, as the leader, for the arrival that completes it), or
    /// to [`BarrierError::Broken`] if the barrier is aborted or reset first; on
    /// a broken barrier, at the first poll. With no parties left (every one
    /// dropped out) it resolves to [`BarrierError::ZeroParties`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future is always safe; what it does depends on when:
    ///
    /// - Before its first poll: nothing, it never arrived.
    /// - Parked, its generation neither released nor broken: its arrival is
    ///   withdrawn (`arrived()` goes down by one and the observer hears
    ///   [`BarrierSignal::Withdrawn`]), so no later arrival can release the
    ///   generation early with a false leader. Calling `wait()` again arrives
    ///   afresh.
    /// - Its outcome decided (released or broken) but not yet polled: nothing
    ///   changes for anyone else. A release stays a release, and if this wait
    ///   was the leader an [`arrive_and_drop`](Self::arrive_and_drop) picked, the
    ///   generation's leader goes unseen. This party's own pass is lost,
    ///   though: a new `wait()` arrives in the *next* generation. So in a
    ///   `select!` loop that recreates the wait, no arrival is ever lost or
    ///   counted twice, but a pass is lost when another branch wins the turn
    ///   after the release.
    ///
    /// # Panics
    ///
    /// Polling the future again after it returned `Ready` panics ("barrier wait
    /// polled after it completed"). Nothing else in a wait panics with ordinary
    /// wakers: the barrier's state is a `RefCell`, and the observer and the
    /// wakers' `wake` run with it unborrowed, so they may use the barrier, even
    /// poll a wait. The exception is a waker whose own `clone` or `drop` calls
    /// back into this barrier: a poll clones the task's waker (and drops the
    /// one it replaces) while it holds the state, so such a waker panics with
    /// "RefCell already mutably borrowed".
    pub fn wait(&self) -> Wait<'_, 'o> {
        self.wait_as(ANONYMOUS)
    }

    /// [`wait`](Self::wait), naming the waiting party in the observer's signals.
    pub fn wait_as(&self, party: usize) -> Wait<'_, 'o> {
        Wait { barrier: self, party, stage: Stage::NotArrived }
    }

    /// Breaks the barrier: every parked, unreleased and later `wait()` resolves
    /// to [`BarrierError::Broken`] with `reason`, until [`reset`](Self::reset).
    /// A wait already released keeps its `Ok`, even when it is first polled
    /// after the abort: a release is final (Python's draining barrier would
    /// break it). Aborting a broken barrier keeps the first reason.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use rag_phase_sync::{BarrierError, PhaseBarrier};
    /// let barrier = PhaseBarrier::new(2).unwrap();
    /// barrier.abort("chunk-3 failed");
    /// assert_eq!(block_on(barrier.wait()), Err(BarrierError::Broken("chunk-3 failed".into())));
    /// barrier.reset();
    /// assert!(!barrier.is_broken());
    /// ```
    pub fn abort(&self, reason: impl Into<String>) {
        let reason: Rc<str> = reason.into().into();
        let generation = {
            let mut state = self.state.borrow_mut();
            if state.broken.is_some() {
                return;
            }
            state.broken = Some(reason.clone());
            state.end_generation(|| Slot::Broken(reason.clone()));
            state.generation
        };
        self.notify(BarrierSignal::Broken { reason: reason.to_string(), generation });
        self.wake_all();
    }

    /// Makes a broken barrier usable again, empty, in the same generation.
    /// Waiters parked on an unbroken barrier are broken with reason `reset`
    /// (their generation can no longer complete as they expected). A wait
    /// already released keeps its `Ok`: a release is final.
    ///
    /// # Resetting right after a release
    ///
    /// A release leaves the barrier filling the next generation at once, so a
    /// party that waits again straight away is parked there, and `reset()`
    /// breaks it. Python's `asyncio.Barrier` differs: until every released task
    /// has left, it holds such a task outside, where its `reset()` cannot reach
    /// it. So Python code that resets from the last task out of a release (a
    /// no-op there) breaks, here, every party that already waited again, and can
    /// strand one: the broken parties' next waits complete a generation with the
    /// resetter's, leaving the resetter alone in the one after. When porting,
    /// reset only to repair an aborted barrier (`if barrier.is_broken() {
    /// barrier.reset() }`), or to break the parties parked in the current
    /// generation on purpose. `tests/barrier_cpython.rs` shows both.
    ///
    /// This is deliberate. Python's outcome depends on whether its held tasks
    /// have run again since the drain ended; matching it would mean waking every
    /// early party a second time when the last released one resumes, breaking
    /// the promise of one wake per waiter, and any rule without that wake either
    /// keeps this stranding or lets a later reset miss parties Python would break.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use rag_phase_sync::{BarrierError, PhaseBarrier};
    /// let barrier = PhaseBarrier::new(2).unwrap();
    /// block_on(async {
    ///     let mut first = Box::pin(barrier.wait());
    ///     assert!(futures::poll!(&mut first).is_pending());
    ///     assert!(barrier.wait().await.unwrap().is_leader()); // releases generation 0
    ///     let mut again = Box::pin(barrier.wait()); // the leader waits again at once
    ///     assert!(futures::poll!(&mut again).is_pending()); // parked in generation 1
    ///     // `first` has not resumed: Python would still be draining, and its
    ///     // reset() would break `first` and spare `again`. Here it is the reverse.
    ///     barrier.reset();
    ///     assert_eq!(again.await, Err(BarrierError::Broken("reset".into())));
    ///     assert_eq!(first.await.map(|arrival| arrival.generation()), Ok(0));
    /// });
    /// ```
    pub fn reset(&self) {
        let generation = {
            let mut state = self.state.borrow_mut();
            let reason: Rc<str> = "reset".into();
            state.end_generation(|| Slot::Broken(reason.clone()));
            state.broken = None;
            state.generation
        };
        self.notify(BarrierSignal::Reset { generation });
        self.wake_all();
    }

    /// One party leaves for good: this and every later generation needs one
    /// party fewer, which releases the current generation if everyone else
    /// has already arrived (its leader is then one of the waiters).
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use futures::future::join;
    /// use rag_phase_sync::PhaseBarrier;
    /// let barrier = PhaseBarrier::new(2).unwrap();
    /// let waiting = barrier.wait();
    /// let (arrival, ()) = block_on(join(waiting, async { barrier.arrive_and_drop().unwrap() }));
    /// assert!(arrival.unwrap().is_leader());
    /// assert_eq!(barrier.parties(), 1);
    /// ```
    pub fn arrive_and_drop(&self) -> Result<(), BarrierError> {
        let (parties, generation, released) = {
            let mut state = self.state.borrow_mut();
            if state.parties == 0 {
                return Err(BarrierError::ZeroParties);
            }
            state.parties -= 1;
            let (parties, generation) = (state.parties, state.generation);
            let released =
                if state.arrived > 0 && state.arrived == state.parties { state.release() } else { None };
            (parties, generation, released)
        };
        self.notify(BarrierSignal::Dropped { parties, generation });
        if let Some(leader) = released {
            self.notify(BarrierSignal::Released { leader, parties, generation });
            self.wake_all();
        }
        Ok(())
    }

    /// How many parties each generation waits for.
    pub fn parties(&self) -> usize {
        self.state.borrow().parties
    }

    /// How many parties have arrived in the current generation.
    pub fn arrived(&self) -> usize {
        self.state.borrow().arrived
    }

    /// How many generations have been released.
    pub fn generation(&self) -> u64 {
        self.state.borrow().generation
    }

    /// Whether the barrier is aborted and not yet reset.
    pub fn is_broken(&self) -> bool {
        self.state.borrow().broken.is_some()
    }

    fn notify(&self, signal: BarrierSignal) {
        self.observer.notify(signal);
    }

    /// Wakes whoever the last state change released or broke. Called with the
    /// state unborrowed: a waker may run arbitrary code, even poll a waiter.
    fn wake_all(&self) {
        let mut to_wake = std::mem::take(&mut self.state.borrow_mut().to_wake);
        to_wake.drain(..).for_each(Waker::wake);
        let mut state = self.state.borrow_mut();
        if state.to_wake.is_empty() && state.to_wake.capacity() < to_wake.capacity() {
            state.to_wake = to_wake;
        }
    }
}

impl fmt::Debug for PhaseBarrier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("PhaseBarrier")
            .field("parties", &state.parties)
            .field("arrived", &state.arrived)
            .field("generation", &state.generation)
            .field("broken", &state.broken)
            .finish()
    }
}

impl State {
    /// Ends the current generation: every waiter gets `outcome` and is queued
    /// in `to_wake`. O(slots), and each waiter is queued exactly once.
    fn end_generation(&mut self, mut outcome: impl FnMut() -> Slot) {
        let State { slots, to_wake, .. } = self;
        for slot in slots.iter_mut().filter(|slot| matches!(slot, Slot::Waiting { .. })) {
            if let Slot::Waiting { waker, .. } = std::mem::replace(slot, outcome()) {
                to_wake.push(waker);
            }
        }
        self.arrived = 0;
    }

    /// Releases the current generation with a parked waiter as its leader
    /// (used when a drop-out, not an arrival, completes it); returns the
    /// leader's party id.
    fn release(&mut self) -> Option<usize> {
        let leader = self.slots.iter().position(|slot| matches!(slot, Slot::Waiting { .. }))?;
        let party = match &self.slots[leader] {
            Slot::Waiting { party, .. } => *party,
            _ => unreachable!("position() found a waiting slot"),
        };
        self.end_generation(|| Slot::Released { leader: false });
        self.slots[leader] = Slot::Released { leader: true };
        self.generation += 1;
        Some(party)
    }

    fn park(&mut self, waker: Waker, party: usize) -> usize {
        let slot = Slot::Waiting { waker, party };
        match self.free.pop() {
            Some(index) => {
                self.slots[index] = slot;
                index
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        }
    }

    fn unpark(&mut self, index: usize) -> Slot {
        self.free.push(index);
        std::mem::replace(&mut self.slots[index], Slot::Free)
    }
}

/// The future [`PhaseBarrier::wait`] returns.
#[must_use = "a barrier wait does nothing until awaited"]
#[derive(Debug)]
pub struct Wait<'b, 'o> {
    barrier: &'b PhaseBarrier<'o>,
    party: usize,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    NotArrived,
    Parked { slot: usize, generation: u64 },
    Done,
}

impl Future for Wait<'_, '_> {
    type Output = Result<Arrival, BarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.stage {
            Stage::NotArrived => self.arrive(cx),
            Stage::Parked { slot, generation } => {
                let mut state = self.barrier.state.borrow_mut();
                if let Slot::Waiting { waker, .. } = &mut state.slots[slot] {
                    waker.clone_from(cx.waker());
                    return Poll::Pending;
                }
                let outcome = match state.unpark(slot) {
                    Slot::Released { leader } => Ok(Arrival { leader, generation }),
                    Slot::Broken(reason) => Err(BarrierError::Broken(reason.to_string())),
                    Slot::Free | Slot::Waiting { .. } => unreachable!("a parked wait owns its slot"),
                };
                drop(state);
                self.stage = Stage::Done;
                Poll::Ready(outcome)
            }
            Stage::Done => panic!("barrier wait polled after it completed"),
        }
    }
}

impl Wait<'_, '_> {
    /// The first poll: fail if broken, else count the arrival and either
    /// release the generation (last to arrive: the leader) or park.
    fn arrive(&mut self, cx: &mut Context<'_>) -> Poll<Result<Arrival, BarrierError>> {
        let barrier = self.barrier;
        let mut state = barrier.state.borrow_mut();
        if let Some(reason) = &state.broken {
            self.stage = Stage::Done;
            return Poll::Ready(Err(BarrierError::Broken(reason.to_string())));
        }
        if state.parties == 0 {
            self.stage = Stage::Done;
            return Poll::Ready(Err(BarrierError::ZeroParties));
        }
        state.arrived += 1;
        let (party, arrived, parties, generation) =
            (self.party, state.arrived, state.parties, state.generation);
        if arrived == parties {
            state.end_generation(|| Slot::Released { leader: false });
            state.generation += 1;
            drop(state);
            self.stage = Stage::Done;
            barrier.notify(BarrierSignal::Arrived { party, arrived, parties, generation });
            barrier.notify(BarrierSignal::Released { leader: party, parties, generation });
            barrier.wake_all();
            return Poll::Ready(Ok(Arrival { leader: true, generation }));
        }
        let slot = state.park(cx.waker().clone(), party);
        drop(state);
        self.stage = Stage::Parked { slot, generation };
        barrier.notify(BarrierSignal::Arrived { party, arrived, parties, generation });
        Poll::Pending
    }
}

impl Drop for Wait<'_, '_> {
    /// Cancel safety: a wait dropped while still parked takes its arrival
    /// back; one dropped after its outcome was decided just frees its slot.
    fn drop(&mut self) {
        let Stage::Parked { slot, generation } = self.stage else { return };
        let mut state = self.barrier.state.borrow_mut();
        if let Slot::Waiting { .. } = state.unpark(slot) {
            state.arrived -= 1;
            let (party, arrived, parties) = (self.party, state.arrived, state.parties);
            drop(state);
            self.barrier.notify(BarrierSignal::Withdrawn { party, arrived, parties, generation });
        }
    }
}
