//! Polls futures by hand with a waker that counts its wakes, so barrier
//! tests can check who was woken, how often, and what each poll returned.
#![allow(dead_code)] // each test file uses the part it needs

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker of its own for one future, and how many times it was woken.
pub struct Probe {
    counter: Arc<Counter>,
    waker: Waker,
}

impl Probe {
    pub fn new() -> Self {
        let counter = Arc::new(Counter::default());
        Probe { waker: Waker::from(counter.clone()), counter }
    }

    /// How many times this probe's waker was woken.
    pub fn wakes(&self) -> usize {
        self.counter.0.load(Ordering::SeqCst)
    }

    /// Polls `future` once with this probe's waker.
    pub fn poll<F: Future + Unpin>(&self, future: &mut F) -> Poll<F::Output> {
        Pin::new(future).poll(&mut Context::from_waker(&self.waker))
    }
}
