//! Runs both pipelines at each N, prints the table and writes the JSON.
//!
//! Arguments (after `cargo bench --bench pipeline --`): chunk counts to run
//! instead of the default three, `--no-python` to skip the peer and
//! `--once` to run each size once (for a profiler run of ours alone).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Instant;

use rag_phase_sync::limits::CHUNKS;
use rag_phase_sync::{rag_pipeline, Chunks, Event, RunConfig, MAX_DOCUMENT_BYTES};

use crate::{corpus, python};

/// The chunk counts measured, and how many runs each takes the best of.
const SIZES: [(usize, usize); 3] = [(1_000, 5), (10_000, 5), (100_000, 3)];

/// Seeds the corpus; the run's own seed is fixed too (`RunConfig::seed`).
const CORPUS_SEED: u64 = 2024;

/// Where the JSON goes, whichever directory `cargo bench` runs from.
const JSON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-pipeline.json");

/// One row of the table.
struct Row {
    n: usize,
    ours_ms: f64,
    python_ms: Option<f64>,
}

pub fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|arg| arg == name);
    let (with_python, once) = (!flag("--no-python"), flag("--once"));
    let asked: Vec<usize> = args.iter().filter_map(|arg| arg.parse().ok()).collect();
    let mut sizes: Vec<(usize, usize)> = match asked.is_empty() {
        true => SIZES.to_vec(),
        false => asked.iter().map(|&n| (n, if n >= 100_000 { 3 } else { 5 })).collect(),
    };
    if once {
        sizes.iter_mut().for_each(|(_, runs)| *runs = 1);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime");
    let mut rows = Vec::new();
    for (n, runs) in sizes {
        let config = config(n);
        let ours_ms = best_of(runs, || {
            let start = Instant::now();
            let outcome = runtime.block_on(rag_pipeline(&config, &|_: &Event| {}));
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(outcome.expect("the pipeline runs").top.len(), 3);
            ms
        });
        let python_ms = with_python.then(|| best_of_python(runs, n)).flatten();
        rows.push(Row { n, ours_ms, python_ms });
        eprintln!("measured {n} chunks");
    }
    let report = report(&rows);
    println!("{}", report.table);
    std::fs::create_dir_all(std::path::Path::new(JSON).parent().expect("a parent")).expect("target/");
    std::fs::write(JSON, report.json).expect("writing target/bench-pipeline.json");
    println!("written to {JSON}");
}

/// The run for `n` chunks: one synthetic document per chunk, zero
/// latencies, a fixed seed. Checks that the documents are distinct, fit
/// the limits a run accepts, and cut into exactly `n` chunks.
fn config(n: usize) -> RunConfig {
    let documents = corpus::documents(CORPUS_SEED, n);
    let bytes: usize = documents.iter().map(String::len).sum();
    assert!(bytes <= MAX_DOCUMENT_BYTES, "{n} documents take {bytes} bytes, over {MAX_DOCUMENT_BYTES}");
    assert!(n as f64 <= CHUNKS.max, "{n} documents, over {}", CHUNKS.max);
    let distinct: HashSet<&String> = documents.iter().collect();
    assert_eq!(distinct.len(), n, "every document is a different text");
    let words = documents.iter().map(|document| document.split_whitespace().count()).sum::<usize>();
    eprintln!(
        "{n} distinct documents, {:.1} words each on average: {bytes} bytes ({:.1}% of the limit)",
        words as f64 / n as f64,
        100.0 * bytes as f64 / MAX_DOCUMENT_BYTES as f64
    );
    let config = RunConfig {
        documents: Some(documents),
        embed_ms: (0.0, 0.0),
        score_ms: 0.0,
        seed: Some(1),
        ..RunConfig::default()
    };
    let chunks = Chunks::new(&config).expect("a valid corpus");
    assert_eq!(chunks.len(), n, "one chunk per document");
    config
}

/// The smallest of `runs` timings.
fn best_of(runs: usize, mut time: impl FnMut() -> f64) -> f64 {
    (0..runs).map(|_| time()).fold(f64::INFINITY, f64::min)
}

/// The peer's best of `runs`, or `None` (said on stderr) if it cannot run.
fn best_of_python(runs: usize, n: usize) -> Option<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        match python::elapsed_ms(n) {
            Ok(ms) => best = best.min(ms),
            Err(error) => {
                eprintln!("no Python figure: {error}");
                return None;
            }
        }
    }
    Some(best)
}

/// The report, as a table and as JSON.
struct Report {
    table: String,
    json: String,
}

fn report(rows: &[Row]) -> Report {
    let at = |n: usize| rows.iter().find(|row| row.n == n);
    let growth = |ms: fn(&Row) -> Option<f64>| Some(ms(at(100_000)?)? / ms(at(10_000)?)?);
    let ours_growth = growth(|row| Some(row.ours_ms));
    let python_growth = growth(|row| row.python_ms);
    let fixed =
        |value: Option<f64>, digits: usize| value.map_or("-".to_string(), |v| format!("{v:.digits$}"));
    let json_number = |value: Option<f64>| value.map_or("null".to_string(), |v| format!("{v:.3}"));

    let mut table = format!("pipeline, zero latency, best wall-clock; peer: {}\n", python::version());
    let _ = writeln!(table, "{:>8}  {:>10}  {:>12}  {:>12}", "N", "ours (ms)", "Python (ms)", "Python/ours");
    for row in rows {
        let ratio = row.python_ms.map(|python| python / row.ours_ms);
        let _ = writeln!(
            table,
            "{:>8}  {:>10.1}  {:>12}  {:>12}",
            row.n,
            row.ours_ms,
            fixed(row.python_ms, 1),
            fixed(ratio, 1)
        );
    }
    let _ = write!(
        table,
        "time(100k)/time(10k): ours {}, Python {}",
        fixed(ours_growth, 2),
        fixed(python_growth, 2)
    );

    let json_rows: Vec<String> = rows
        .iter()
        .map(|row| {
            format!(
                r#"    {{"n": {}, "ours_ms": {}, "python_ms": {}, "python_over_ours": {}}}"#,
                row.n,
                json_number(Some(row.ours_ms)),
                json_number(row.python_ms),
                json_number(row.python_ms.map(|python| python / row.ours_ms))
            )
        })
        .collect();
    let json = format!(
        "{{\n  \"rows\": [\n{}\n  ],\n  \"ours_100k_over_10k\": {},\n  \"python_100k_over_10k\": {}\n}}\n",
        json_rows.join(",\n"),
        json_number(ours_growth),
        json_number(python_growth)
    );
    Report { table, json }
}
