//! Browser sleeps that end in the same millisecond share one `setTimeout`.
//!
//! 10,000 chunks that each sleep would otherwise set 10,000 browser timers,
//! and each would run as a task of its own, which the event loop schedules
//! one at a time ahead of rendering and input. Rounded up to whole
//! milliseconds of `performance.now()`, their deadlines fall into a few
//! hundred buckets, each one gloo `Timeout` that wakes every sleeper in it.
//! A sleep ends at most about 2 ms later than asked, never earlier.
//!
//! Dropping a sleep withdraws it from its bucket; the last one out clears the
//! bucket's timer, so a cancelled run leaves no timer behind.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use gloo_timers::callback::Timeout;

/// One sleeper's share of a bucket.
#[derive(Default)]
struct Sleeper {
    waker: RefCell<Option<Waker>>,
    fired: Cell<bool>,
}

/// Every sleeper due in one millisecond, and the one timer that wakes them.
struct Bucket {
    sleepers: Vec<Rc<Sleeper>>,
    /// Sleepers not yet dropped; at 0 the timer is cleared.
    live: usize,
    _timer: Timeout,
}

thread_local! {
    /// Buckets by deadline (whole milliseconds of `performance.now()`).
    static BUCKETS: RefCell<BTreeMap<u64, Bucket>> = const { RefCell::new(BTreeMap::new()) };
}

/// A sleep of `ms` milliseconds from `now` (both from `performance.now()`).
pub(crate) fn sleep_until(now: f64, ms: f64) -> SharedSleep {
    SharedSleep { deadline: (now + ms).ceil() as u64, delay_ms: ms, sleeper: None }
}

/// The future [`sleep_until`] returns; it joins its bucket when first polled.
pub(crate) struct SharedSleep {
    deadline: u64,
    delay_ms: f64,
    sleeper: Option<Rc<Sleeper>>,
}

impl Future for SharedSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (deadline, delay_ms) = (self.deadline, self.delay_ms);
        let sleeper = self.sleeper.get_or_insert_with(|| join(deadline, delay_ms));
        if sleeper.fired.get() {
            return Poll::Ready(());
        }
        *sleeper.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for SharedSleep {
    fn drop(&mut self) {
        let Some(sleeper) = self.sleeper.take().filter(|sleeper| !sleeper.fired.get()) else { return };
        sleeper.waker.borrow_mut().take();
        BUCKETS.with(|buckets| {
            let mut buckets = buckets.borrow_mut();
            let empty = buckets.get_mut(&self.deadline).is_some_and(|bucket| {
                bucket.live -= 1;
                bucket.live == 0
            });
            // Removing the bucket drops its Timeout, which clears the browser timer.
            let cleared = empty.then(|| buckets.remove(&self.deadline));
            drop(buckets);
            drop(cleared);
        });
    }
}

/// Adds a sleeper to the bucket for `deadline`, creating it (and its timer) if needed.
fn join(deadline: u64, delay_ms: f64) -> Rc<Sleeper> {
    let sleeper = Rc::new(Sleeper::default());
    BUCKETS.with(|buckets| {
        let mut buckets = buckets.borrow_mut();
        let bucket = buckets.entry(deadline).or_insert_with(|| {
            // Enough to reach the rounded-up deadline; the browser never fires early.
            let millis = delay_ms.ceil().clamp(0.0, f64::from(u32::MAX)) as u32 + 1;
            Bucket { sleepers: Vec::new(), live: 0, _timer: Timeout::new(millis, move || fire(deadline)) }
        });
        bucket.sleepers.push(sleeper.clone());
        bucket.live += 1;
    });
    sleeper
}

/// The timer for `deadline` went off: wake every sleeper still in its bucket.
fn fire(deadline: u64) {
    let bucket = BUCKETS.with(|buckets| buckets.borrow_mut().remove(&deadline));
    for sleeper in bucket.into_iter().flat_map(|bucket| bucket.sleepers) {
        sleeper.fired.set(true);
        let waker = sleeper.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
