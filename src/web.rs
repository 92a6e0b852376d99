//! The JS API, and the only file with `#[wasm_bindgen]`: it turns JS options
//! into a [`RunConfig`], events into plain objects, and the run into a Promise.
//! Every check of a value's *range* lives in `config.rs`; this file only
//! checks that JS handed over the right *type*.

use std::cell::RefCell;

use futures::future::LocalBoxFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Array, Error, Float32Array, Function, Object, Promise, Reflect, JSON};

use crate::barrier_choice::BarrierKind;
use crate::config::{self, ConfigError, Limit, RunConfig};
use crate::embedder::Embedder;
use crate::event::{chunk_id, Event, EventKind, Scored, WithoutBarrier};
use crate::pipeline::{rag_pipeline_with, PipelineError};

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
  /** Index of a chunk that fails at the end of Phase 1 (default: none fails). */
  failChunk?: number;
  /** "phase" (default): our cancel-safe, breakable PhaseBarrier; "classic": the deprecated async-barrier crate. */
  barrier?: "phase" | "classic";
}

/** One state change of a run; which fields are present depends on `type`. */
export interface PipelineEvent {
  type: "run-start" | "phase-start" | "phase-complete" | "barrier-arrive" | "barrier-withdraw"
      | "barrier-release" | "barrier-broken" | "chunk-failed" | "chunk-cancelled" | "top"
      | "without-barrier" | "answer-start" | "answer" | "run-end";
  /** The run's id. */
  run: number;
  /** Milliseconds since the run started. */
  t: number;
  /** The seed's log line for this event, where it prints one. */
  line?: string;
  chunk?: number;
  id?: string;
  phase?: "embed" | "score" | "answer";
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
  waiting?: boolean;
  message?: string;
  /** On run-start: which barrier the run uses. */
  barrier?: "phase" | "classic";
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
}

/** What a finished run resolves to. */
export interface RunResult {
  /** Quoted sentences of the top chunks, each followed by its citation, e.g. "[chunk-4]". */
  answer: string;
  /** The top 3 chunks, best first, with their text and the parts of their score. */
  top: { chunk: number; id: string; score: number; bm25: number; cosine: number; text: string }[];
  /** Had chunks scored as soon as they were embedded (no barrier): the top 3 by those early
   *  scores, and how many chunks' early score differs from their real one. */
  withoutBarrier: { top: { chunk: number; id: string; score: number }[]; changed: number; wrong: number };
  makespanMs: number;
  /** Milliseconds the chunks spent in phases, summed over chunks. */
  workingMs: number;
  /** Milliseconds the chunks spent parked at the barrier, summed over chunks: the barrier's cost. */
  waitingMs: number;
  seed: number;
  runId: number;
}
"#;

/// Runs the pipeline; resolves to `{ answer, top, makespanMs, workingMs, waitingMs, seed, runId }`.
///
/// `onEvent` receives every event as a plain object, synchronously, as it
/// happens. Bad options reject with an `Error` naming the field and its
/// accepted range (and carrying it as `error.field`); a failed chunk rejects
/// with an `Error` naming the chunk and phase. If `onEvent` throws, the run
/// still completes and the promise rejects with the first thrown value.
#[wasm_bindgen(js_name = runPipeline, unchecked_return_type = "RunResult")]
pub async fn run_pipeline(
    #[wasm_bindgen(unchecked_optional_param_type = "RunOptions")] options: JsValue,
    #[wasm_bindgen(js_name = onEvent, unchecked_optional_param_type = "(event: PipelineEvent) => void")]
    on_event: JsValue,
) -> Result<JsValue, JsValue> {
    let (config, embedder) = parse_options(&options).map_err(config_error)?;
    let sink = JsSink::new(on_event).map_err(config_error)?;
    let embedder = embedder.as_ref().map(|embedder| embedder as &dyn Embedder);
    let result = rag_pipeline_with(&config, embedder, &|event: &Event| sink.emit(event)).await;
    if let Some(thrown) = sink.thrown.into_inner() {
        return Err(thrown);
    }
    let outcome = result.map_err(|error| match error {
        PipelineError::Config(error) => config_error(error),
        PipelineError::Query(_) => {
            let js = Error::new(&error.to_string());
            set(&js, "field", "embed");
            js.into()
        }
        PipelineError::Chunk(error) => {
            let js = Error::new(&error.to_string());
            set(&js, "chunk", error.chunk as f64);
            set(&js, "phase", error.phase.name());
            js.into()
        }
    })?;
    let result = Object::new();
    set(&result, "answer", outcome.answer.as_str());
    let top: Array = outcome
        .top
        .iter()
        .map(|ranked| {
            let entry = scored_to_js(&Scored { chunk: ranked.chunk, score: ranked.parts.score });
            set(&entry, "bm25", ranked.parts.bm25);
            set(&entry, "cosine", ranked.parts.cosine);
            set(&entry, "text", ranked.text.as_str());
            JsValue::from(entry)
        })
        .collect();
    set(&result, "top", top);
    let without = Object::new();
    set_without_barrier(&without, &outcome.without_barrier);
    set(&result, "withoutBarrier", without);
    set(&result, "makespanMs", outcome.makespan_ms);
    set(&result, "workingMs", outcome.chunk_time.working_ms);
    set(&result, "waitingMs", outcome.chunk_time.waiting_ms);
    set(&result, "seed", outcome.seed as f64);
    set(&result, "runId", outcome.run);
    Ok(result.into())
}

/// The option names `runPipeline` accepts; anything else is a typo worth an error.
const OPTION_NAMES: [&str; 12] = [
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
    "failChunk",
    "barrier",
];

fn parse_options(options: &JsValue) -> Result<(RunConfig, Option<JsEmbedder>), ConfigError> {
    let mut config = RunConfig::default();
    if options.is_undefined() || options.is_null() {
        return Ok((config, None));
    }
    if !options.is_object() || Array::is_array(options) || options.is_function() {
        return Err(ConfigError::new("options", "must be an object", describe(options)));
    }
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !OPTION_NAMES.contains(&key.as_str()) {
            let expected = format!("has no option {key:?}; accepted: {}", OPTION_NAMES.join(", "));
            return Err(ConfigError::new("options", expected, describe(options)));
        }
    }
    let documents = get(options, "documents");
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
    let embed = get(options, "embed");
    let embedder = match embed.dyn_into::<Function>() {
        Ok(function) => Some(JsEmbedder(function)),
        Err(other) if other.is_undefined() => None,
        Err(other) => {
            let expected = "must be a function (text) => Float32Array | number[] (or a Promise of one)";
            return Err(ConfigError::new("embed", expected, describe(&other)));
        }
    };
    let query = get(options, config::QUERY_CHARS.field);
    if !query.is_undefined() {
        let expected = "must be a string";
        config.query =
            query.as_string().ok_or_else(|| ConfigError::new("query", expected, describe(&query)))?;
    }
    if let Some(seed) = number(options, &config::SEED)? {
        config.seed = Some(seed as u64);
    }
    let embed_ms = get(options, config::EMBED_MS.field);
    if !embed_ms.is_undefined() {
        let pair =
            Array::is_array(&embed_ms).then(|| Array::from(&embed_ms)).filter(|pair| pair.length() == 2);
        let bounds = pair.and_then(|pair| Some((pair.get(0).as_f64()?, pair.get(1).as_f64()?)));
        let expected = || format!("must be [min, max], each {}", config::EMBED_MS.describe());
        config.embed_ms =
            bounds.ok_or_else(|| ConfigError::new("embedMs", expected(), describe(&embed_ms)))?;
    }
    if let Some(score_ms) = number(options, &config::SCORE_MS)? {
        config.score_ms = score_ms;
    }
    if let Some(time_scale) = number(options, &config::TIME_SCALE)? {
        config.time_scale = time_scale;
    }
    if let Some(chunk) = number(options, &config::FAIL_CHUNK)? {
        config.fail_chunk = Some(chunk as usize);
    }
    let barrier = get(options, "barrier");
    if !barrier.is_undefined() {
        let names: Vec<String> = BarrierKind::ALL.iter().map(|kind| format!("{:?}", kind.name())).collect();
        let kind = barrier.as_string().and_then(|name| BarrierKind::from_name(&name));
        config.barrier = kind.ok_or_else(|| {
            ConfigError::new("barrier", format!("must be one of {}", names.join(", ")), describe(&barrier))
        })?;
    }
    // The ranges that depend on more than one field (embedMs order, failChunk
    // below chunks) are checked once, by rag_pipeline's own validate().
    Ok((config, embedder))
}

/// Reads an array of strings, naming the first entry that is not one.
fn strings(value: &JsValue, field: &'static str) -> Result<Vec<String>, ConfigError> {
    let expected = "must be an array of strings";
    if !Array::is_array(value) {
        return Err(ConfigError::new(field, expected, describe(value)));
    }
    let array = Array::from(value);
    // Checked before reading every entry, so a huge array fails fast.
    if array.length() as f64 > config::CHUNKS.max {
        let expected = format!("must be an array of 1 to {} strings", config::CHUNKS.max);
        return Err(ConfigError::new(field, expected, format!("{} strings", array.length())));
    }
    array
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            entry.as_string().ok_or_else(|| {
                ConfigError::new(field, expected, format!("{field}[{index}] = {}", describe(&entry)))
            })
        })
        .collect()
}

/// The `embed` option: a JS function from text to a vector, or a Promise of one.
struct JsEmbedder(Function);

impl Embedder for JsEmbedder {
    fn embed<'a>(&'a self, text: &'a str) -> LocalBoxFuture<'a, Result<Vec<f32>, String>> {
        Box::pin(async move {
            let returned = self.0.call1(&JsValue::NULL, &JsValue::from_str(text)).map_err(|e| thrown(&e))?;
            // Promise.resolve takes a value or a thenable alike.
            let value = JsFuture::from(Promise::resolve(&returned)).await.map_err(|e| thrown(&e))?;
            to_vector(&value)
        })
    }
}

/// A thrown or rejected value as words: an Error's message, else the value.
fn thrown(value: &JsValue) -> String {
    let message = value.dyn_ref::<Error>().map(|error| String::from(error.message()));
    format!("embed threw: {}", message.unwrap_or_else(|| describe(value)))
}

/// What `embed` resolved to, as numbers: a Float32Array or an array of numbers.
fn to_vector(value: &JsValue) -> Result<Vec<f32>, String> {
    if let Some(array) = value.dyn_ref::<Float32Array>() {
        return Ok(array.to_vec());
    }
    let expected = "embed must return a Float32Array or an array of numbers";
    if !Array::is_array(value) {
        return Err(format!("{expected} (got {})", describe(value)));
    }
    let array = Array::from(value);
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
    let value = get(options, limit.field);
    if value.is_undefined() {
        return Ok(None);
    }
    let number = value.as_f64().ok_or_else(|| limit.error(describe(&value)))?;
    limit.check(number).map(Some)
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `key` on a plain object we created; that cannot fail, so the result is ignored.
fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

/// How a JS value reads in an error message: JSON where possible, else its type.
fn describe(value: &JsValue) -> String {
    let text = JSON::stringify(value).ok().and_then(|json| json.as_string());
    let text = text.unwrap_or_else(|| value.js_typeof().as_string().unwrap_or_default());
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// A JS `Error` whose message names the field and its range, with `error.field` set.
fn config_error(error: ConfigError) -> JsValue {
    let js = Error::new(&error.to_string());
    set(&js, "field", error.field);
    js.into()
}

/// Sends events to a JS callback, remembering the first value it throws.
struct JsSink {
    callback: Option<Function>,
    thrown: RefCell<Option<JsValue>>,
}

impl JsSink {
    fn new(on_event: JsValue) -> Result<Self, ConfigError> {
        let callback = match on_event.dyn_into::<Function>() {
            Ok(callback) => Some(callback),
            Err(other) if other.is_undefined() || other.is_null() => None,
            Err(other) => return Err(ConfigError::new("onEvent", "must be a function", describe(&other))),
        };
        Ok(JsSink { callback, thrown: RefCell::new(None) })
    }

    fn emit(&self, event: &Event) {
        let Some(callback) = &self.callback else { return };
        if let Err(thrown) = callback.call1(&JsValue::NULL, &event_to_js(event)) {
            self.thrown.borrow_mut().get_or_insert(thrown);
        }
    }
}

fn scored_to_js(scored: &Scored) -> Object {
    let entry = Object::new();
    set(&entry, "chunk", scored.chunk as f64);
    set(&entry, "id", chunk_id(scored.chunk));
    set(&entry, "score", scored.score);
    entry
}

fn set_without_barrier(object: &Object, without: &WithoutBarrier) {
    set(object, "top", top_to_js(&without.top));
    set(object, "changed", without.changed as f64);
    set(object, "wrong", without.wrong as f64);
}

fn top_to_js(top: &[Scored]) -> Array {
    top.iter().map(|scored| JsValue::from(scored_to_js(scored))).collect()
}

/// An event as a plain object: `{ type, run, t, line?, chunk?, id?, ... }`.
fn event_to_js(event: &Event) -> Object {
    let js = Object::new();
    set(&js, "type", event.kind.name());
    set(&js, "run", event.run);
    set(&js, "t", event.t_ms);
    if let Some(line) = event.log_line() {
        set(&js, "line", line);
    }
    if let Some(chunk) = event.kind.chunk() {
        set(&js, "chunk", chunk as f64);
        set(&js, "id", chunk_id(chunk));
    }
    match &event.kind {
        EventKind::RunStart { chunks, seed, query, barrier } => {
            set(&js, "chunks", *chunks as f64);
            set(&js, "seed", *seed as f64);
            set(&js, "query", query.as_str());
            set(&js, "barrier", barrier.name());
        }
        EventKind::PhaseStart { phase, planned_ms, .. } => {
            set(&js, "phase", phase.name());
            if let Some(planned_ms) = planned_ms {
                set(&js, "plannedMs", *planned_ms);
            }
        }
        EventKind::PhaseComplete { phase, score, early, .. } => {
            set(&js, "phase", phase.name());
            if let Some(parts) = score {
                set(&js, "score", parts.score);
                set(&js, "bm25", parts.bm25);
                set(&js, "cosine", parts.cosine);
            }
            if let Some(early) = early {
                set(&js, "early", *early);
            }
        }
        EventKind::BarrierArrive { arrived, parties, generation, .. }
        | EventKind::BarrierWithdraw { arrived, parties, generation, .. } => {
            set(&js, "arrived", *arrived as f64);
            set(&js, "parties", *parties as f64);
            set(&js, "generation", *generation as f64);
        }
        EventKind::BarrierRelease { leader, parties, generation } => {
            set(&js, "leader", *leader as f64);
            set(&js, "leaderId", chunk_id(*leader));
            set(&js, "parties", *parties as f64);
            set(&js, "generation", *generation as f64);
        }
        EventKind::BarrierBroken { reason, generation } => {
            set(&js, "reason", reason.as_str());
            set(&js, "generation", *generation as f64);
        }
        EventKind::ChunkFailed { phase, message, .. } => {
            set(&js, "phase", phase.name());
            set(&js, "message", message.as_str());
        }
        EventKind::ChunkCancelled { phase, waiting, .. } => {
            set(&js, "phase", phase.name());
            set(&js, "waiting", *waiting);
        }
        EventKind::TopChunks { top } => set(&js, "top", top_to_js(top)),
        EventKind::WithoutBarrier(without) => set_without_barrier(&js, without),
        EventKind::AnswerStart { from } => set(&js, "from", *from as f64),
        EventKind::Answer { text } => set(&js, "text", text.as_str()),
        EventKind::RunEnd { makespan_ms, chunk_time, error } => {
            set(&js, "makespanMs", *makespan_ms);
            set(&js, "workingMs", chunk_time.working_ms);
            set(&js, "waitingMs", chunk_time.waiting_ms);
            if let Some(error) = error {
                set(&js, "error", error.as_str());
            }
        }
    }
    js
}
