//! The seam between the pipeline and a clock: sleeping and reading time.
//!
//! In the browser, sleeps are gloo-timers timeouts (a `setTimeout` cleared
//! when no sleep needs it any more), shared by every sleep that ends in the
//! same millisecond (`runtime/shared_timers.rs`), and time is
//! `performance.now()`. Natively they are
//! tokio's, so the `verify` example runs on wall-clock time and tests run on
//! tokio's paused clock: instant and deterministic.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::future::{select, Either};

/// The longest sleep: what a browser timer can hold (2^31 - 1 ms, about 24.8 days);
/// `setTimeout` treats anything longer as 0.
pub const MAX_SLEEP_MS: f64 = i32::MAX as f64;

/// Suspends the calling future for `ms` milliseconds; dropping it cancels the timer.
///
/// A zero (or negative, or NaN) sleep returns at once instead of yielding to a
/// timer, so a run with all latencies zero costs no timer per chunk; a sleep
/// longer than [`MAX_SLEEP_MS`] is cut to it rather than panic.
pub async fn sleep_ms(ms: f64) {
    if ms > 0.0 {
        imp::sleep(Duration::from_secs_f64(ms.min(MAX_SLEEP_MS) / 1000.0)).await;
    }
}

/// Awaits `work`, or gives up after `ms` milliseconds on the real clock
/// (`None`: never), returning `Err(ms)`. Whichever loses is dropped at once:
/// the timer is cleared, or the work is cancelled.
///
/// ```
/// # #[cfg(target_arch = "wasm32")] fn main() {} // tokio's clock is native only
/// # #[cfg(not(target_arch = "wasm32"))]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use rag_phase_sync::runtime::{sleep_ms, timeout};
/// assert_eq!(timeout(Some(100.0), sleep_ms(10.0)).await, Ok(()));
/// assert_eq!(timeout(Some(100.0), std::future::pending::<()>()).await, Err(100.0));
/// assert_eq!(timeout(None, async { 7 }).await, Ok(7));
/// # }
/// ```
pub async fn timeout<F: Future>(ms: Option<f64>, work: F) -> Result<F::Output, f64> {
    let Some(ms) = ms else { return Ok(work.await) };
    match select(pin!(work), pin!(sleep_ms(ms))).await {
        Either::Left((output, _)) => Ok(output),
        Either::Right(((), _)) => Err(ms),
    }
}

/// Lets the event loop run other tasks (input, rendering, timers) before
/// resuming: in the browser, a macrotask through a `MessageChannel` (a
/// `setTimeout(0)` is clamped to 4 ms once nested); natively, one trip
/// through the executor's queue.
pub async fn yield_now() {
    imp::yield_now().await;
}

/// Measures milliseconds since it was started.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    start: imp::Instant,
}

impl Stopwatch {
    /// A stopwatch reading zero now.
    pub fn start() -> Stopwatch {
        Stopwatch { start: imp::now() }
    }

    /// Milliseconds since [`Stopwatch::start`].
    pub fn elapsed_ms(&self) -> f64 {
        imp::millis_between(self.start, imp::now())
    }
}

/// A [`Stopwatch`] that remembers its last reading, so work that follows a
/// reading within microseconds (the events of one chunk phase) can stamp
/// itself with it instead of reading the clock again: in the browser every
/// reading is a call into JS, and a 100,000-chunk run made two million.
#[derive(Debug)]
pub struct LapClock {
    stopwatch: Stopwatch,
    last: std::cell::Cell<f64>,
}

impl LapClock {
    /// A clock reading zero now.
    pub fn start() -> LapClock {
        LapClock { stopwatch: Stopwatch::start(), last: std::cell::Cell::new(0.0) }
    }

    /// Milliseconds since the start, read now (and remembered).
    pub fn read(&self) -> f64 {
        let now = self.stopwatch.elapsed_ms();
        self.last.set(now);
        now
    }

    /// The last reading: read again after anything that may wait.
    pub fn last(&self) -> f64 {
        self.last.get()
    }
}

#[cfg(target_arch = "wasm32")]
mod shared_timers;

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::time::Duration;

    use web_sys::Performance;

    pub type Instant = f64;

    /// Sleeps ending in the same millisecond share one browser timer.
    pub async fn sleep(duration: Duration) {
        super::shared_timers::sleep_until(now(), duration.as_secs_f64() * 1000.0).await;
    }

    pub async fn yield_now() {
        use wasm_bindgen_futures::JsFuture;
        use web_sys::js_sys::Promise;
        use web_sys::MessageChannel;
        let Ok(channel) = MessageChannel::new() else {
            // No MessageChannel (an odd worker): a timer still yields.
            return sleep(Duration::from_millis(1)).await;
        };
        let message = Promise::new(&mut |resolve, _| channel.port1().set_onmessage(Some(&resolve)));
        let _ = channel.port2().post_message(&wasm_bindgen::JsValue::UNDEFINED);
        let _ = JsFuture::from(message).await;
        // Held until here, so nothing collects the channel while its message is in flight.
        drop(channel);
    }

    thread_local! {
        /// Looked up once: every chunk phase reads the clock.
        static PERFORMANCE: Option<Performance> = web_sys::window().and_then(|window| window.performance());
    }

    /// `performance.now()` where there is a window, else `Date.now()`.
    pub fn now() -> Instant {
        PERFORMANCE.with(|performance| match performance {
            Some(performance) => performance.now(),
            None => web_sys::js_sys::Date::now(),
        })
    }

    pub fn millis_between(start: Instant, end: Instant) -> f64 {
        end - start
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::time::Duration;

    pub type Instant = tokio::time::Instant;

    pub async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    pub async fn yield_now() {
        // Pending once, waking itself: the executor polls every other ready task first.
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                return std::task::Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
        .await;
    }

    pub fn now() -> Instant {
        tokio::time::Instant::now()
    }

    pub fn millis_between(start: Instant, end: Instant) -> f64 {
        (end - start).as_secs_f64() * 1000.0
    }
}
