//! The peer: the seed's Python solution (`seed.py`), run at the same N.

use std::process::Command;

/// The script, found wherever `cargo bench` runs from.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pipeline/seed.py");

/// The interpreter: `$PYTHON` if set, else the system's `python3` (Debian's
/// 3.11 at `/usr/bin/python3`, rather than whatever a version manager puts
/// first on PATH), else `python3` from PATH.
fn interpreter() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| {
        let system = "/usr/bin/python3";
        if std::path::Path::new(system).exists() { system } else { "python3" }.to_string()
    })
}

/// What `seed.py` measured around its `rag_pipeline` for `n` chunks, in
/// ms, or why there is no figure (no Python 3.11+, a failed run).
pub fn elapsed_ms(n: usize) -> Result<f64, String> {
    let python = interpreter();
    let output = Command::new(&python)
        .arg(SCRIPT)
        .arg(n.to_string())
        .output()
        .map_err(|error| format!("cannot run {python}: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("{python} seed.py {n} failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    // The script's last line: `elapsed_s <seconds>`.
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("elapsed_s "))
        .and_then(|seconds| seconds.trim().parse::<f64>().ok())
        .map(|seconds| seconds * 1000.0)
        .ok_or_else(|| format!("seed.py printed no elapsed_s line: {stdout}"))
}

/// The interpreter's version line, for the report.
pub fn version() -> String {
    Command::new(interpreter())
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .unwrap_or_else(|error| format!("no python: {error}"))
}
