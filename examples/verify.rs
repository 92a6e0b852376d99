//! The seed's verification code, in Rust, on wall-clock time:
//! six chunks `chunk-0`…`chunk-5` (the demo corpus's first six passages), the
//! seed's query, the seed's output lines.
//!
//! ```text
//! cargo run --example verify            # a fresh random seed each run
//! cargo run --example verify -- 42      # replay seed 42
//! ```

/// The example is native: in the browser the page plays this role.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    use rag_phase_sync::{rag_pipeline, Event, RunConfig};

    let seed = match std::env::args().nth(1).map(|arg| arg.parse::<u64>()) {
        None => None,
        Some(Ok(seed)) => Some(seed),
        Some(Err(_)) => {
            eprintln!("usage: cargo run --example verify [-- SEED]   (SEED: a whole number)");
            std::process::exit(2);
        }
    };
    let config = RunConfig { chunks: Some(6), seed, ..RunConfig::default() };
    let print = |event: &Event| {
        if let Some(line) = event.log_line() {
            println!("{line}");
        }
    };
    match rag_pipeline(&config, &print).await {
        Ok(outcome) => eprintln!("(seed {}, makespan {:.0} ms)", outcome.seed, outcome.makespan_ms),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    }
}
