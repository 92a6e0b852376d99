//! Events and results as JSON: the one definition of the format JS receives.
//!
//! Building one JS object per event with `Reflect.set` costs about 5 µs an
//! event (600,000 events at 100,000 chunks); appending its JSON to a string
//! and letting `JSON.parse` build a whole batch at once is many times cheaper.
//! The field names here are the ones the TypeScript types in `web.rs` and the
//! README describe.

use std::fmt::Write as _;

use crate::event::{chunk_id, ChunkId, Event, EventKind, Scored, WithoutBarrier};
use crate::hazard::{HazardOutcome, HazardRelease, HazardScenario, HAZARD_CHUNKS};
use crate::outcome::{ChunkError, Failure, Outcome};

thread_local! {
    /// Reused for each event's log line: 600,000 events need no 600,000 strings.
    static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

impl Event {
    /// Appends this event as one JSON object: `{"type":…,"run":…,"t":…,…}`.
    ///
    /// ```
    /// use rag_phase_sync::{Event, EventKind, Phase};
    /// let kind = EventKind::PhaseStart { chunk: 3, phase: Phase::Embed, planned_ms: Some(120.5) };
    /// let mut json = String::new();
    /// Event { run: 1, t_ms: 2.0, kind }.write_json(&mut json);
    /// assert_eq!(
    ///     json,
    ///     r#"{"type":"phase-start","run":1,"t":2,"chunk":3,"id":"chunk-3","phase":"embed","plannedMs":120.5}"#
    /// );
    /// ```
    pub fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object.string("type", self.kind.name());
        object.number("run", f64::from(self.run));
        object.time("t", self.t_ms);
        LINE.with_borrow_mut(|line| {
            line.clear();
            if self.write_log_line(line) {
                object.string("line", line);
            }
        });
        if let Some(chunk) = self.kind.chunk() {
            object.number("chunk", chunk as f64);
            object.key("id");
            // A chunk id needs no escaping.
            let _ = write!(object.out, "\"{}\"", ChunkId(chunk));
        }
        match &self.kind {
            EventKind::RunStart { chunks, seed, query, barrier, policy, approach, store_ms } => {
                object.number("chunks", *chunks as f64);
                object.number("seed", *seed as f64);
                object.string("query", query);
                object.string("barrier", barrier.name());
                object.string("policy", policy.name());
                object.string("approach", approach.name());
                object.number("storeMs", *store_ms);
            }
            EventKind::PhaseStart { phase, planned_ms, .. } => {
                object.string("phase", phase.name());
                if let Some(planned_ms) = planned_ms {
                    object.number("plannedMs", *planned_ms);
                }
            }
            EventKind::PhaseComplete { phase, score, early, .. } => {
                object.string("phase", phase.name());
                if let Some(parts) = score {
                    object.number("score", parts.score);
                    object.number("bm25", parts.bm25);
                    object.number("cosine", parts.cosine);
                }
                if let Some(early) = early {
                    object.number("early", *early);
                }
            }
            EventKind::BarrierArrive { arrived, parties, generation, .. }
            | EventKind::BarrierWithdraw { arrived, parties, generation, .. } => {
                object.number("arrived", *arrived as f64);
                object.number("parties", *parties as f64);
                object.number("generation", *generation as f64);
            }
            EventKind::WaitCancelled { generation, waited_ms, .. } => {
                object.number("generation", *generation as f64);
                object.time("waitedMs", *waited_ms);
            }
            EventKind::BarrierRelease { leader, parties, generation, dropped_out } => {
                object.number("leader", *leader as f64);
                object.string("leaderId", &chunk_id(*leader));
                object.number("parties", *parties as f64);
                object.number("generation", *generation as f64);
                if let Some(chunk) = dropped_out {
                    object.number("droppedOut", *chunk as f64);
                    object.string("droppedOutId", &chunk_id(*chunk));
                }
            }
            EventKind::BarrierBroken { reason, generation } => {
                object.string("reason", reason);
                object.number("generation", *generation as f64);
            }
            EventKind::ChunkFailed { phase, message, timed_out, .. } => {
                object.string("phase", phase.name());
                object.string("message", message);
                object.boolean("timedOut", *timed_out);
            }
            EventKind::ChunkDropped { phase, message, timed_out, parties, generation, .. } => {
                object.string("phase", phase.name());
                object.string("message", message);
                object.boolean("timedOut", *timed_out);
                object.number("parties", *parties as f64);
                object.number("generation", *generation as f64);
            }
            EventKind::ChunkCancelled { phase, waiting, started, .. } => {
                object.string("phase", phase.name());
                object.boolean("waiting", *waiting);
                object.boolean("started", *started);
            }
            EventKind::GatherStart { step, tasks, .. } => {
                object.string("phase", step.name());
                object.number("tasks", *tasks as f64);
            }
            EventKind::GatherEnd { step, tasks, failed, .. } => {
                object.string("phase", step.name());
                object.number("tasks", *tasks as f64);
                object.number("failed", *failed as f64);
            }
            EventKind::StoreStart { queued_ms, .. } => object.number("queuedMs", *queued_ms),
            EventKind::StoreComplete { .. } => {}
            EventKind::TopChunks { top, duplicates } => {
                object.scored("top", top);
                object.number("duplicates", *duplicates as f64);
            }
            EventKind::WithoutBarrier(without) => object.without_barrier(without),
            EventKind::AnswerStart { from } => object.number("from", *from as f64),
            EventKind::Answer { text } => object.string("text", text),
            EventKind::RunEnd { makespan_ms, chunk_time, error, aborted } => {
                object.number("makespanMs", *makespan_ms);
                object.number("workingMs", chunk_time.working_ms);
                object.number("waitingMs", chunk_time.waiting_ms);
                object.boolean("aborted", *aborted);
                if let Some(error) = error {
                    object.string("error", error);
                }
            }
        }
        object.close();
    }
}

impl Outcome {
    /// Appends what `runPipeline` resolves to, as one JSON object:
    /// `{"answer":…,"quotes":[{"text":…,"chunk":…,"id":…}],"top":[…],"withoutBarrier":{…},"dropped":[…],
    /// "approach":…,"tasks":…,"collected":[…],"makespanMs":…,…}`.
    pub fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object.string("answer", &self.answer);
        object.key("quotes");
        object.list(&self.quotes, |entry, quote| {
            entry.string("text", &quote.sentence);
            entry.number("chunk", quote.chunk as f64);
            entry.string("id", &chunk_id(quote.chunk));
        });
        object.key("top");
        object.list(&self.top, |entry, ranked| {
            entry.number("chunk", ranked.chunk as f64);
            entry.string("id", &chunk_id(ranked.chunk));
            entry.number("score", ranked.parts.score);
            entry.number("bm25", ranked.parts.bm25);
            entry.number("cosine", ranked.parts.cosine);
            entry.string("text", &ranked.text);
        });
        object.key("withoutBarrier");
        let mut without = Object::open(object.out);
        without.without_barrier(&self.without_barrier);
        without.close();
        object.key("dropped");
        object.list(&self.dropped, |entry, error| entry.chunk_error(error));
        object.number("duplicates", self.duplicates as f64);
        object.string("approach", self.approach.name());
        object.number("tasks", self.tasks as f64);
        object.key("collected");
        object.list(&self.collected, |entry, error| {
            entry.chunk_error(error);
            entry.boolean("timedOut", matches!(error.failure, Failure::TimedOut { .. }));
        });
        object.number("makespanMs", self.makespan_ms);
        object.number("workingMs", self.chunk_time.working_ms);
        object.number("waitingMs", self.chunk_time.waiting_ms);
        object.number("seed", self.seed as f64);
        object.number("runId", f64::from(self.run));
        object.close();
    }
}

impl HazardOutcome {
    /// Appends what `runHazardDemo` resolves to, as one JSON object:
    /// `{"runId":…,"barrier":…,"releases":[{"generation":…,"atMs":…,"leader":…,"missing":[…],…}],
    /// "falseReleases":[…],"cancelledWaits":[…],"stillParked":[…],"finished":[…],"endedMs":…,"invariantHeld":…}`.
    /// `falseReleases` repeats the releases that left a chunk behind, so a reader need not filter.
    pub fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object.number("runId", f64::from(self.run));
        object.string("barrier", self.barrier.name());
        object.number("chunks", self.chunks as f64);
        object.number("timeScale", self.time_scale);
        object.key("releases");
        object.list(&self.releases, write_release);
        let false_releases: Vec<&HazardRelease> = self.false_releases().collect();
        object.key("falseReleases");
        object.list(&false_releases, |entry, release| write_release(entry, release));
        object.key("cancelledWaits");
        object.list(&self.cancelled_waits, |entry, wait| {
            entry.chunk(wait.chunk);
            entry.number("generation", wait.generation as f64);
            entry.time("atMs", wait.at_ms);
            entry.time("waitedMs", wait.waited_ms);
            entry.boolean("withdrawn", wait.withdrawn);
        });
        object.key("stillParked");
        object.list(&self.still_parked, |entry, parked| {
            entry.chunk(parked.chunk);
            entry.number("generation", parked.generation as f64);
            entry.time("sinceMs", parked.since_ms);
        });
        object.key("finished");
        object.list(&self.finished, |entry, chunk| entry.chunk(*chunk));
        object.time("endedMs", self.ended_ms);
        object.boolean("invariantHeld", self.invariant_held);
        object.close();
    }
}

/// One release of the hazard demo: `{"generation","atMs","leader","leaderId","missing":[{"chunk","id",
/// "phase","working","finishedAtMs"?}],"countedCancelled":[{"chunk","id"}],"false"}`.
fn write_release(entry: &mut Object<'_>, release: &HazardRelease) {
    entry.number("generation", release.generation as f64);
    entry.time("atMs", release.at_ms);
    entry.number("leader", release.leader as f64);
    entry.string("leaderId", &chunk_id(release.leader));
    entry.key("missing");
    entry.list(&release.missing, |entry, missing| {
        entry.chunk(missing.chunk);
        entry.string("phase", missing.phase.name());
        entry.boolean("working", missing.working);
        if let Some(at) = missing.finished_at_ms {
            entry.time("finishedAtMs", at);
        }
    });
    entry.key("countedCancelled");
    entry.list(&release.counted_cancelled, |entry, chunk| entry.chunk(*chunk));
    entry.boolean("false", release.is_false());
}

impl HazardScenario {
    /// Appends the script as `hazardScenario()` returns it:
    /// `{"chunks":4,"embedMs":[…],"scoreMs":[…],"impatient":1,"impatientId":"chunk-1","patienceMs":…,"horizonMs":…}`.
    pub fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        object.number("chunks", HAZARD_CHUNKS as f64);
        object.numbers("embedMs", &self.embed_ms);
        object.numbers("scoreMs", &self.score_ms);
        object.number("impatient", self.impatient as f64);
        object.string("impatientId", &chunk_id(self.impatient));
        object.number("patienceMs", self.patience_ms);
        object.number("horizonMs", self.horizon_ms);
        object.close();
    }
}

/// A JSON object being written: `open`, one call per field, `close`.
struct Object<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> Object<'o> {
    fn open(out: &'o mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_string(self.out, key);
        self.out.push(':');
    }

    fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        write_string(self.out, value);
    }

    /// A finite number as Rust prints it (shortest round-trip, never an
    /// exponent, so always valid JSON); NaN and infinities, which JSON
    /// cannot hold and the pipeline never produces, as `null`.
    fn number(&mut self, key: &str, value: f64) {
        self.key(key);
        // Counts, indices and `t` (rounded to µs), most of an event's
        // numbers, skip the float formatter.
        if write_thousandths(self.out, value) {
            return;
        }
        if value.is_finite() {
            let _ = write!(self.out, "{value}");
        } else {
            self.out.push_str("null");
        }
    }

    /// A time in milliseconds, rounded to the microsecond as every event's `t`
    /// is: microseconds are plenty, a rounded number prints shorter, and a
    /// result's times then equal its events' times exactly.
    fn time(&mut self, key: &str, ms: f64) {
        self.number(key, (ms * 1000.0).round() / 1000.0);
    }

    fn boolean(&mut self, key: &str, value: bool) {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
    }

    /// `"chunk":…,"id":"chunk-…"`: a chunk as every object names it.
    fn chunk(&mut self, chunk: usize) {
        self.number("chunk", chunk as f64);
        self.string("id", &chunk_id(chunk));
    }

    /// An array of numbers.
    fn numbers(&mut self, key: &str, values: &[f64]) {
        self.key(key);
        self.out.push('[');
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                self.out.push(',');
            }
            match value.is_finite() {
                true => drop(write!(self.out, "{value}")),
                false => self.out.push_str("null"), // as `number` writes it
            }
        }
        self.out.push(']');
    }

    /// An array of objects, one per item, each written by `write`.
    fn list<T>(&mut self, items: &[T], write: impl Fn(&mut Object<'_>, &T)) {
        self.out.push('[');
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.out.push(',');
            }
            let mut entry = Object::open(self.out);
            write(&mut entry, item);
            entry.close();
        }
        self.out.push(']');
    }

    /// A failed chunk's `"chunk":…,"id":…,"phase":…,"message":…`.
    fn chunk_error(&mut self, error: &ChunkError) {
        self.number("chunk", error.chunk as f64);
        self.string("id", &chunk_id(error.chunk));
        self.string("phase", error.phase.name());
        self.string("message", &error.failure.to_string());
    }

    /// `[{"chunk":…,"id":…,"score":…}, …]`.
    fn scored(&mut self, key: &str, top: &[Scored]) {
        self.key(key);
        self.list(top, |entry, scored| {
            entry.number("chunk", scored.chunk as f64);
            entry.string("id", &chunk_id(scored.chunk));
            entry.number("score", scored.score);
        });
    }

    fn without_barrier(&mut self, without: &WithoutBarrier) {
        self.scored("top", &without.top);
        self.number("changed", without.changed as f64);
        self.number("wrong", without.wrong as f64);
    }

    fn close(self) {
        self.out.push('}');
    }
}

/// Writes `value` as f64's Display does, without its shortest-float search,
/// if it is the double nearest a whole number of thousandths under 10^15
/// of them (those decimals have at most 15 digits, so no other decimal as
/// short names the same double); returns false, writing nothing, if not.
fn write_thousandths(out: &mut String, value: f64) -> bool {
    let thousandths = (value * 1000.0).round();
    // Also false for NaN and the infinities; -0.0 keeps its sign the slow way.
    if !(thousandths.abs() < 1e15 && thousandths / 1000.0 == value) || value.to_bits() == (-0.0f64).to_bits()
    {
        return false;
    }
    let thousandths = thousandths as i64;
    let (whole, fraction) = (thousandths / 1000, (thousandths % 1000).unsigned_abs());
    if thousandths < 0 && whole == 0 {
        out.push('-'); // -0.5: the whole part alone has no sign
    }
    let _ = write!(out, "{whole}");
    if fraction > 0 {
        let digits = [fraction / 100, fraction / 10 % 10, fraction % 10];
        let len = 3 - usize::from(fraction % 10 == 0) - usize::from(fraction % 100 == 0);
        out.push('.');
        digits[..len].iter().for_each(|&digit| out.push(char::from(b'0' + digit as u8)));
    }
    true
}

/// `value` as a JSON string literal: quotes, backslashes and control
/// characters escaped, everything else (any Unicode) as it is.
///
/// Copies the runs between escapes whole: a run writes every event's log
/// line through here, and a push per character was its costliest function.
fn write_string(out: &mut String, value: &str) {
    out.push('"');
    let mut run = 0; // where the run not yet copied starts
    for (at, byte) in value.bytes().enumerate() {
        // Every byte to escape is ASCII, so `at` is a char boundary.
        if !matches!(byte, b'"' | b'\\' | 0..0x20) {
            continue;
        }
        out.push_str(&value[run..at]);
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            byte => {
                let _ = write!(out, "\\u{byte:04x}");
            }
        }
        run = at + 1;
    }
    out.push_str(&value[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{write_string, Object};
    use crate::config::{Approach, BarrierKind, ChunkErrorPolicy};
    use crate::event::{ChunkTime, Event, EventKind, GatherStep, Phase, WithoutBarrier};
    use crate::outcome::{ChunkError, Failure, Outcome};

    fn json(kind: EventKind) -> String {
        let mut out = String::new();
        Event { run: 2, t_ms: 1.5, kind }.write_json(&mut out);
        out
    }

    #[test]
    fn gather_and_store_events_read_as_the_api_says() {
        let start = EventKind::RunStart {
            chunks: 46,
            seed: 7,
            query: "q".into(),
            barrier: BarrierKind::Phase,
            policy: ChunkErrorPolicy::FailFast,
            approach: Approach::GatherCollect,
            store_ms: 20.0,
        };
        assert_eq!(
            json(start),
            r#"{"type":"run-start","run":2,"t":1.5,"chunks":46,"seed":7,"query":"q","barrier":"phase","policy":"fail-fast","approach":"gather-collect","storeMs":20}"#
        );
        let step = GatherStep::Embed;
        assert_eq!(
            json(EventKind::GatherStart { gather: 1, step, tasks: 46 }),
            r#"{"type":"gather-start","run":2,"t":1.5,"line":"Gather 1 (embed): 46 tasks","phase":"embed","tasks":46}"#
        );
        let end = EventKind::GatherEnd { gather: 3, step: GatherStep::Score, tasks: 1, failed: 1 };
        assert_eq!(
            json(end),
            r#"{"type":"gather-end","run":2,"t":1.5,"line":"Gather 3 (score) joined: 1 task, 1 failed","phase":"score","tasks":1,"failed":1}"#
        );
        assert_eq!(
            json(EventKind::StoreStart { chunk: 4, queued_ms: 12.25 }),
            r#"{"type":"store-start","run":2,"t":1.5,"chunk":4,"id":"chunk-4","queuedMs":12.25}"#
        );
        assert_eq!(
            json(EventKind::StoreComplete { chunk: 4 }),
            r#"{"type":"store-complete","run":2,"t":1.5,"chunk":4,"id":"chunk-4"}"#
        );
    }

    #[test]
    fn the_outcome_names_its_approach_tasks_and_collected_failures() {
        let timed_out = Failure::TimedOut { after_ms: 300.0 };
        let outcome = Outcome {
            run: 1,
            seed: 3,
            answer: String::new(),
            quotes: Vec::new(),
            top: Vec::new(),
            without_barrier: WithoutBarrier { top: Vec::new(), changed: 0, wrong: 0 },
            dropped: Vec::new(),
            duplicates: 0,
            approach: Approach::GatherCollect,
            tasks: 91,
            collected: vec![ChunkError { chunk: 5, phase: Phase::Embed, failure: timed_out }],
            makespan_ms: 10.0,
            chunk_time: ChunkTime::default(),
        };
        let mut out = String::new();
        outcome.write_json(&mut out);
        let expected = r#""dropped":[],"duplicates":0,"approach":"gather-collect","tasks":91,"collected":[{"chunk":5,"id":"chunk-5","phase":"embed","message":"timed out after 300 ms","timedOut":true}],"makespanMs":10"#;
        assert!(out.contains(expected), "{out}");
    }

    #[test]
    fn numbers_read_as_f64_display_writes_them() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let fixed = [
            0.0,
            -0.0,
            1.0,
            -7.0,
            12.5,
            -0.5,
            0.001,
            -0.001,
            0.1 + 0.2,
            1e-7,
            123_456_789.0,
            1e300,
            f64::NAN,
        ];
        let edges = [999_999_999_999.999, 1e12, 9_007_199_254_740_991.0, f64::INFINITY, f64::MIN_POSITIVE];
        // Times as events carry them (whole µs), and arbitrary doubles.
        let mut values: Vec<f64> = fixed.into_iter().chain(edges).collect();
        for _ in 0..100_000 {
            let time = ((random() % 10_000_000_000) as f64 / 1e6 * 1000.0).round() / 1000.0;
            values.extend([time, -time]);
            values.push(f64::from_bits(random()));
        }
        for value in values {
            let mut out = String::new();
            let mut object = Object::open(&mut out);
            object.number("n", value);
            object.close();
            let expected =
                if value.is_finite() { format!("{{\"n\":{value}}}") } else { "{\"n\":null}".into() };
            assert_eq!(out, expected, "{value}");
        }
    }

    #[test]
    fn strings_escape_what_json_requires_and_nothing_else() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}é\u{2028}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é\u{2028}\"");
    }
}
