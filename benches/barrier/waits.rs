//! The benchmark itself; native only, since criterion and the baselines are.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use futures::executor::block_on;
use futures::future::join_all;
use rag_phase_sync::PhaseBarrier;

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const WAITS_PER_PARTY: usize = 2;

/// One contender: runs `n` parties through two generations.
struct Contender {
    name: &'static str,
    run: fn(usize),
}

const CONTENDERS: [Contender; 4] = [
    Contender { name: "suspend-resume limit", run: suspend_resume },
    Contender { name: "PhaseBarrier", run: phase_barrier },
    Contender { name: "async-barrier", run: async_barrier },
    Contender { name: "async_lock::Barrier", run: async_lock_barrier },
];

fn phase_barrier(n: usize) {
    let barrier = PhaseBarrier::new(n).unwrap();
    block_on(join_all((0..n).map(|_| async {
        for _ in 0..WAITS_PER_PARTY {
            barrier.wait().await.unwrap();
        }
    })));
}

fn async_barrier(n: usize) {
    let barrier = async_barrier::Barrier::new(n);
    block_on(join_all((0..n).map(|_| async {
        for _ in 0..WAITS_PER_PARTY {
            barrier.wait().await;
        }
    })));
}

fn async_lock_barrier(n: usize) {
    let barrier = async_lock::Barrier::new(n);
    block_on(join_all((0..n).map(|_| async {
        for _ in 0..WAITS_PER_PARTY {
            barrier.wait().await;
        }
    })));
}

fn suspend_resume(n: usize) {
    block_on(join_all((0..n).map(|_| async {
        for _ in 0..WAITS_PER_PARTY {
            SuspendOnce(false).await;
        }
    })));
}

/// Returns `Pending` once, after waking itself: one suspend/resume cycle.
struct SuspendOnce(bool);

impl Future for SuspendOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn waits_per_second(c: &mut Criterion) {
    for n in SIZES {
        let mut group = c.benchmark_group(format!("barrier waits, {n} parties"));
        group.throughput(Throughput::Elements((n * WAITS_PER_PARTY) as u64));
        group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        for contender in &CONTENDERS {
            group.bench_with_input(BenchmarkId::from_parameter(contender.name), &n, |b, &n| {
                b.iter(|| (contender.run)(n))
            });
        }
        group.finish();
    }
}

/// The median of `runs` timings of `run(n)`, in µs per wait.
fn median_us_per_wait(run: fn(usize), n: usize, runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            run(n);
            start.elapsed().as_secs_f64() * 1e6 / (n * WAITS_PER_PARTY) as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// The README's table: µs per wait, and each contender against the limit
/// and against async-barrier, from medians measured now, interleaved.
fn summary() {
    println!("\n| parties | contender | µs per wait | × limit | vs async-barrier |");
    println!("|---:|---|---:|---:|---:|");
    let mut phase_times = Vec::new();
    let mut json = Vec::new();
    for n in SIZES {
        let runs = if n >= 100_000 { 15 } else { 41 };
        let times: Vec<f64> = CONTENDERS.iter().map(|c| median_us_per_wait(c.run, n, runs)).collect();
        let (limit, classic) = (times[0], times[2]);
        for (contender, time) in CONTENDERS.iter().zip(&times) {
            let speedup = classic / time;
            println!("| {n} | {} | {time:.3} | {:.2} | {speedup:.2}× faster |", contender.name, time / limit);
            json.push(format!(r#"{{"parties":{n},"contender":"{}","usPerWait":{time}}}"#, contender.name));
        }
        phase_times.push(times[1] * n as f64);
    }
    println!("\nPhaseBarrier time(100k) / time(10k) = {:.2}", phase_times[2] / phase_times[1]);
    // For benches/summary.mjs, which puts every benchmark in one table.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-barrier.json");
    let _ = std::fs::write(path, format!("[{}]\n", json.join(",")));
}

criterion_group!(benches, waits_per_second);

pub fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
