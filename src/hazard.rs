//! The hazard demo: why the pipeline synchronises its chunks with
//! [`PhaseBarrier`](crate::PhaseBarrier) and not `async-barrier`.
//!
//! A barrier wait is a future, and futures get dropped: a timeout, a
//! `select!`, a cancelled task. `async-barrier` counts an arrival when the
//! wait is first polled and never takes it back, so a dropped wait leaves a
//! ghost arrival behind, and the generation is released one real arrival
//! early, with a false leader, while a party is still working. `PhaseBarrier`
//! withdraws the dropped arrival (a `barrier-withdraw` event).
//!
//! The scenario ([`HazardScenario::SCRIPT`]) runs on real timers
//! ([`sleep_ms`]): four chunks embed for 40, 60, 80 and 200 ms, wait at one
//! barrier, score for 50, 30, 30 and 20 ms, and wait at it again. chunk-1 is
//! impatient: it waits at most 50 ms, its wait is raced against a timer and
//! dropped when the timer wins (`wait-cancelled`), and it arrives again at
//! once. With `async-barrier` generation 0 is then released at 110 ms, led by
//! chunk-1, while chunk-3 embeds until 200 ms; chunk-3's arrival then counts
//! toward generation 1, and its last arrival parks in a generation 2 that
//! never comes, until the scenario ends at its horizon (400 ms). With
//! `PhaseBarrier` generation 0 is released at 200 ms, led by chunk-3, and
//! every chunk finishes by 250 ms.
//!
//! Every conclusion is computed here, from what happened, into a
//! [`HazardOutcome`]; the page only words it.
//!
//! ```
//! # #[cfg(target_arch = "wasm32")] fn main() {} // tokio's clock is native only
//! # #[cfg(not(target_arch = "wasm32"))]
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use rag_phase_sync::{run_hazard, BarrierKind, Event};
//! let quiet = |_: &Event| {};
//! let classic = run_hazard(BarrierKind::Classic, 1.0, &quiet).await.unwrap();
//! let generation_0 = &classic.releases[0];
//! assert_eq!((generation_0.at_ms, generation_0.leader), (110.0, 1)); // a false leader...
//! assert_eq!(generation_0.missing[0].chunk, 3); // ...while chunk-3 still embeds
//! assert!(!classic.invariant_held);
//!
//! let phase = run_hazard(BarrierKind::Phase, 1.0, &quiet).await.unwrap();
//! assert_eq!((phase.releases[0].at_ms, phase.releases[0].leader), (200.0, 3));
//! assert!(phase.invariant_held && phase.still_parked.is_empty());
//! # }
//! ```

use std::cell::{Cell, RefCell};
use std::pin::pin;

use futures::future::{join_all, select, Either};

use crate::barrier::BarrierSignal;
use crate::barrier_choice::ChosenBarrier;
use crate::config::{BarrierKind, ConfigError, Limit, EMBED_MS, TIME_SCALE};
use crate::event::{ChunkTime, Event, EventKind, EventSink, Phase};
use crate::pipeline::barrier_event;
use crate::run::next_run_id;
use crate::runtime::{sleep_ms, yield_now, Stopwatch};

/// How many chunks (barrier parties) the hazard scenario runs.
pub const HAZARD_CHUNKS: usize = 4;

/// The script of the hazard demo, in milliseconds before the time scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HazardScenario {
    /// Each chunk's Phase 1 (embed) latency.
    pub embed_ms: [f64; HAZARD_CHUNKS],
    /// Each chunk's Phase 2 (score) latency.
    pub score_ms: [f64; HAZARD_CHUNKS],
    /// The chunk whose first barrier wait gives up after `patience_ms`.
    pub impatient: usize,
    /// How long the impatient chunk waits before its wait is dropped.
    pub patience_ms: f64,
    /// When the scenario ends if some chunk never finishes (parked for good).
    pub horizon_ms: f64,
}

impl HazardScenario {
    /// The demo's script: see the module docs for what each barrier makes of it.
    pub const SCRIPT: HazardScenario = HazardScenario {
        embed_ms: [40.0, 60.0, 80.0, 200.0],
        score_ms: [50.0, 30.0, 30.0, 20.0],
        impatient: 1,
        patience_ms: 50.0,
        horizon_ms: 400.0,
    };

    /// Checks every latency against the pipeline's latency range and the
    /// impatient chunk against the chunks, naming the first that is off.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let limit = |field| Limit { field, ..EMBED_MS };
        for ms in self.embed_ms {
            limit("embedMs").check(ms)?;
        }
        for ms in self.score_ms {
            limit("scoreMs").check(ms)?;
        }
        limit("patienceMs").check(self.patience_ms)?;
        limit("horizonMs").check(self.horizon_ms)?;
        let chunks =
            Limit { field: "impatient", min: 0.0, max: (HAZARD_CHUNKS - 1) as f64, integer: true, unit: "" };
        chunks.check(self.impatient as f64)?;
        Ok(())
    }
}

/// One released generation, judged against the phases the chunks had finished.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardRelease {
    /// The generation released: 0 ends Phase 1, 1 ends Phase 2.
    pub generation: u64,
    /// When, in milliseconds since the scenario began.
    pub at_ms: f64,
    /// The party whose arrival released it.
    pub leader: usize,
    /// The chunks that had not finished the phase this generation closes
    /// when it was released. Empty for a true release; otherwise the leader
    /// is a false one and the barrier's invariant is broken.
    pub missing: Vec<Missing>,
    /// Chunks whose wait in this generation was dropped and yet stayed
    /// counted (never withdrawn): the ghost arrivals that released it early.
    pub counted_cancelled: Vec<usize>,
}

impl HazardRelease {
    /// Whether the generation was released before every chunk finished its phase.
    pub fn is_false(&self) -> bool {
        !self.missing.is_empty()
    }
}

/// A chunk that had not finished a phase when a generation closing it was released.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Missing {
    /// The chunk.
    pub chunk: usize,
    /// The phase it had not finished (for generations past 1, Phase 2).
    pub phase: Phase,
    /// Whether it was inside that phase at the release (else it had not begun it).
    pub working: bool,
    /// When it finished the phase after all, if it did before the scenario ended.
    pub finished_at_ms: Option<f64>,
}

/// A barrier wait that gave up and was dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CancelledWait {
    /// The chunk that gave up.
    pub chunk: usize,
    /// The generation it was parked in.
    pub generation: u64,
    /// When it gave up.
    pub at_ms: f64,
    /// How long it had waited.
    pub waited_ms: f64,
    /// Whether the barrier took the arrival back (PhaseBarrier) or kept counting it.
    pub withdrawn: bool,
}

/// A chunk still parked at the barrier when the scenario ended: nothing
/// would ever have released it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parked {
    /// The chunk.
    pub chunk: usize,
    /// The generation it was waiting for.
    pub generation: u64,
    /// Since when, in milliseconds since the scenario began.
    pub since_ms: f64,
}

/// What one run of the hazard scenario showed, decided from what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardOutcome {
    /// The run's id, as stamped on its events.
    pub run: u32,
    /// The barrier it used.
    pub barrier: BarrierKind,
    /// How many chunks ran.
    pub chunks: usize,
    /// The time scale the script ran at.
    pub time_scale: f64,
    /// Every generation released, in order.
    pub releases: Vec<HazardRelease>,
    /// Every wait that gave up, in order.
    pub cancelled_waits: Vec<CancelledWait>,
    /// Chunks still parked when the scenario ended (at its horizon).
    pub still_parked: Vec<Parked>,
    /// Chunks that finished both phases and passed the barrier twice, in order of index.
    pub finished: Vec<usize>,
    /// When the scenario ended: its last chunk finished, or the horizon came.
    pub ended_ms: f64,
    /// Whether no generation was released before every chunk had finished the
    /// phase it closes: no chunk started Phase 2 before every chunk finished
    /// Phase 1, nor passed the second barrier before every chunk had scored.
    pub invariant_held: bool,
}

impl HazardOutcome {
    /// The generations released too early, each with the chunks it left behind.
    pub fn false_releases(&self) -> impl Iterator<Item = &HazardRelease> {
        self.releases.iter().filter(|release| release.is_false())
    }
}

/// Runs [`HazardScenario::SCRIPT`] with `barrier`, every latency times
/// `time_scale` (the pipeline's `timeScale` range, 0 to 1000), sending every
/// event to `sink`. See the module docs.
pub async fn run_hazard(
    barrier: BarrierKind,
    time_scale: f64,
    sink: &dyn EventSink,
) -> Result<HazardOutcome, ConfigError> {
    run_hazard_scenario(&HazardScenario::SCRIPT, barrier, time_scale, sink).await
}

/// [`run_hazard`] with a script of one's own (to show, say, that a patient
/// chunk leaves `async-barrier` correct).
pub async fn run_hazard_scenario(
    scenario: &HazardScenario,
    barrier: BarrierKind,
    time_scale: f64,
    sink: &dyn EventSink,
) -> Result<HazardOutcome, ConfigError> {
    scenario.validate()?;
    TIME_SCALE.check(time_scale)?;
    let stage = Stage {
        run: next_run_id(),
        clock: Stopwatch::start(),
        sink,
        progress: Cell::new(0),
        ledger: RefCell::new(Ledger::default()),
    };
    let observe = |signal: &BarrierSignal| stage.observe(signal);
    // Cannot fail: HAZARD_CHUNKS is not 0.
    let chosen = ChosenBarrier::new(barrier, HAZARD_CHUNKS, observe)
        .map_err(|error| ConfigError::new("chunks", error.to_string(), "0"))?;
    let scaled = |ms: f64| ms * time_scale;
    let cast = Cast { stage: &stage, barrier: &chosen };
    {
        let chunks = join_all((0..HAZARD_CHUNKS).map(|chunk| {
            let patience = (chunk == scenario.impatient).then(|| scaled(scenario.patience_ms));
            cast.life(chunk, scaled(scenario.embed_ms[chunk]), patience, scaled(scenario.score_ms[chunk]))
        }));
        let horizon = async {
            sleep_ms(scaled(scenario.horizon_ms)).await;
            stage.settle().await;
        };
        if let Either::Right(_) = select(pin!(chunks), pin!(horizon)).await {
            // Leaving this block drops every chunk still running: say where each stopped first.
            stage.cancel_unfinished();
        }
    }
    drop(chosen);
    let ended_ms = stage.clock.elapsed_ms();
    let chunk_time = stage.ledger.borrow().chunk_time(ended_ms);
    stage.emit_at(
        ended_ms,
        EventKind::RunEnd { makespan_ms: ended_ms, chunk_time, error: None, aborted: false },
    );
    Ok(stage.ledger.into_inner().outcome(stage.run, barrier, time_scale, ended_ms))
}

/// What every chunk has done so far, and what the barrier did: written by
/// the chunks and by the barrier's observer, read once at the end.
#[derive(Debug, Default)]
struct Ledger {
    /// When each chunk finished Phase 1 and Phase 2.
    finished_phase: [[Option<f64>; 2]; HAZARD_CHUNKS],
    /// The phase each chunk is in or last finished.
    phase: [Option<Phase>; HAZARD_CHUNKS],
    /// Each chunk's barrier wait in progress: (generation, since).
    parked: [Option<(u64, f64)>; HAZARD_CHUNKS],
    finished: [bool; HAZARD_CHUNKS],
    /// Each release as judged when it happened; `finished_at_ms` and
    /// `counted_cancelled` are filled in at the end, when they are known.
    releases: Vec<HazardRelease>,
    cancelled_waits: Vec<CancelledWait>,
    /// The chunk whose wait is being dropped right now: a withdrawal it causes is its own.
    dropping: Option<usize>,
    time: ChunkTime,
}

impl Ledger {
    /// Generation `generation` was released at `at_ms` by `leader`: notes who
    /// had not finished the phase it closes (Phase `generation + 1`).
    fn released(&mut self, generation: u64, at_ms: f64, leader: usize) {
        let index = generation.min(1) as usize;
        let phase = if index == 0 { Phase::Embed } else { Phase::Score };
        let missing = (0..HAZARD_CHUNKS)
            .filter(|&chunk| self.finished_phase[chunk][index].is_none())
            .map(|chunk| Missing {
                chunk,
                phase,
                working: self.phase[chunk] == Some(phase),
                finished_at_ms: None,
            })
            .collect();
        let counted_cancelled = Vec::new();
        self.releases.push(HazardRelease { generation, at_ms, leader, missing, counted_cancelled });
    }

    /// Working and waiting time summed over chunks, a wait still in progress counted up to `now`.
    fn chunk_time(&self, now: f64) -> ChunkTime {
        let parked: f64 = self.parked.iter().flatten().map(|(_, since)| now - since).sum();
        ChunkTime { waiting_ms: self.time.waiting_ms + parked, ..self.time }
    }

    fn outcome(self, run: u32, barrier: BarrierKind, time_scale: f64, ended_ms: f64) -> HazardOutcome {
        let mut releases = self.releases;
        for release in &mut releases {
            for missing in &mut release.missing {
                missing.finished_at_ms =
                    self.finished_phase[missing.chunk][usize::from(missing.phase == Phase::Score)];
            }
            release.counted_cancelled = self
                .cancelled_waits
                .iter()
                .filter(|wait| wait.generation == release.generation && !wait.withdrawn)
                .map(|wait| wait.chunk)
                .collect();
        }
        let still_parked = (0..HAZARD_CHUNKS)
            .filter_map(|chunk| {
                let (generation, since_ms) = self.parked[chunk]?;
                Some(Parked { chunk, generation, since_ms })
            })
            .collect();
        HazardOutcome {
            run,
            barrier,
            chunks: HAZARD_CHUNKS,
            time_scale,
            invariant_held: !releases.iter().any(HazardRelease::is_false),
            releases,
            cancelled_waits: self.cancelled_waits,
            still_parked,
            finished: (0..HAZARD_CHUNKS).filter(|&chunk| self.finished[chunk]).collect(),
            ended_ms,
        }
    }
}

/// The scenario's clock, sink and ledger, shared by the chunks and the barrier's observer.
struct Stage<'s> {
    run: u32,
    clock: Stopwatch,
    sink: &'s dyn EventSink,
    /// Counts every event and every chunk that finishes: how `settle` sees that nothing moves any more.
    progress: Cell<u64>,
    ledger: RefCell<Ledger>,
}

impl Stage<'_> {
    /// Stamps `kind` with the time now and sends it.
    fn emit(&self, kind: EventKind) {
        self.emit_at(self.clock.elapsed_ms(), kind);
    }

    /// Sends `kind` stamped `t_ms`: a reading just taken and also written in
    /// the ledger, so the outcome's times are exactly its events' times.
    fn emit_at(&self, t_ms: f64, kind: EventKind) {
        self.progress.set(self.progress.get() + 1);
        self.sink.emit(&Event { run: self.run, t_ms, kind });
    }

    /// The barrier's observer: a release is judged, a withdrawal credited to
    /// the wait being dropped, and every signal becomes the pipeline's event.
    fn observe(&self, signal: &BarrierSignal) {
        let now = self.clock.elapsed_ms();
        {
            let mut ledger = self.ledger.borrow_mut();
            match *signal {
                BarrierSignal::Released { leader, generation, .. } => {
                    ledger.released(generation, now, leader)
                }
                BarrierSignal::Withdrawn { party, .. } if ledger.dropping == Some(party) => {
                    if let Some(wait) = ledger.cancelled_waits.last_mut() {
                        wait.withdrawn = true;
                    }
                }
                _ => {}
            }
        }
        if let Some(kind) = barrier_event(signal, None) {
            self.emit_at(now, kind);
        }
    }

    /// After the horizon, lets every chunk a release already woke run on
    /// (with a time scale of 0 no timer separates anything), until a trip
    /// through the event loop changes nothing.
    async fn settle(&self) {
        loop {
            let before = self.progress.get();
            yield_now().await;
            if self.progress.get() == before {
                return;
            }
        }
    }

    /// Reports every chunk that has not finished as cancelled where it is.
    fn cancel_unfinished(&self) {
        let unfinished: Vec<(usize, Option<Phase>, bool)> = {
            let ledger = self.ledger.borrow();
            (0..HAZARD_CHUNKS)
                .filter(|&chunk| !ledger.finished[chunk])
                .map(|chunk| (chunk, ledger.phase[chunk], ledger.parked[chunk].is_some()))
                .collect()
        };
        for (chunk, phase, waiting) in unfinished {
            let (phase, started) = (phase.unwrap_or(Phase::Embed), phase.is_some());
            self.emit(EventKind::ChunkCancelled { chunk, phase, waiting, started });
        }
    }
}

/// What one chunk's life needs: the stage and the barrier.
struct Cast<'c, 's, 'o> {
    stage: &'c Stage<'s>,
    barrier: &'c ChosenBarrier<'o>,
}

impl Cast<'_, '_, '_> {
    /// One chunk: embed, the barrier (giving up once after `patience`, if
    /// given, then arriving again at once), score, the barrier again.
    async fn life(&self, chunk: usize, embed_ms: f64, patience: Option<f64>, score_ms: f64) {
        self.phase(chunk, Phase::Embed, embed_ms).await;
        let passed = match patience {
            Some(patience) => self.wait_at_most(chunk, patience).await,
            None => false,
        };
        if !passed {
            self.wait(chunk).await;
        }
        self.phase(chunk, Phase::Score, score_ms).await;
        self.wait(chunk).await;
        self.stage.ledger.borrow_mut().finished[chunk] = true;
        self.stage.progress.set(self.stage.progress.get() + 1);
    }

    async fn phase(&self, chunk: usize, phase: Phase, ms: f64) {
        let stage = self.stage;
        stage.ledger.borrow_mut().phase[chunk] = Some(phase);
        let start = stage.clock.elapsed_ms();
        stage.emit_at(start, EventKind::PhaseStart { chunk, phase, planned_ms: Some(ms) });
        sleep_ms(ms).await;
        let now = stage.clock.elapsed_ms();
        {
            let mut ledger = stage.ledger.borrow_mut();
            ledger.time.working_ms += now - start;
            ledger.finished_phase[chunk][usize::from(phase == Phase::Score)] = Some(now);
        }
        stage.emit_at(now, EventKind::PhaseComplete { chunk, phase, score: None, early: None });
    }

    /// Parks `chunk` at the barrier until its generation is released.
    async fn wait(&self, chunk: usize) {
        let since = self.park(chunk);
        // Cannot fail: nothing aborts the barrier and no party drops out.
        let _ = self.barrier.wait_as(chunk).await;
        self.unpark(chunk, since);
    }

    /// Parks `chunk` at the barrier, but gives up after `patience` ms: the wait
    /// future is then dropped, as a timeout or a `select!` drops it. Whether
    /// the generation was released first (the chunk passed).
    async fn wait_at_most(&self, chunk: usize, patience: f64) -> bool {
        let stage = self.stage;
        let since = self.park(chunk);
        let generation = self.barrier.generation();
        let passed = {
            let wait = pin!(self.barrier.wait_as(chunk));
            let passed = matches!(select(wait, pin!(sleep_ms(patience))).await, Either::Left(_));
            if !passed {
                let now = stage.clock.elapsed_ms();
                let waited_ms = now - since;
                stage.emit_at(now, EventKind::WaitCancelled { chunk, generation, waited_ms });
                let mut ledger = stage.ledger.borrow_mut();
                let cancelled = CancelledWait { chunk, generation, at_ms: now, waited_ms, withdrawn: false };
                ledger.cancelled_waits.push(cancelled);
                ledger.dropping = Some(chunk);
            }
            passed
            // The wait is dropped here: PhaseBarrier withdraws its arrival
            // now (the observer marks the wait withdrawn); async-barrier does not.
        };
        self.stage.ledger.borrow_mut().dropping = None;
        self.unpark(chunk, since);
        passed
    }

    /// Notes that `chunk` waits at the barrier from now, in its current generation; returns since when.
    fn park(&self, chunk: usize) -> f64 {
        let since = self.stage.clock.elapsed_ms();
        let generation = self.barrier.generation();
        self.stage.ledger.borrow_mut().parked[chunk] = Some((generation, since));
        since
    }

    /// `chunk`'s wait since `since` is over: counted as waiting time.
    fn unpark(&self, chunk: usize, since: f64) {
        let now = self.stage.clock.elapsed_ms();
        let mut ledger = self.stage.ledger.borrow_mut();
        ledger.parked[chunk] = None;
        ledger.time.waiting_ms += now - since;
    }
}
