//! The JS API, and the only file with `#[wasm_bindgen]`: it turns JS options
//! into a [`RunConfig`], events into plain objects, and the run into a Promise.
//! Every check of a value's *range* lives in `config.rs`; this file only
//! checks that JS handed over the right *type*.
//!
//! Every read of a JS value can run user code (a getter, a `Proxy` trap) that
//! throws, and a JS exception unwinding through WebAssembly would leave the
//! run half-built and its Promise pending. So every read here goes through a
//! binding marked `catch` (`Reflect.get`, `Reflect.ownKeys`, and the few
//! below), and every length is checked before anything is copied.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;

use futures::future::{Either, LocalBoxFuture};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Array, Error, Float32Array, Function, JsString, Object, Promise, Reflect, JSON};
use web_sys::{AbortSignal, DomException};

use crate::config::{
    self, Approach, BarrierKind, ChunkErrorPolicy, ConfigError, Limit, RunConfig, MAX_FAULTS,
};
use crate::embedder::Embedder;
use crate::event::{Event, Phase};
use crate::fault::{Fault, FaultKind};
use crate::hazard::{run_hazard, HazardScenario};
use crate::outcome::PipelineError;
use crate::pipeline::rag_pipeline_until;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, which throws for a revoked Proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn checked_is_array(value: &JsValue) -> Result<bool, JsValue>;
    /// `Array.from`: a plain copy of an array-like, running its getters once.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = from)]
    fn checked_array_from(value: &JsValue) -> Result<Array, JsValue>;
    /// `Promise.resolve`, which reads a promise's `constructor` and so can throw.
    #[wasm_bindgen(catch, js_namespace = Promise, js_name = resolve)]
    fn checked_promise_resolve(value: &JsValue) -> Result<Promise, JsValue>;
    /// `JSON.parse` of a JS string already made: a batch's text crosses from WebAssembly once, not twice.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn parse_json_text(text: &JsString) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Options for runPipeline; every field is optional. */
export interface RunOptions {
  /** The text to search: 1 to 100000 non-blank strings, 10 MB in all (default: the bundled demo corpus). */
  documents?: string[];
  /** The most words in one chunk: an integer from 1 to 10000 (default 100). */
  chunkWords?: number;
  /** Words repeated from one chunk at the start of the next: 0 to chunkWords - 1 (default 0). */
  overlapWords?: number;
  /** How many chunks run: 1 to 100000; more than the documents make repeats them (default: every chunk once). */
  chunks?: number;
  /** The question to answer (default "What is retrieval augmented generation?"). */
  query?: string;
  /** Your embedding model: called for the query and every chunk; its vectors replace the hashed ones in the cosine. */
  embed?: (text: string) => Float32Array | number[] | Promise<Float32Array | number[]>;
  /** Replays a run: an integer from 0 to 2^53 - 1 (default: a random one, reported back). */
  seed?: number;
  /** Phase 1 latency bounds [min, max] in ms, 0 <= min <= max <= 60000 (default [100, 300]). */
  embedMs?: [number, number];
  /** Phase 2 latency in ms, 0 to 60000 (default 50). */
  scoreMs?: number;
  /** Multiplies every latency: 10 is ten times slower, 0 to 1000 (default 1). */
  timeScale?: number;
  /** Chunks that fail on purpose: an "error" at the end of the phase, or a "hang" that never ends
   *  (only phaseTimeoutMs or the signal ends it). At most 200000; each chunk below `chunks`. */
  faults?: { chunk: number; phase?: "embed" | "score"; kind?: "error" | "hang" }[];
  /** Shorthand for faults: [{ chunk: failChunk, phase: "embed", kind: "error" }]. */
  failChunk?: number;
  /** What the group does when a chunk fails: "fail-fast" (default; like asyncio.TaskGroup, cancel every
   *  other chunk and reject) or "drop-out" (the chunk leaves the barrier, the rest finish; needs barrier "phase"). */
  onChunkError?: "fail-fast" | "drop-out";
  /** The longest one chunk's phase (or an embed call) may take, in real ms (not scaled by timeScale):
   *  1 to 600000 (default: no limit). */
  phaseTimeoutMs?: number;
  /** Stops the run: the Promise rejects with a DOMException named "AbortError" after every chunk is cancelled
   *  (a signal already aborted rejects before anything runs, with no event). */
  signal?: AbortSignal;
  /** "phase" (default): our cancel-safe, breakable PhaseBarrier; "classic": the deprecated async-barrier crate. */
  barrier?: "phase" | "classic";
  /** "barrier" (default): one future per chunk, a barrier between the phases. "gather": the seed's alternative,
   *  one gather per phase (the first failure drops the rest of its gather); "gather-collect": the same with
   *  return_exceptions / allSettled (every task runs, failures are collected). The gathers ignore onChunkError and barrier. */
  approach?: "barrier" | "gather" | "gather-collect";
  /** One simulated vector-store write per chunk after Phase 1, 4 at a time: ms per write, 0 to 1000, scaled by
   *  timeScale (default 0: no store step). The barrier overlaps the writes with slower chunks' embeddings. */
  storeMs?: number;
}

/** One state change of a run; which fields are present depends on `type`. */
export interface PipelineEvent {
  type: "run-start" | "phase-start" | "phase-complete" | "barrier-arrive" | "barrier-withdraw"
      | "barrier-release" | "barrier-broken" | "chunk-failed" | "chunk-dropped" | "chunk-cancelled" | "top"
      | "without-barrier" | "answer-start" | "answer" | "run-end"
      | "gather-start" | "gather-end" | "store-start" | "store-complete";
  /** The run's id. */
  run: number;
  /** Milliseconds since the run started. */
  t: number;
  /** The seed's log line for this event, where it prints one. */
  line?: string;
  chunk?: number;
  id?: string;
  /** The chunk's phase; on gather-start and gather-end, what the gather's tasks do. */
  phase?: "embed" | "score" | "answer" | "store";
  plannedMs?: number;
  /** On a Phase 2 phase-complete: the blended score, and its parts. */
  score?: number;
  bm25?: number;
  cosine?: number;
  /** On a Phase 1 phase-complete: the score the chunk would get if it scored now, without the barrier. */
  early?: number;
  /** On without-barrier: how many chunks' early score differs from their real one,
   *  and how many of its top chunks are not in the real top. */
  changed?: number;
  wrong?: number;
  arrived?: number;
  parties?: number;
  generation?: number;
  leader?: number;
  leaderId?: string;
  /** On chunk-cancelled: parked at the barrier after `phase` rather than inside it. */
  waiting?: boolean;
  /** On chunk-cancelled: false if the chunk was cancelled before it ever ran. */
  started?: boolean;
  /** On chunk-failed and chunk-dropped: why. */
  message?: string;
  /** On chunk-failed and chunk-dropped: the phase ran past phaseTimeoutMs. */
  timedOut?: boolean;
  /** On barrier-release: the chunk whose drop-out completed the generation (every other party had arrived). */
  droppedOut?: number;
  droppedOutId?: string;
  /** On run-start: which barrier the run uses. */
  barrier?: "phase" | "classic";
  /** On run-start: what the group does when a chunk fails. */
  policy?: "fail-fast" | "drop-out";
  /** On run-start: how the phases are synchronised. */
  approach?: "barrier" | "gather" | "gather-collect";
  /** On run-start: the store write's ms before timeScale (0: no store step). */
  storeMs?: number;
  /** On gather-start and gather-end: the gather's tasks, one per chunk. */
  tasks?: number;
  /** On gather-end: how many of its tasks failed (at most 1 for "gather": the rest were dropped). */
  failed?: number;
  /** On store-start: ms the write waited for one of the store's 4 slots. */
  queuedMs?: number;
  /** On top and without-barrier: the top chunks, best first. */
  top?: { chunk: number; id: string; score: number }[];
  /** On barrier-broken: why the barrier was aborted. */
  reason?: string;
  from?: number;
  text?: string;
  chunks?: number;
  seed?: number;
  query?: string;
  makespanMs?: number;
  /** On run-end: milliseconds the chunks spent in phases, summed over chunks. */
  workingMs?: number;
  /** On run-end: milliseconds the chunks spent parked at the barrier, summed over chunks. */
  waitingMs?: number;
  error?: string;
  /** On run-end: the run was stopped through its signal. */
  aborted?: boolean;
}

/** What a finished run resolves to. */
export interface RunResult {
  /** Quoted sentences of the top chunks, each followed by its citation, e.g. "[chunk-4]". */
  answer: string;
  /** The same answer as data: each quoted sentence and the chunk it cites (empty when nothing matched).
   *  Draw citations from these, never by parsing `answer`: a document may itself contain "[chunk-7]". */
  quotes: { text: string; chunk: number; id: string }[];
  /** The top 3 chunks, best first, with their text and the parts of their score. */
  top: { chunk: number; id: string; score: number; bm25: number; cosine: number; text: string }[];
  /** Had chunks scored as soon as they were embedded (no barrier): the top 3 by those early
   *  scores, and how many chunks' early score differs from their real one. */
  withoutBarrier: { top: { chunk: number; id: string; score: number }[]; changed: number; wrong: number };
  /** Under onChunkError "drop-out": the chunks that failed and left, in the order they did. */
  dropped: { chunk: number; id: string; phase: "embed" | "score"; message: string }[];
  /** How the phases were synchronised. */
  approach: "barrier" | "gather" | "gather-collect";
  /** Task futures made: one per chunk (barrier), or one per chunk and gather (embed, store, score). */
  tasks: number;
  /** Under approach "gather-collect": the failures its gathers collected, in gather order, then chunk order. */
  collected: { chunk: number; id: string; phase: "embed" | "score"; message: string; timedOut: boolean }[];
  makespanMs: number;
  /** Milliseconds the chunks spent in phases, summed over chunks. */
  workingMs: number;
  /** Milliseconds the chunks spent parked at the barrier, summed over chunks: the barrier's cost (with the
   *  gathers: finished tasks waiting for their gather to join; with storeMs, also queued for a store slot). */
  waitingMs: number;
  seed: number;
  runId: number;
}
"#;

/// Runs once, when the module is instantiated: a panic (a bug) then prints
/// its message and location to the console instead of a bare `unreachable`.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Runs the pipeline; resolves to `{ answer, top, withoutBarrier, dropped, approach, tasks, collected, makespanMs, … }`.
///
/// `onEvent` receives every event as a plain object, in order: all the
/// events of one turn of the event loop are delivered together at its end
/// (they are built as one JSON batch, many times cheaper than an object at a
/// time), and always before the Promise settles. Bad options reject with an `Error` naming the field and its
/// accepted range (and carrying it as `error.field`); a failed chunk rejects
/// with an `Error` naming the chunk and phase; an aborted `signal` rejects
/// with a `DOMException` named `AbortError`, after every chunk was cancelled
/// and with no event after it. If `onEvent` throws, the run still completes
/// and the promise rejects with the first thrown value.
#[wasm_bindgen(js_name = runPipeline, unchecked_return_type = "RunResult")]
pub async fn run_pipeline(
    #[wasm_bindgen(unchecked_optional_param_type = "RunOptions")] options: JsValue,
    #[wasm_bindgen(js_name = onEvent, unchecked_optional_param_type = "(event: PipelineEvent) => void")]
    on_event: JsValue,
) -> Result<JsValue, JsValue> {
    let sink = JsSink::new(on_event, "onEvent", Delivery::EachEvent).map_err(config_error)?;
    run(&options, sink).await
}

/// [`run_pipeline`], handing `onBatch` each turn's events as one array: the
/// cheapest way to follow a run of 100,000 chunks (600,000 events). The
/// second argument is the same batch as the JSON text it was parsed from, for
/// a caller that keeps the run: one string per batch is far cheaper to hold
/// than its event objects (`JSON.parse` it back when needed).
#[wasm_bindgen(js_name = runPipelineBatched, unchecked_return_type = "RunResult")]
pub async fn run_pipeline_batched(
    #[wasm_bindgen(unchecked_optional_param_type = "RunOptions")] options: JsValue,
    #[wasm_bindgen(js_name = onBatch, unchecked_optional_param_type = "(events: PipelineEvent[], json: string) => void")]
    on_batch: JsValue,
) -> Result<JsValue, JsValue> {
    let sink = JsSink::new(on_batch, "onBatch", Delivery::Batches).map_err(config_error)?;
    run(&options, sink).await
}

/// Parses `options` and runs the pipeline, flushing `sink` after every poll.
async fn run(options: &JsValue, sink: JsSink) -> Result<JsValue, JsValue> {
    let Parsed { config, embedder, signal } = parse_options(options).map_err(config_error)?;
    if signal.as_ref().is_some_and(AbortSignal::aborted) {
        return Err(abort_error());
    }
    let embedder = embedder.as_ref().map(|embedder| embedder as &dyn Embedder);
    let stop = match &signal {
        Some(signal) => Either::Left(aborted(signal)),
        None => Either::Right(std::future::pending()),
    };
    let result = {
        let emit = |event: &Event| sink.emit(event);
        flushing(rag_pipeline_until(&config, embedder, stop, &emit), &sink).await
    };
    if let Some(thrown) = sink.thrown.into_inner() {
        return Err(thrown);
    }
    let outcome = result.map_err(|error| match error {
        PipelineError::Config(error) => config_error(error),
        PipelineError::Aborted => abort_error(),
        PipelineError::Query(_) => {
            let js = Error::new(&error.to_string());
            set(&js, "field", "embed");
            js.into()
        }
        PipelineError::Chunk(ref chunk) => {
            let js = Error::new(&error.to_string());
            set(&js, "chunk", chunk.chunk as f64);
            set(&js, "phase", chunk.phase.name());
            js.into()
        }
        PipelineError::AllDropped(ref dropped) => {
            let js = Error::new(&error.to_string());
            set(&js, "dropped", dropped.len() as f64);
            js.into()
        }
        PipelineError::AllFailed(ref collected) => {
            let js = Error::new(&error.to_string());
            set(&js, "collected", collected.len() as f64);
            js.into()
        }
    })?;
    let mut json = String::new();
    outcome.write_json(&mut json);
    // Our own JSON: it always parses.
    Ok(JSON::parse(&json).unwrap_or(JsValue::UNDEFINED))
}

/// Awaits `running`, handing `sink`'s events to JS after every poll: each
/// poll is one turn of the event loop, and its events go out as one batch.
async fn flushing<F: Future>(running: F, sink: &JsSink) -> F::Output {
    let mut running = pin!(running);
    poll_fn(|cx| {
        let poll = running.as_mut().poll(cx);
        sink.flush();
        poll
    })
    .await
}

/// Resolves when `signal` aborts. The listener is the resolve function
/// itself, so no Rust closure can be called after it is freed.
fn aborted(signal: &AbortSignal) -> impl Future<Output = ()> {
    let promise = Promise::new(&mut |resolve, _reject| {
        // Cannot fail for a real AbortSignal (it is an EventTarget).
        let _ = signal.add_event_listener_with_callback("abort", &resolve);
    });
    async move {
        let _ = JsFuture::from(promise).await;
    }
}

/// What an aborted run rejects with, as `fetch` does: a `DOMException` named `AbortError`.
fn abort_error() -> JsValue {
    let message = "The run was stopped: every chunk was cancelled.";
    DomException::new_with_message_and_name(message, "AbortError")
        .map(JsValue::from)
        .unwrap_or_else(|_| Error::new(message).into())
}

/// The option names `runPipeline` accepts; anything else is a typo worth an error.
const OPTION_NAMES: [&str; 18] = [
    "documents",
    "chunkWords",
    "overlapWords",
    "chunks",
    "query",
    "embed",
    "seed",
    "embedMs",
    "scoreMs",
    "timeScale",
    "faults",
    "failChunk",
    "onChunkError",
    "phaseTimeoutMs",
    "signal",
    "barrier",
    "approach",
    "storeMs",
];

/// The names a fault object accepts.
const FAULT_NAMES: [&str; 3] = ["chunk", "phase", "kind"];

/// The most numbers an `embed` vector may hold (real models use up to a few thousand).
const MAX_DIMENSIONS: f64 = 65_536.0;

/// What `runPipeline`'s options become.
struct Parsed {
    config: RunConfig,
    embedder: Option<JsEmbedder>,
    signal: Option<AbortSignal>,
}

fn parse_options(options: &JsValue) -> Result<Parsed, ConfigError> {
    let mut config = RunConfig::default();
    if !options_object(options, &OPTION_NAMES)? {
        return Ok(Parsed { config, embedder: None, signal: None });
    }
    let documents = read(options, "documents")?;
    if !documents.is_undefined() {
        config.documents = Some(strings(&documents, "documents")?);
    }
    if let Some(words) = number(options, &config::CHUNK_WORDS)? {
        config.chunking.max_words = words as usize;
    }
    if let Some(words) = number(options, &config::OVERLAP_WORDS)? {
        config.chunking.overlap_words = words as usize;
    }
    if let Some(chunks) = number(options, &config::CHUNKS)? {
        config.chunks = Some(chunks as usize);
    }
    let embed = read(options, "embed")?;
    let embedder = match embed.dyn_into::<Function>() {
        Ok(function) => Some(JsEmbedder(function)),
        Err(other) if other.is_undefined() => None,
        Err(other) => {
            let expected = "must be a function (text) => Float32Array | number[] (or a Promise of one)";
            return Err(ConfigError::new("embed", expected, describe(&other)));
        }
    };
    let query = read(options, config::QUERY_CHARS.field)?;
    if !query.is_undefined() {
        let expected = "must be a string";
        config.query =
            query.as_string().ok_or_else(|| ConfigError::new("query", expected, describe(&query)))?;
    }
    if let Some(seed) = number(options, &config::SEED)? {
        config.seed = Some(seed as u64);
    }
    let embed_ms = read(options, config::EMBED_MS.field)?;
    if !embed_ms.is_undefined() {
        config.embed_ms = pair(&embed_ms, config::EMBED_MS.field, &config::EMBED_MS.describe())?;
    }
    if let Some(score_ms) = number(options, &config::SCORE_MS)? {
        config.score_ms = score_ms;
    }
    if let Some(time_scale) = number(options, &config::TIME_SCALE)? {
        config.time_scale = time_scale;
    }
    config.faults = faults(&read(options, "faults")?)?;
    if let Some(chunk) = number(options, &config::FAIL_CHUNK)? {
        config.faults.push(Fault::error(chunk as usize, Phase::Embed));
    }
    let policy = read(options, "onChunkError")?;
    if !policy.is_undefined() {
        let names = ChunkErrorPolicy::ALL.map(ChunkErrorPolicy::name);
        config.on_chunk_error = one_of(&policy, "onChunkError", &names, ChunkErrorPolicy::from_name)?;
    }
    config.phase_timeout_ms = number(options, &config::PHASE_TIMEOUT_MS)?;
    let signal = read(options, "signal")?;
    let signal = match signal.dyn_into::<AbortSignal>() {
        Ok(signal) => Some(signal),
        Err(other) if other.is_undefined() || other.is_null() => None,
        Err(other) => return Err(ConfigError::new("signal", "must be an AbortSignal", describe(&other))),
    };
    if let Some(barrier) = barrier_option(options)? {
        config.barrier = barrier;
    }
    let approach = read(options, "approach")?;
    if !approach.is_undefined() {
        let names = Approach::ALL.map(Approach::name);
        config.approach = one_of(&approach, "approach", &names, Approach::from_name)?;
    }
    if let Some(store_ms) = number(options, &config::STORE_MS)? {
        config.store_ms = store_ms;
    }
    // The ranges that depend on more than one field (embedMs order, faults
    // below chunks) are checked once, by rag_pipeline's own validate().
    Ok(Parsed { config, embedder, signal })
}

/// Whether `options` was given (`undefined` and `null` were not): an object
/// (not an array or a function) whose every key is one of `names`.
fn options_object(options: &JsValue, names: &[&str]) -> Result<bool, ConfigError> {
    if options.is_undefined() || options.is_null() {
        return Ok(false);
    }
    let is_array = checked_is_array(options).unwrap_or(true);
    if !options.is_object() || is_array || options.is_function() {
        return Err(ConfigError::new("options", "must be an object", describe(options)));
    }
    check_names(options, "options", names)?;
    Ok(true)
}

/// Reads the `barrier` option: absent is `None`.
fn barrier_option(options: &JsValue) -> Result<Option<BarrierKind>, ConfigError> {
    let barrier = read(options, "barrier")?;
    if barrier.is_undefined() {
        return Ok(None);
    }
    let names = BarrierKind::ALL.map(BarrierKind::name);
    one_of(&barrier, "barrier", &names, BarrierKind::from_name).map(Some)
}

/// Fails on the first own or inherited key of `object` (up to, not
/// including, `Object.prototype`) that is not in `names`: enumerable or
/// not, string or symbol. A typo such as `chunk` would otherwise be ignored.
fn check_names(object: &JsValue, field: &'static str, names: &[&str]) -> Result<(), ConfigError> {
    let object_prototype = Reflect::get_prototype_of(&Object::new()).map(JsValue::from).ok();
    let unreadable = |thrown: JsValue| ConfigError::new(field, "could not be read", thrown_text(&thrown));
    let mut current = object.clone();
    // A prototype chain is short; a Proxy could make it endless.
    for _ in 0..64 {
        if current.is_null() || current.is_undefined() || Some(&current) == object_prototype.as_ref() {
            return Ok(());
        }
        let keys = Reflect::own_keys(&current).map_err(unreadable)?;
        for key in keys.iter() {
            let known = key.as_string().filter(|key| names.contains(&key.as_str()));
            if known.is_none() {
                let key =
                    key.as_string().map_or_else(|| "a symbol key".to_string(), |key| format!("{key:?}"));
                let expected = format!("has no option {key}; accepted: {}", names.join(", "));
                return Err(ConfigError::new(field, expected, describe(object)));
            }
        }
        current = Reflect::get_prototype_of(&current).map_err(unreadable)?.into();
    }
    Err(ConfigError::new(field, "must have a prototype chain shorter than 64", describe(object)))
}

/// Reads `object[key]`; a getter or Proxy trap that throws becomes an error naming the field.
fn read(object: &JsValue, key: &'static str) -> Result<JsValue, ConfigError> {
    Reflect::get(object, &JsValue::from_str(key))
        .map_err(|thrown| ConfigError::new(key, "could not be read", thrown_text(&thrown)))
}

/// The array-like `value`'s length, if it is an array (or typed array) whose
/// length reads as a whole number: read without copying anything.
fn array_length(value: &JsValue) -> Option<f64> {
    let listy = checked_is_array(value).unwrap_or(false) || value.is_instance_of::<Float32Array>();
    let length = listy.then(|| Reflect::get(value, &JsValue::from_str("length")).ok())??.as_f64()?;
    (length >= 0.0 && length.fract() == 0.0).then_some(length)
}

/// Why [`bounded_array`] could not copy an array.
enum ArrayError {
    /// It is not an array: what it is instead.
    NotArray(String),
    /// It has more entries than allowed.
    TooLong(f64),
    /// Reading it threw: what was thrown.
    Unreadable(String),
}

impl ArrayError {
    /// The error for option `field`, which `expected` an array of this shape.
    fn for_field(self, field: &'static str, expected: impl Into<String>, longest: &str) -> ConfigError {
        match self {
            ArrayError::NotArray(got) => ConfigError::new(field, expected, got),
            ArrayError::TooLong(length) => {
                ConfigError::new(field, format!("must be {longest}"), format!("an array of length {length}"))
            }
            ArrayError::Unreadable(thrown) => ConfigError::new(field, "could not be read", thrown),
        }
    }
}

/// A plain copy of the array `value` of at most `max` entries.
fn bounded_array(value: &JsValue, max: f64) -> Result<Array, ArrayError> {
    let length = array_length(value).ok_or_else(|| ArrayError::NotArray(describe(value)))?;
    if length > max {
        return Err(ArrayError::TooLong(length));
    }
    checked_array_from(value).map_err(|thrown| ArrayError::Unreadable(thrown_text(&thrown)))
}

/// Reads an array of strings, naming the first entry that is not one.
fn strings(value: &JsValue, field: &'static str) -> Result<Vec<String>, ConfigError> {
    let expected = "must be an array of strings";
    let max = config::CHUNKS.max;
    let array = bounded_array(value, max)
        .map_err(|error| error.for_field(field, expected, &format!("an array of 1 to {max} strings")))?;
    // Counted in UTF-16 units before copying: a UTF-8 copy is at least as long.
    let mut units = 0;
    let mut texts = Vec::with_capacity(array.length() as usize);
    for (index, entry) in array.iter().enumerate() {
        let Some(text) = entry.dyn_ref::<JsString>() else {
            return Err(ConfigError::new(
                field,
                expected,
                format!("{field}[{index}] = {}", describe(&entry)),
            ));
        };
        units += text.length() as usize;
        if units > config::MAX_DOCUMENT_BYTES {
            let expected =
                format!("must hold at most {} MB of text in all", config::MAX_DOCUMENT_BYTES >> 20);
            let got = format!("{:.1} MB", units as f64 / (1 << 20) as f64);
            return Err(ConfigError::new(field, expected, got));
        }
        texts.push(String::from(text));
    }
    Ok(texts)
}

/// Reads `[a, b]`, two numbers, for option `field`.
fn pair(value: &JsValue, field: &'static str, each: &str) -> Result<(f64, f64), ConfigError> {
    let shape = format!("[min, max], each {each}");
    let expected = format!("must be {shape}");
    let array = bounded_array(value, 2.0).map_err(|error| error.for_field(field, &expected, &shape))?;
    match (array.length(), array.get(0).as_f64(), array.get(1).as_f64()) {
        (2, Some(min), Some(max)) => Ok((min, max)),
        _ => Err(ConfigError::new(field, expected, describe(value))),
    }
}

/// Reads the `faults` option: absent is none.
fn faults(value: &JsValue) -> Result<Vec<Fault>, ConfigError> {
    const FIELD: &str = "faults";
    if value.is_undefined() {
        return Ok(Vec::new());
    }
    let shape = r#"must be an array of { chunk, phase: "embed" | "score", kind: "error" | "hang" }"#;
    let array = bounded_array(value, MAX_FAULTS as f64).map_err(|error| {
        error.for_field(FIELD, shape, &format!("an array of at most {MAX_FAULTS} faults"))
    })?;
    array
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let at = |got: String| ConfigError::new(FIELD, shape, format!("faults[{index}] = {got}"));
            if !entry.is_object() || entry.is_function() || checked_is_array(&entry).unwrap_or(true) {
                return Err(at(describe(&entry)));
            }
            check_names(&entry, FIELD, &FAULT_NAMES)?;
            let part =
                |key: &'static str| read(&entry, key).map_err(|error| at(format!("{key} {}", error.got)));
            let chunk = part("chunk")?;
            let chunk = chunk
                .as_f64()
                .filter(|chunk| config::FAIL_CHUNK.check(*chunk).is_ok())
                .ok_or_else(|| at(format!("chunk {} (a chunk index from 0 to 99999)", describe(&chunk))))?;
            let phase = match part("phase")?.as_string().as_deref() {
                None => Phase::Embed,
                Some("embed") => Phase::Embed,
                Some("score") => Phase::Score,
                Some(other) => return Err(at(format!("phase {other:?}"))),
            };
            let kind = part("kind")?;
            let kind = match kind.as_string() {
                None if kind.is_undefined() => FaultKind::Error,
                Some(name) => FaultKind::from_name(&name).ok_or_else(|| at(format!("kind {name:?}")))?,
                None => return Err(at(format!("kind {}", describe(&kind)))),
            };
            Ok(Fault { chunk: chunk as usize, phase, kind })
        })
        .collect()
}

/// Reads a string option that must be one of `names`.
fn one_of<T>(
    value: &JsValue,
    field: &'static str,
    names: &[&str],
    from_name: impl Fn(&str) -> Option<T>,
) -> Result<T, ConfigError> {
    value.as_string().and_then(|name| from_name(&name)).ok_or_else(|| {
        let names: Vec<String> = names.iter().map(|name| format!("{name:?}")).collect();
        ConfigError::new(field, format!("must be one of {}", names.join(", ")), describe(value))
    })
}

/// The `embed` option: a JS function from text to a vector, or a Promise of one.
struct JsEmbedder(Function);

impl Embedder for JsEmbedder {
    fn embed<'a>(&'a self, text: &'a str) -> LocalBoxFuture<'a, Result<Vec<f32>, String>> {
        Box::pin(async move {
            let returned = self.0.call1(&JsValue::NULL, &JsValue::from_str(text)).map_err(|e| thrown(&e))?;
            // Promise.resolve takes a value or a thenable alike.
            let promise = checked_promise_resolve(&returned).map_err(|e| thrown(&e))?;
            let value = JsFuture::from(promise).await.map_err(|e| thrown(&e))?;
            to_vector(&value)
        })
    }
}

/// A thrown or rejected value as words: an Error's message, else the value.
fn thrown(value: &JsValue) -> String {
    format!("embed threw: {}", thrown_text(value))
}

/// What a thrown value says: an Error's message (read safely), else the value as [`describe`] shows it.
fn thrown_text(value: &JsValue) -> String {
    let message = value
        .dyn_ref::<Error>()
        .and_then(|error| Reflect::get(error, &JsValue::from_str("message")).ok())
        .filter(JsValue::is_string);
    match message {
        Some(message) => describe_plain(&message),
        None => describe(value),
    }
}

/// What `embed` resolved to, as numbers: a Float32Array or an array of numbers.
fn to_vector(value: &JsValue) -> Result<Vec<f32>, String> {
    let expected = "embed must return a Float32Array or an array of numbers";
    let array = bounded_array(value, MAX_DIMENSIONS).map_err(|error| match error {
        ArrayError::NotArray(got) => format!("{expected} (got {got})"),
        ArrayError::TooLong(length) => format!("{expected} of at most {MAX_DIMENSIONS} (got {length})"),
        ArrayError::Unreadable(thrown) => format!("{expected}; reading it threw {thrown}"),
    })?;
    array
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            entry
                .as_f64()
                .map(|number| number as f32)
                .ok_or_else(|| format!("{expected} (entry {index} is {})", describe(&entry)))
        })
        .collect()
}

/// Reads option `limit.field`: absent is `None`; anything but an in-range number is an error.
fn number(options: &JsValue, limit: &Limit) -> Result<Option<f64>, ConfigError> {
    let value = read(options, limit.field)?;
    if value.is_undefined() {
        return Ok(None);
    }
    let number = value.as_f64().ok_or_else(|| limit.error(describe(&value)))?;
    limit.check(number).map(Some)
}

/// Sets `key` on a plain object we created; that cannot fail, so the result is ignored.
fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

/// How a JS value reads in an error message, in at most about 60
/// characters, without running any of its code or copying all of it.
fn describe(value: &JsValue) -> String {
    if let Some(text) = value.dyn_ref::<JsString>() {
        let head = String::from(text.slice(0, 60));
        let more = if text.length() > 60 { "…" } else { "" };
        return format!("{head:?}{more}");
    }
    describe_plain(value)
}

/// [`describe`], but a string is shown as it is, unquoted.
fn describe_plain(value: &JsValue) -> String {
    if let Some(text) = value.dyn_ref::<JsString>() {
        let head = String::from(text.slice(0, 200));
        return if text.length() > 200 { format!("{head}…") } else { head };
    }
    if let Some(number) = value.as_f64() {
        return config::number_text(number);
    }
    if let Some(flag) = value.as_bool() {
        return flag.to_string();
    }
    if value.is_null() {
        return "null".into();
    }
    if value.is_undefined() {
        return "undefined".into();
    }
    if value.is_function() {
        return "a function".into();
    }
    if value.is_symbol() {
        return "a symbol".into();
    }
    if value.is_bigint() {
        return "a bigint".into();
    }
    match array_length(value) {
        Some(length) => format!("an array of length {length}"),
        None if checked_is_array(value).is_err() => "a revoked Proxy".into(),
        None => "an object".into(),
    }
}

/// A JS `Error` whose message names the field and its range, with `error.field` set.
fn config_error(error: ConfigError) -> JsValue {
    let js = Error::new(&error.to_string());
    set(&js, "field", error.field);
    js.into()
}

// The hazard demo (`hazard.rs`): async-barrier beside PhaseBarrier when a wait is dropped.

#[wasm_bindgen(typescript_custom_section)]
const HAZARD_TYPES: &str = r#"
/** Options for runHazardDemo; both optional. */
export interface HazardOptions {
  /** "phase" (default): PhaseBarrier, which withdraws a dropped wait's arrival; "classic": async-barrier, which keeps it. */
  barrier?: "phase" | "classic";
  /** Multiplies every latency of the script: 0 to 1000 (default 1). */
  timeScale?: number;
}

/** The hazard demo's script at time scale 1, as hazardScenario() returns it. */
export interface HazardScenario {
  chunks: number;
  /** Each chunk's Phase 1 and Phase 2 latency, in ms. */
  embedMs: number[];
  scoreMs: number[];
  /** The chunk whose first barrier wait gives up after patienceMs (its wait future is dropped). */
  impatient: number;
  impatientId: string;
  patienceMs: number;
  /** When the demo ends if a chunk is parked for good. */
  horizonMs: number;
}

/** An event of the hazard demo: a pipeline event, or the dropped wait. */
export type HazardEvent = PipelineEvent | {
  type: "wait-cancelled"; run: number; t: number; line: string;
  chunk: number; id: string; generation: number; waitedMs: number;
};

/** One released generation; `false` when it left a chunk behind (`missing`). */
export interface HazardRelease {
  generation: number;
  atMs: number;
  leader: number;
  leaderId: string;
  /** Chunks that had not finished the phase this generation closes (embed for 0, score for 1) when it was
   *  released: inside it (`working`) or not yet begun; when they did finish it, if before the end. */
  missing: { chunk: number; id: string; phase: "embed" | "score"; working: boolean; finishedAtMs?: number }[];
  /** Chunks whose dropped wait in this generation stayed counted. */
  countedCancelled: { chunk: number; id: string }[];
  false: boolean;
}

/** What runHazardDemo resolves to: every conclusion, computed in Rust. */
export interface HazardResult {
  runId: number;
  barrier: "phase" | "classic";
  chunks: number;
  timeScale: number;
  releases: HazardRelease[];
  /** The releases with `false` set, again. */
  falseReleases: HazardRelease[];
  /** Every wait that gave up; `withdrawn`: the barrier took its arrival back. */
  cancelledWaits: { chunk: number; id: string; generation: number; atMs: number; waitedMs: number; withdrawn: boolean }[];
  /** Chunks still parked at the barrier when the demo ended: nothing would ever release them. */
  stillParked: { chunk: number; id: string; generation: number; sinceMs: number }[];
  /** Chunks that finished both phases and passed the barrier twice. */
  finished: { chunk: number; id: string }[];
  endedMs: number;
  /** No generation was released before every chunk finished the phase it closes. */
  invariantHeld: boolean;
}
"#;

/// The hazard demo's script at time scale 1: `{ chunks, embedMs, scoreMs, impatient, patienceMs, horizonMs }`.
#[wasm_bindgen(js_name = hazardScenario, unchecked_return_type = "HazardScenario")]
pub fn hazard_scenario() -> JsValue {
    let mut json = String::new();
    HazardScenario::SCRIPT.write_json(&mut json);
    // Our own JSON: it always parses.
    JSON::parse(&json).unwrap_or(JsValue::UNDEFINED)
}

/// Runs the hazard demo on real timers with one barrier: four chunks, one
/// of which gives up waiting once (its wait is dropped) and arrives again.
/// Resolves to what happened, judged in Rust: each release, who it left
/// behind, the dropped waits, who is still parked. `onEvent` gets every
/// event as `runPipeline`'s does; bad options reject with an `Error` naming
/// the field and its range (and carrying it as `error.field`).
#[wasm_bindgen(js_name = runHazardDemo, unchecked_return_type = "HazardResult")]
pub async fn run_hazard_demo(
    #[wasm_bindgen(unchecked_optional_param_type = "HazardOptions")] options: JsValue,
    #[wasm_bindgen(js_name = onEvent, unchecked_optional_param_type = "(event: HazardEvent) => void")]
    on_event: JsValue,
) -> Result<JsValue, JsValue> {
    let sink = JsSink::new(on_event, "onEvent", Delivery::EachEvent).map_err(config_error)?;
    let (barrier, time_scale) = parse_hazard_options(&options).map_err(config_error)?;
    let outcome = {
        let emit = |event: &Event| sink.emit(event);
        flushing(run_hazard(barrier, time_scale, &emit), &sink).await
    };
    if let Some(thrown) = sink.thrown.into_inner() {
        return Err(thrown);
    }
    let mut json = String::new();
    outcome.map_err(config_error)?.write_json(&mut json);
    // Our own JSON: it always parses.
    Ok(JSON::parse(&json).unwrap_or(JsValue::UNDEFINED))
}

/// The option names `runHazardDemo` accepts.
const HAZARD_OPTION_NAMES: [&str; 2] = ["barrier", "timeScale"];

/// `runHazardDemo`'s options: the barrier (default ours) and the time scale (default 1).
fn parse_hazard_options(options: &JsValue) -> Result<(BarrierKind, f64), ConfigError> {
    if !options_object(options, &HAZARD_OPTION_NAMES)? {
        return Ok((BarrierKind::default(), 1.0));
    }
    let barrier = barrier_option(options)?.unwrap_or_default();
    let time_scale = number(options, &config::TIME_SCALE)?.unwrap_or(1.0);
    Ok((barrier, time_scale))
}

/// How a [`JsSink`] hands events over.
#[derive(Clone, Copy)]
enum Delivery {
    /// One call per event (`onEvent`).
    EachEvent,
    /// One call per batch (`onBatch`).
    Batches,
}

/// Collects events as one JSON array and hands them to a JS callback at
/// each [`flush`](JsSink::flush), remembering the first value it throws.
struct JsSink {
    callback: Option<Function>,
    delivery: Delivery,
    batch: RefCell<String>,
    thrown: RefCell<Option<JsValue>>,
}

impl JsSink {
    fn new(callback: JsValue, field: &'static str, delivery: Delivery) -> Result<Self, ConfigError> {
        let callback = match callback.dyn_into::<Function>() {
            Ok(callback) => Some(callback),
            Err(other) if other.is_undefined() || other.is_null() => None,
            Err(other) => return Err(ConfigError::new(field, "must be a function", describe(&other))),
        };
        Ok(JsSink { callback, delivery, batch: RefCell::new(String::new()), thrown: RefCell::new(None) })
    }

    fn emit(&self, event: &Event) {
        if self.callback.is_none() {
            return;
        }
        let mut batch = self.batch.borrow_mut();
        let separator = if batch.is_empty() { '[' } else { ',' };
        batch.push(separator);
        event.write_json(&mut batch);
    }

    /// Hands over the events emitted since the last flush, if any.
    fn flush(&self) {
        let Some(callback) = &self.callback else { return };
        // Taken out first: a callback may do anything, even start a run.
        let mut json = std::mem::take(&mut *self.batch.borrow_mut());
        if json.is_empty() {
            return;
        }
        json.push(']');
        // One JS string, parsed here and (batches) handed over too: a page that keeps a run keeps the text,
        // a few large strings, instead of every event object.
        let text = JsString::from(json.as_str());
        // Our own JSON: it always parses.
        let Ok(events) = parse_json_text(&text) else { return };
        let keep = |result: Result<JsValue, JsValue>| {
            if let Err(thrown) = result {
                self.thrown.borrow_mut().get_or_insert(thrown);
            }
        };
        match self.delivery {
            Delivery::Batches => keep(callback.call2(&JsValue::NULL, &events, text.as_ref())),
            Delivery::EachEvent => events
                .unchecked_ref::<Array>()
                .iter()
                .for_each(|event| keep(callback.call1(&JsValue::NULL, &event))),
        }
    }
}
