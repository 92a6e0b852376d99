//! The pipeline on real gloo timers in headless Chromium
//! (`wasm-pack test --headless --chrome`), and the JS API's bad-input errors.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;

use std::future::Future;
use std::pin::pin;

use common::assert_run_invariants;
use futures::future::{join, select, Either};
use rag_phase_sync::runtime::Stopwatch;
use rag_phase_sync::ClassicBarrier;
use rag_phase_sync::{hazard_scenario, run_hazard_demo};
use rag_phase_sync::{rag_pipeline, Event, EventKind, Phase, PhaseBarrier, RunConfig};
use rag_phase_sync::{run_pipeline, run_pipeline_batched};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::js_sys::{Array, Error, Function, Object, Reflect, JSON};

wasm_bindgen_test_configure!(run_in_browser);

/// How late a browser timer may fire: generous, yet far below what running
/// the chunks one after another would cost (about six times the makespan).
const TIMER_SLACK_MS: f64 = 100.0;

async fn run(config: &RunConfig) -> (rag_phase_sync::Outcome, Vec<Event>) {
    let events = RefCell::new(Vec::new());
    let outcome =
        rag_pipeline(config, &|event: &Event| events.borrow_mut().push(event.clone())).await.unwrap();
    (outcome, events.into_inner())
}

fn planned(events: &[Event], phase: Phase) -> Vec<f64> {
    let planned = events.iter().filter_map(|event| match event.kind {
        EventKind::PhaseStart { phase: p, planned_ms, .. } if p == phase => planned_ms,
        _ => None,
    });
    planned.collect()
}

#[wasm_bindgen_test]
async fn phases_never_overlap_on_real_timers() {
    for seed in [1, 2, 3] {
        let (outcome, events) =
            run(&RunConfig { seed: Some(seed), chunks: Some(6), ..RunConfig::default() }).await;
        assert_run_invariants(&events, 6);
        let slowest = planned(&events, Phase::Embed).into_iter().fold(0.0, f64::max) + 50.0;
        let makespan = outcome.makespan_ms;
        assert!(makespan >= slowest - 1.0, "makespan {makespan} below the slowest chunk's {slowest}");
        assert!(makespan <= slowest + TIMER_SLACK_MS, "makespan {makespan} vs slowest chunk {slowest}");
    }
}

#[wasm_bindgen_test]
async fn the_same_seed_draws_the_same_latencies_and_scores() {
    let config = RunConfig { seed: Some(77), embed_ms: (5.0, 40.0), score_ms: 5.0, ..RunConfig::default() };
    let (first, first_events) = run(&config).await;
    let (second, second_events) = run(&config).await;
    assert_eq!(planned(&first_events, Phase::Embed), planned(&second_events, Phase::Embed));
    assert_eq!(first.top, second.top);
    assert_eq!(first.answer, second.answer);
}

/// Calls the exported `runPipeline` with JS `options`; returns its rejection.
async fn rejection(options: &str) -> Error {
    let options = JSON::parse(options).unwrap();
    let error = run_pipeline(options, JsValue::UNDEFINED).await.expect_err("should reject");
    error.dyn_into::<Error>().expect("rejects with a JS Error")
}

#[wasm_bindgen_test]
async fn bad_options_reject_with_an_error_naming_the_field_and_range() {
    let cases = [
        (r#"{"chunks": 0}"#, "chunks", "chunks must be an integer from 1 to 100000 (got 0)"),
        (r#"{"chunks": -3}"#, "chunks", "chunks must be an integer from 1 to 100000 (got -3)"),
        (r#"{"chunks": 2.5}"#, "chunks", "chunks must be an integer from 1 to 100000 (got 2.5)"),
        (r#"{"chunks": "six"}"#, "chunks", r#"chunks must be an integer from 1 to 100000 (got "six")"#),
        (r#"{"chunks": 100001}"#, "chunks", "chunks must be an integer from 1 to 100000 (got 100001)"),
        (r#"{"embedMs": [300, 100]}"#, "embedMs", "embedMs must be [min, max] with min <= max"),
        (r#"{"embedMs": [-5, 100]}"#, "embedMs", "embedMs must be a number from 0 to 60000 ms (got -5)"),
        (r#"{"embedMs": 100}"#, "embedMs", "embedMs must be [min, max], each a number from 0 to 60000 ms"),
        (r#"{"scoreMs": null}"#, "scoreMs", "scoreMs must be a number from 0 to 60000 ms (got null)"),
        (r#"{"timeScale": -1}"#, "timeScale", "timeScale must be a number from 0 to 1000 (got -1)"),
        (r#"{"seed": 1.5}"#, "seed", "seed must be an integer from 0 to 9007199254740991 (got 1.5)"),
        (r#"{"query": 42}"#, "query", "query must be a string (got 42)"),
        (
            r#"{"chunks": 6, "failChunk": 6}"#,
            "faults",
            "faults must each name a chunk index from 0 to 5 (got chunk-6 error in Phase 1 (embed))",
        ),
        (r#"{"failChunk": -1}"#, "failChunk", "failChunk must be an integer from 0 to 99999 (got -1)"),
        (
            r#"{"faults": [{"chunk": 1, "phase": "answer"}]}"#,
            "faults",
            r#"faults must be an array of { chunk, phase: "embed" | "score", kind: "error" | "hang" } (got faults[0] = phase "answer")"#,
        ),
        (
            r#"{"faults": [{"chunk": 1, "kind": "crash"}]}"#,
            "faults",
            r#"faults must be an array of { chunk, phase: "embed" | "score", kind: "error" | "hang" } (got faults[0] = kind "crash")"#,
        ),
        (r#"{"faults": [{"chunk": 1, "phases": "embed"}]}"#, "faults", r#"faults has no option "phases""#),
        (r#"{"faults": {"chunk": 1}}"#, "faults", "faults must be an array of { chunk"),
        (
            r#"{"onChunkError": "drop-out", "barrier": "classic"}"#,
            "onChunkError",
            r#"onChunkError cannot be "drop-out" with barrier "classic""#,
        ),
        (
            r#"{"onChunkError": "retry"}"#,
            "onChunkError",
            r#"onChunkError must be one of "fail-fast", "drop-out" (got "retry")"#,
        ),
        (
            r#"{"phaseTimeoutMs": 0}"#,
            "phaseTimeoutMs",
            "phaseTimeoutMs must be a number from 1 to 600000 ms (got 0)",
        ),
        (r#"{"signal": {}}"#, "signal", "signal must be an AbortSignal (got an object)"),
        (r#"{"barrier": "tokio"}"#, "barrier", r#"barrier must be one of "phase", "classic" (got "tokio")"#),
        (
            r#"{"documents": "one text"}"#,
            "documents",
            r#"documents must be an array of strings (got "one text")"#,
        ),
        (
            r#"{"documents": ["ok", 7]}"#,
            "documents",
            "documents must be an array of strings (got documents[1] = 7)",
        ),
        (
            r#"{"documents": []}"#,
            "documents",
            "documents must be an array of 1 to 100000 strings (got 0 strings)",
        ),
        (r#"{"documents": ["ok", "   "]}"#, "documents", "documents must each contain some text"),
        (r#"{"chunkWords": 0}"#, "chunkWords", "chunkWords must be an integer from 1 to 10000 (got 0)"),
        (
            r#"{"chunkWords": 10, "overlapWords": 10}"#,
            "overlapWords",
            "overlapWords must be an integer from 0 to 9",
        ),
        (
            r#"{"overlapWords": -1}"#,
            "overlapWords",
            "overlapWords must be an integer from 0 to 9999 (got -1)",
        ),
        (r#"{"failChunk": 46}"#, "faults", "faults must each name a chunk index from 0 to 45"),
        (r#"{"embed": "model"}"#, "embed", r#"embed must be a function (text) => Float32Array"#),
        (r#"{"chunk": 6}"#, "options", r#"options has no option "chunk"; accepted: documents, chunkWords,"#),
        (r#"[1, 2]"#, "options", "options must be an object"),
    ];
    for (options, field, message) in cases {
        let error = rejection(options).await;
        let text = String::from(error.message());
        assert!(text.starts_with(message), "{options}: {text:?} should start with {message:?}");
        assert_eq!(Reflect::get(&error, &"field".into()).unwrap(), field, "{options}");
    }
}

#[wasm_bindgen_test]
async fn non_finite_numbers_are_rejected() {
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let options = Object::new();
        Reflect::set(&options, &"scoreMs".into(), &value.into()).unwrap();
        let error = run_pipeline(options.into(), JsValue::UNDEFINED).await.unwrap_err();
        let text = String::from(error.dyn_into::<Error>().unwrap().message());
        assert!(text.starts_with("scoreMs must be a number from 0 to 60000 ms"), "{text}");
    }
}

#[wasm_bindgen_test]
async fn events_stream_to_the_callback_as_plain_objects() {
    let seen = Array::new();
    let push = Function::new_with_args("event", "this.push(event)").bind0(&seen);
    let options = JSON::parse(r#"{"chunks": 4, "seed": 5, "embedMs": [1, 20], "scoreMs": 1}"#).unwrap();
    let result = run_pipeline(options, push.into()).await.unwrap();
    let types: Vec<String> =
        seen.iter().map(|event| Reflect::get(&event, &"type".into()).unwrap().as_string().unwrap()).collect();
    assert_eq!(types.first().map(String::as_str), Some("run-start"));
    assert_eq!(types.last().map(String::as_str), Some("run-end"));
    assert_eq!(types.iter().filter(|t| *t == "barrier-release").count(), 2);
    let lines: Vec<String> =
        seen.iter().filter_map(|event| Reflect::get(&event, &"line".into()).unwrap().as_string()).collect();
    assert_eq!(lines[9], "Generating answer from top 3 chunks...");
    let answer = Reflect::get(&result, &"answer".into()).unwrap().as_string().unwrap();
    assert_eq!(lines.last().unwrap(), &format!("Final answer: {answer}"));
    assert_eq!(Reflect::get(&result, &"seed".into()).unwrap(), 5);
    let top = Array::from(&Reflect::get(&result, &"top".into()).unwrap());
    assert_eq!(top.length(), 3);
    let without = Reflect::get(&result, &"withoutBarrier".into()).unwrap();
    assert_eq!(Array::from(&Reflect::get(&without, &"top".into()).unwrap()).length(), 3);
    assert!(Reflect::get(&without, &"changed".into()).unwrap().as_f64().unwrap() <= 4.0);
    assert_eq!(types.iter().filter(|t| *t == "without-barrier").count(), 1);
}

#[wasm_bindgen_test]
async fn each_batch_comes_with_the_json_text_it_was_parsed_from() {
    // What a page that keeps a run holds instead of the objects (www/recording.js): the text must say exactly
    // what the objects do, batch by batch, at 200+ chunks as at 4.
    for chunks in [4, 250] {
        let seen = Array::new();
        let push = Function::new_with_args("events, json", "this.push([events, json])").bind0(&seen);
        let options =
            JSON::parse(&format!(r#"{{"chunks": {chunks}, "seed": 3, "embedMs": [1, 20], "scoreMs": 1}}"#));
        run_pipeline_batched(options.unwrap(), push.into()).await.unwrap();
        assert!(seen.length() > 1, "{chunks} chunks came in {} batches", seen.length());
        let mut total = 0;
        for pair in seen.iter() {
            let pair = Array::from(&pair);
            let json = pair.get(1).as_string().expect("the second argument is a string");
            let events = JSON::stringify(&pair.get(0)).unwrap().as_string().unwrap();
            let reparsed = JSON::stringify(&JSON::parse(&json).unwrap()).unwrap().as_string().unwrap();
            assert_eq!(reparsed, events);
            total += Array::from(&pair.get(0)).length();
        }
        assert_eq!(total as usize, 6 * chunks + 8, "every event of {chunks} chunks");
    }
}

#[wasm_bindgen_test]
async fn a_failing_chunk_rejects_naming_chunk_and_phase_and_ends_every_lane() {
    for barrier in ["phase", "classic"] {
        let seen = Array::new();
        let push = Function::new_with_args("event", "this.push(event)").bind0(&seen);
        let options = format!(
            r#"{{"chunks": 5, "seed": 2, "embedMs": [1, 30], "failChunk": 3, "barrier": "{barrier}"}}"#
        );
        let error = run_pipeline(JSON::parse(&options).unwrap(), push.into()).await.unwrap_err();
        let text = String::from(error.dyn_into::<Error>().unwrap().message());
        assert!(text.starts_with("chunk-3 failed in Phase 1 (embed)"), "{text}");
        let types: Vec<String> = seen
            .iter()
            .map(|event| Reflect::get(&event, &"type".into()).unwrap().as_string().unwrap())
            .collect();
        let ended = types.iter().filter(|kind| *kind == "chunk-failed" || *kind == "chunk-cancelled").count();
        assert_eq!(ended, 5, "every chunk ends failed or cancelled ({barrier})");
        let broken = types.iter().filter(|kind| *kind == "barrier-broken").count();
        assert_eq!(broken, usize::from(barrier == "phase"), "only PhaseBarrier can be broken");

        // Cancelled chunks' timers were cleared: nothing fires after the run ended.
        let seen_at_end = seen.length();
        sleep(60).await;
        assert_eq!(seen.length(), seen_at_end, "no event after run-end");
        assert_eq!(Reflect::get(&seen.get(seen_at_end - 1), &"type".into()).unwrap(), "run-end");
    }
}

async fn sleep(ms: u64) {
    gloo_timers::future::sleep(std::time::Duration::from_millis(ms)).await;
}

/// `future`'s output if it finishes within `ms`; else `None`, and it has
/// been dropped (cancelled) by the time this returns.
async fn within<F: Future>(ms: u64, future: F) -> Option<F::Output> {
    match select(pin!(future), pin!(sleep(ms))).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
}

#[wasm_bindgen_test]
async fn a_wait_that_times_out_on_real_timers_withdraws_its_arrival() {
    let barrier = PhaseBarrier::new(2).unwrap();
    // A party gives up after 5 ms: its dropped wait must not stay counted.
    assert!(within(5, barrier.wait()).await.is_none(), "nobody else arrived, so the wait timed out");
    assert_eq!(barrier.arrived(), 0);

    // One party arrives now, the other 20 ms later: the first waits for it.
    let clock = Stopwatch::start();
    let (first, second) = join(async { (barrier.wait().await, clock.elapsed_ms()) }, async {
        sleep(20).await;
        barrier.wait().await
    })
    .await;
    assert!(first.1 >= 19.0, "released after {} ms, before the second party arrived", first.1);
    assert!(!first.0.unwrap().is_leader() && second.unwrap().is_leader());

    // The classic barrier keeps the dropped arrival: a lone party is released at once.
    let classic = ClassicBarrier::new(2);
    assert!(within(5, classic.wait_as(0)).await.is_none());
    let lone = within(50, classic.wait_as(1)).await;
    let Some(arrival) = lone else { panic!("the classic hazard is gone: update the docs") };
    assert!(arrival.is_leader(), "a false leader, released alone");
}

#[wasm_bindgen_test]
async fn an_event_callback_that_throws_rejects_the_run_with_its_error() {
    let throws = Function::new_with_args("event", "if (event.type === 'top') throw new Error('boom')");
    let options = JSON::parse(r#"{"chunks": 3, "seed": 1, "embedMs": [0, 5], "scoreMs": 0}"#).unwrap();
    let error = run_pipeline(options, throws.into()).await.unwrap_err().dyn_into::<Error>().unwrap();
    assert_eq!(String::from(error.message()), "boom");
    let not_a_function = run_pipeline(JsValue::UNDEFINED, JsValue::from(3)).await.unwrap_err();
    let text = String::from(not_a_function.dyn_into::<Error>().unwrap().message());
    assert_eq!(text, "onEvent must be a function (got 3)");
}

#[wasm_bindgen_test]
async fn ten_megabytes_of_text_is_the_limit() {
    let documents = Array::of1(&"word ".repeat(2_200_000).into());
    let options = Object::new();
    Reflect::set(&options, &"documents".into(), &documents).unwrap();
    let error =
        run_pipeline(options.into(), JsValue::UNDEFINED).await.unwrap_err().dyn_into::<Error>().unwrap();
    assert_eq!(
        String::from(error.message()),
        "documents must hold at most 10 MB of text in all (got 10.5 MB)"
    );
}

/// Runs `runPipeline` with `options` (JS source of an object literal, so it
/// can hold functions); resolves to the result or the rejection.
async fn run_js(options: &str) -> Result<JsValue, JsValue> {
    let options = Function::new_no_args(&format!("return ({options});")).call0(&JsValue::NULL).unwrap();
    run_pipeline(options, JsValue::UNDEFINED).await
}

fn message_of(error: JsValue) -> String {
    String::from(error.dyn_into::<Error>().expect("rejects with a JS Error").message())
}

#[wasm_bindgen_test]
async fn a_js_embed_function_supplies_the_vectors() {
    // A toy model: counts of a few letters, returned after a real 5 ms timer.
    let model = r#"async (text) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return Float32Array.from("aeiost", (letter) => text.split(letter).length - 1);
    }"#;
    let documents =
        r#"["Barriers wait for every party.", "Sourdough rises overnight.", "Ferries leave at seven."]"#;
    let result =
        run_js(&format!(r#"{{ documents: {documents}, query: "When do ferries leave?", embed: {model} }}"#))
            .await
            .unwrap();
    let top = Array::from(&Reflect::get(&result, &"top".into()).unwrap());
    let best = top.get(0);
    assert_eq!(Reflect::get(&best, &"id".into()).unwrap(), "chunk-2");
    assert_eq!(Reflect::get(&best, &"text".into()).unwrap(), "Ferries leave at seven.");
    let cosine = Reflect::get(&best, &"cosine".into()).unwrap().as_f64().unwrap();
    assert!(cosine > 0.5, "the model's letter counts are alike: {cosine}");
    let answer = Reflect::get(&result, &"answer".into()).unwrap().as_string().unwrap();
    assert_eq!(answer, "Ferries leave at seven. [chunk-2]");

    // A plain array of numbers, returned synchronously, works too.
    let plain = r#"(text) => [text.length, 1]"#;
    assert!(run_js(&format!(r#"{{ chunks: 3, embed: {plain} }}"#)).await.is_ok());
}

#[wasm_bindgen_test]
async fn an_embed_function_that_fails_is_a_chunk_error_naming_the_chunk() {
    // The demo corpus's chunk-2 is about hallucination; the query is embedded first.
    let cases = [
        (
            "(t) => { if (t.includes('hallucinate')) throw new Error('quota'); return [1, 2]; }",
            "embed threw: quota",
        ),
        (
            "async (t) => { if (t.includes('hallucinate')) throw 'offline'; return [1, 2]; }",
            r#"embed threw: "offline""#,
        ),
        (
            "(t) => t.includes('hallucinate') ? [1] : [1, 2]",
            "embed returned 1 number, but the query's vector has 2",
        ),
        ("(t) => t.includes('hallucinate') ? [1, NaN] : [1, 2]", "embed returned NaN at index 1"),
        (
            "(t) => t.includes('hallucinate') ? 'vec' : [1, 2]",
            "embed must return a Float32Array or an array of numbers",
        ),
    ];
    for (model, reason) in cases {
        let error = run_js(&format!("{{ chunks: 6, embed: {model} }}")).await.unwrap_err();
        let text = message_of(error);
        assert!(text.starts_with(&format!("chunk-2 failed in Phase 1 (embed): {reason}")), "{model}: {text}");
    }
    let error = run_js("{ embed: () => { throw new Error('no key'); } }").await.unwrap_err();
    assert_eq!(Reflect::get(&error, &"field".into()).unwrap(), "embed");
    assert_eq!(message_of(error), "embedding the query failed: embed threw: no key");
}

#[wasm_bindgen_test]
async fn hostile_options_reject_naming_the_field_and_never_escape() {
    let cases = [
        ("new Proxy({}, { ownKeys() { throw new Error('no keys'); } })", "options could not be read (got no keys)"),
        ("{ get chunks() { throw new Error('getter'); } }", "chunks could not be read (got getter)"),
        ("{ documents: ['a', { toString() { return 'b'; } }] }", "documents must be an array of strings (got documents[1] = an object)"),
        (
            "{ documents: new Proxy(['a'], { get(t, k) { if (k === '0') throw new Error('trap'); return t[k]; } }) }",
            "documents could not be read (got trap)",
        ),
        ("{ embedMs: Object.assign([], { length: 1e8 }) }", "embedMs must be [min, max], each a number from 0 to 60000 ms (got an array of length 100000000)"),
        ("{ documents: Object.assign([], { length: 4294967295 }) }", "documents must be an array of 1 to 100000 strings (got an array of length 4294967295)"),
        ("Object.defineProperty({}, 'chunk', { value: 6, enumerable: false })", r#"options has no option "chunk""#),
        ("Object.create({ chunk: 6 })", "options has no option \"chunk\""),
        ("{ [Symbol('x')]: 1 }", "options has no option a symbol key"),
        ("{ query: 'x'.repeat(100000), chunks: 'y'.repeat(100000) }", "chunks must be an integer from 1 to 100000 (got \"yyyy"),
    ];
    for (options, message) in cases {
        let text = message_of(run_js(options).await.expect_err(options));
        assert!(text.starts_with(message), "{options}: {text:?} should start with {message:?}");
        assert!(text.len() < 400, "{options}: the message quotes a bounded part of the value: {text}");
    }
    // After all that, a normal run works.
    assert!(run_js("{ chunks: 4, seed: 1, embedMs: [0, 2], scoreMs: 0 }").await.is_ok());
}

#[wasm_bindgen_test]
async fn an_overlap_blow_up_is_refused_before_it_eats_memory() {
    let clock = Stopwatch::start();
    let options = "{ documents: ['word '.repeat(60000)], chunkWords: 10000, overlapWords: 9999 }";
    let error = run_js(options).await.unwrap_err();
    assert_eq!(Reflect::get(&error, &"field".into()).unwrap(), "overlapWords");
    assert!(message_of(error).starts_with("overlapWords must let the documents make at most 5000000 words"));
    assert!(clock.elapsed_ms() < 5_000.0, "refused while cutting, not after: {} ms", clock.elapsed_ms());
}

#[wasm_bindgen_test]
async fn an_embed_result_with_a_throwing_element_fails_that_chunk() {
    let model = "(t) => t.includes('hallucinate') ? new Proxy([1, 2], { get(o, k) { if (k === '1') throw new Error('bad element'); return o[k]; } }) : [1, 2]";
    let error = run_js(&format!("{{ chunks: 6, embed: {model} }}")).await.unwrap_err();
    let text = message_of(error);
    assert!(text.starts_with("chunk-2 failed in Phase 1 (embed): embed must return"), "{text}");
}

#[wasm_bindgen_test]
async fn an_embed_that_never_resolves_times_out() {
    let options = "{ chunks: 6, phaseTimeoutMs: 50, embed: (t) => t.includes('hallucinate') ? new Promise(() => {}) : [1, 2] }";
    let text = message_of(run_js(options).await.unwrap_err());
    assert_eq!(text, "chunk-2 timed out in Phase 1 (embed) after 50 ms");
}

#[wasm_bindgen_test]
async fn drop_out_ranks_the_survivors_at_200_chunks() {
    let options = r#"{ chunks: 200, seed: 3, embedMs: [1, 20], scoreMs: 2, onChunkError: "drop-out",
        faults: [{ chunk: 150, phase: "embed", kind: "error" }, { chunk: 7, phase: "score", kind: "hang" }],
        phaseTimeoutMs: 60 }"#;
    let result = run_js(options).await.unwrap();
    let dropped = Array::from(&Reflect::get(&result, &"dropped".into()).unwrap());
    let ids: Vec<String> = dropped
        .iter()
        .map(|entry| Reflect::get(&entry, &"id".into()).unwrap().as_string().unwrap())
        .collect();
    assert_eq!(ids, ["chunk-150", "chunk-7"]);
    let message = Reflect::get(&dropped.get(1), &"message".into()).unwrap();
    assert_eq!(message, "timed out after 60 ms");
    let top = Array::from(&Reflect::get(&result, &"top".into()).unwrap());
    assert!(top.iter().all(|entry| {
        let chunk = Reflect::get(&entry, &"chunk".into()).unwrap().as_f64().unwrap();
        chunk != 150.0 && chunk != 7.0
    }));
}

#[wasm_bindgen_test]
async fn the_first_failure_in_time_wins_above_30_chunks_with_either_barrier() {
    for barrier in ["phase", "classic"] {
        // chunk-0 hangs; chunk-40 fails later in index order but first in time.
        let options = format!(
            r#"{{ chunks: 46, seed: 1, embedMs: [5, 10], barrier: "{barrier}",
                faults: [{{ chunk: 0, kind: "hang" }}, {{ chunk: 40 }}] }}"#
        );
        let clock = Stopwatch::start();
        let text = message_of(run_js(&options).await.unwrap_err());
        assert!(text.starts_with("chunk-40 failed in Phase 1 (embed)"), "{barrier}: {text}");
        assert!(clock.elapsed_ms() < 1_000.0, "{barrier}: settled in {} ms", clock.elapsed_ms());
    }
}

#[wasm_bindgen_test]
async fn a_long_zero_latency_run_yields_to_the_event_loop() {
    // Nothing in this run waits for a timer, yet a timer set before it fires
    // while it runs: the pacer cuts the work into turns of the event loop.
    let seen = Array::new();
    let push = Function::new_with_args("event", "this.push(event.type)").bind0(&seen);
    let at_tick = std::rc::Rc::new(std::cell::Cell::new(None));
    let (tick_seen, tick_at) = (seen.clone(), at_tick.clone());
    let _timer = gloo_timers::callback::Timeout::new(0, move || tick_at.set(Some(tick_seen.length())));
    let options = JSON::parse(r#"{"chunks": 20000, "seed": 1, "embedMs": [0, 0], "scoreMs": 0}"#).unwrap();
    run_pipeline(options, push.into()).await.unwrap();
    let total = seen.length();
    let at_tick = at_tick.get().expect("the timer fired during the run");
    assert!(at_tick > 0 && at_tick < total, "the timer fired after {at_tick} of {total} events");
}

// The hazard demo (runHazardDemo): the classic barrier's false leader on real timers.

/// `runHazardDemo(options)` where `options` is JS source; resolves to the
/// result (or the rejection) and every event the callback received.
async fn hazard_js(options: &str) -> (Result<JsValue, JsValue>, Array) {
    let options = Function::new_no_args(&format!("return ({options});")).call0(&JsValue::NULL).unwrap();
    let seen = Array::new();
    let push = Function::new_with_args("event", "this.push(event)").bind0(&seen);
    (run_hazard_demo(options, push.into()).await, seen)
}

/// `value[key]` as a number, string or array (what the hazard tests read).
fn number_at(value: &JsValue, key: &str) -> f64 {
    Reflect::get(value, &key.into()).unwrap().as_f64().unwrap_or_else(|| panic!("{key} is a number"))
}

fn string_at(value: &JsValue, key: &str) -> String {
    Reflect::get(value, &key.into()).unwrap().as_string().unwrap_or_else(|| panic!("{key} is a string"))
}

fn array_at(value: &JsValue, key: &str) -> Array {
    Reflect::get(value, &key.into()).unwrap().dyn_into::<Array>().unwrap()
}

#[wasm_bindgen_test]
async fn the_hazard_demo_shows_a_false_leader_only_with_async_barrier() {
    // Both at once, as the page runs them.
    let ((classic, classic_events), (phase, phase_events)) =
        join(hazard_js(r#"{ barrier: "classic" }"#), hazard_js(r#"{ barrier: "phase", timeScale: 1 }"#))
            .await;
    let (classic, phase) = (classic.unwrap(), phase.unwrap());
    let types = |events: &Array| events.iter().map(|event| string_at(&event, "type")).collect::<Vec<_>>();

    // async-barrier: generation 0 released with chunk-1 as its leader, before chunk-3 finished embedding.
    let false_releases = array_at(&classic, "falseReleases");
    let early = false_releases.get(0);
    assert_eq!(number_at(&early, "generation"), 0.0);
    assert_eq!(string_at(&early, "leaderId"), "chunk-1");
    let missing = array_at(&early, "missing").get(0);
    assert_eq!((string_at(&missing, "id"), string_at(&missing, "phase")), ("chunk-3".into(), "embed".into()));
    let (released, embedded) = (number_at(&early, "atMs"), number_at(&missing, "finishedAtMs"));
    assert!((109.0..110.0 + TIMER_SLACK_MS).contains(&released), "released at {released} ms");
    assert!(released < embedded, "released at {released} ms, chunk-3 embedded at {embedded} ms");
    assert!(!types(&classic_events).contains(&"barrier-withdraw".to_string()));
    let parked = array_at(&classic, "stillParked");
    assert_eq!(parked.length(), 1);
    assert_eq!(string_at(&parked.get(0), "id"), "chunk-3");
    assert_eq!(Reflect::get(&classic, &"invariantHeld".into()).unwrap(), false);

    // PhaseBarrier: the arrival withdrawn, generation 0 led by chunk-3 once it embedded, no false release.
    assert_eq!(array_at(&phase, "falseReleases").length(), 0);
    let generation_0 = array_at(&phase, "releases").get(0);
    assert_eq!(string_at(&generation_0, "leaderId"), "chunk-3");
    assert!(number_at(&generation_0, "atMs") >= 199.0);
    let withdraw = phase_events.iter().find(|event| string_at(event, "type") == "barrier-withdraw").unwrap();
    assert_eq!(string_at(&withdraw, "id"), "chunk-1");
    let cancelled = phase_events.iter().find(|event| string_at(event, "type") == "wait-cancelled").unwrap();
    let line = string_at(&cancelled, "line");
    let waited = number_at(&cancelled, "waitedMs");
    assert!((49.0..50.0 + TIMER_SLACK_MS).contains(&waited), "waited {waited} ms");
    assert_eq!(line, format!("chunk-1 gave up waiting after {waited:.0} ms: its wait was dropped"));
    // The result's times are its events' times.
    let release = phase_events.iter().find(|event| string_at(event, "type") == "barrier-release").unwrap();
    assert_eq!(number_at(&release, "t"), number_at(&generation_0, "atMs"));
    assert_eq!(array_at(&phase, "finished").length(), 4);
    assert_eq!(Reflect::get(&phase, &"invariantHeld".into()).unwrap(), true);
    assert_eq!(types(&phase_events).last().map(String::as_str), Some("run-end"));

    let scenario = hazard_scenario();
    assert_eq!(number_at(&scenario, "chunks"), 4.0);
    assert_eq!(string_at(&scenario, "impatientId"), "chunk-1");
    assert_eq!(array_at(&scenario, "embedMs").get(3), 200.0);
}

#[wasm_bindgen_test]
async fn hazard_options_are_checked_like_run_pipelines_and_never_escape() {
    let cases = [
        (r#"{ barrier: "tokio" }"#, "barrier", r#"barrier must be one of "phase", "classic" (got "tokio")"#),
        ("{ barrier: 1 }", "barrier", r#"barrier must be one of "phase", "classic" (got 1)"#),
        ("{ timeScale: -1 }", "timeScale", "timeScale must be a number from 0 to 1000 (got -1)"),
        ("{ timeScale: 1001 }", "timeScale", "timeScale must be a number from 0 to 1000 (got 1001)"),
        ("{ timeScale: NaN }", "timeScale", "timeScale must be a number from 0 to 1000 (got NaN)"),
        (r#"{ timeScale: "3" }"#, "timeScale", r#"timeScale must be a number from 0 to 1000 (got "3")"#),
        ("{ timeScale: 3n }", "timeScale", "timeScale must be a number from 0 to 1000 (got a bigint)"),
        ("{ chunks: 4 }", "options", r#"options has no option "chunks"; accepted: barrier, timeScale"#),
        ("[]", "options", "options must be an object (got an array of length 0)"),
        ("42", "options", "options must be an object (got 42)"),
        (r#""phase""#, "options", r#"options must be an object (got "phase")"#),
        ("() => {}", "options", "options must be an object (got a function)"),
        (
            "new Proxy({}, { ownKeys() { throw new Error('no keys'); } })",
            "options",
            "options could not be read (got no keys)",
        ),
        (
            "{ get timeScale() { throw new Error('getter'); } }",
            "timeScale",
            "timeScale could not be read (got getter)",
        ),
        (
            "(() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; })()",
            "options",
            "options",
        ),
        ("Object.create({ speed: 3 })", "options", r#"options has no option "speed""#),
    ];
    for (options, field, message) in cases {
        let (result, events) = hazard_js(options).await;
        let error = result.expect_err(options);
        assert_eq!(Reflect::get(&error, &"field".into()).unwrap(), field, "{options}");
        let text = message_of(error);
        assert!(text.starts_with(message), "{options}: {text:?} should start with {message:?}");
        assert_eq!(events.length(), 0, "{options}: nothing ran");
    }
    // A callback that is not a function, or that throws: an Error, and the run still ends.
    let error = run_hazard_demo(JsValue::UNDEFINED, JsValue::from(3)).await.unwrap_err();
    assert_eq!(message_of(error), "onEvent must be a function (got 3)");
    let throws =
        Function::new_with_args("event", "if (event.type === 'wait-cancelled') throw new Error('boom')");
    let options = JSON::parse(r#"{"barrier": "classic", "timeScale": 0.2}"#).unwrap();
    assert_eq!(message_of(run_hazard_demo(options, throws.into()).await.unwrap_err()), "boom");
    // After all that, a run works, with every option left out.
    let (result, events) = hazard_js("undefined").await;
    assert_eq!(string_at(&result.unwrap(), "barrier"), "phase");
    assert!(events.length() > 0);
}

/// Runs `runPipeline` with `options` (JS source), collecting every event;
/// the result and the events.
async fn run_js_events(options: &str) -> (JsValue, Array) {
    let options = Function::new_no_args(&format!("return ({options});")).call0(&JsValue::NULL).unwrap();
    let seen = Array::new();
    let push = Function::new_with_args("event", "this.push(event)").bind0(&seen);
    let result = run_pipeline(options, push.into()).await.unwrap();
    (result, seen)
}

/// `key` of `object`, as JSON text (for comparing whole values).
fn json_of(object: &JsValue, key: &str) -> String {
    String::from(JSON::stringify(&Reflect::get(object, &key.into()).unwrap()).unwrap())
}

/// Every Phase 2 score in `events`, by chunk, as JSON text of `score`, `bm25` and `cosine`.
fn scores_of(events: &Array) -> Vec<(u32, String)> {
    let field = |event: &JsValue, key: &str| Reflect::get(event, &key.into()).unwrap();
    let mut scores: Vec<(u32, String)> = events
        .iter()
        .filter(|e| field(e, "type") == "phase-complete" && field(e, "phase") == "score")
        .map(|e| {
            let parts = ["score", "bm25", "cosine"].map(|key| json_of(&e, key)).join(",");
            (field(&e, "chunk").as_f64().unwrap() as u32, parts)
        })
        .collect();
    scores.sort();
    scores
}

#[wasm_bindgen_test]
async fn a_gathered_run_in_the_browser_scores_as_a_barrier_run_does() {
    for chunks in [46, 250] {
        let options = |approach: &str| {
            format!(
                r#"{{ chunks: {chunks}, seed: 9, embedMs: [1, 20], scoreMs: 2, approach: "{approach}" }}"#
            )
        };
        let (barrier, barrier_events) = run_js_events(&options("barrier")).await;
        let expected = scores_of(&barrier_events);
        assert_eq!(expected.len(), chunks);
        for approach in ["gather", "gather-collect"] {
            let (result, events) = run_js_events(&options(approach)).await;
            assert_eq!(scores_of(&events), expected, "{approach}: every score, exactly");
            for key in ["top", "answer", "quotes"] {
                assert_eq!(json_of(&result, key), json_of(&barrier, key), "{approach} {key}");
            }
            assert_eq!(Reflect::get(&result, &"approach".into()).unwrap(), approach);
            assert_eq!(Reflect::get(&result, &"tasks".into()).unwrap(), 2 * chunks as u32);
            assert_eq!(json_of(&result, "collected"), "[]");
            let types: Vec<String> = events
                .iter()
                .map(|e| Reflect::get(&e, &"type".into()).unwrap().as_string().unwrap())
                .collect();
            assert!(!types.iter().any(|t| t.starts_with("barrier-")), "{approach}: no barrier");
            assert_eq!(types.iter().filter(|t| *t == "gather-end").count(), 2);
            let start = events.get(0);
            assert_eq!(Reflect::get(&start, &"approach".into()).unwrap(), approach);
            assert_eq!(Reflect::get(&start, &"storeMs".into()).unwrap(), 0);
        }
        assert_eq!(Reflect::get(&barrier, &"approach".into()).unwrap(), "barrier");
        assert_eq!(Reflect::get(&barrier, &"tasks".into()).unwrap(), chunks as u32);
    }
}

#[wasm_bindgen_test]
async fn on_real_timers_the_store_step_makes_the_barrier_faster_than_the_gathers() {
    // The default corpus (46 chunks), timeScale 1, storeMs 20. The best of
    // three interleaved runs each: other work on the machine only delays timers.
    let makespan = |result: &JsValue| Reflect::get(result, &"makespanMs".into()).unwrap().as_f64().unwrap();
    let configs = [("barrier", 0), ("gather", 0), ("barrier", 20), ("gather", 20)];
    let mut best = [f64::INFINITY; 4];
    for _ in 0..3 {
        for (best, (approach, store)) in best.iter_mut().zip(configs) {
            let options = format!(r#"{{ seed: 4, approach: "{approach}", storeMs: {store} }}"#);
            let (result, events) = run_js_events(&options).await;
            let stores =
                events.iter().filter(|e| Reflect::get(e, &"type".into()).unwrap() == "store-start").count();
            assert_eq!(stores, if store > 0 { 46 } else { 0 });
            *best = best.min(makespan(&result));
        }
    }
    let [barrier, gather, barrier_stored, gather_stored] = best;
    console_log!(
        "46 chunks, timeScale 1, best of 3: no store: barrier {barrier:.1} ms, gather {gather:.1} ms; \
         storeMs 20: barrier {barrier_stored:.1} ms, gather {gather_stored:.1} ms"
    );
    assert!((barrier - gather).abs() < TIMER_SLACK_MS, "no store: the same schedule");
    // The gathers pay 12 rounds of 20 ms after the slowest embedding; the barrier hides most.
    assert!(gather_stored - gather > 200.0, "{gather_stored} vs {gather}");
    assert!(barrier_stored + 100.0 < gather_stored, "{barrier_stored} vs {gather_stored}");
}

#[wasm_bindgen_test]
async fn bad_approach_and_store_ms_reject_naming_the_field_and_range() {
    let approach = r#"approach must be one of "barrier", "gather", "gather-collect""#;
    let store = "storeMs must be a number from 0 to 1000 ms";
    let cases = [
        (r#"{ approach: "gathered" }"#, "approach", format!(r#"{approach} (got "gathered")"#)),
        ("{ approach: 1 }", "approach", format!("{approach} (got 1)")),
        ("{ approach: null }", "approach", format!("{approach} (got null)")),
        (r#"{ approach: ["gather"] }"#, "approach", format!("{approach} (got an array of length 1)")),
        (r#"{ approach: new Proxy({}, {}) }"#, "approach", format!("{approach} (got an object)")),
        (
            "{ get approach() { throw new Error('nope'); } }",
            "approach",
            "approach could not be read (got nope)".to_string(),
        ),
        ("{ storeMs: NaN }", "storeMs", format!("{store} (got NaN)")),
        (r#"{ storeMs: "20" }"#, "storeMs", format!(r#"{store} (got "20")"#)),
        ("{ storeMs: -1 }", "storeMs", format!("{store} (got -1)")),
        ("{ storeMs: 1001 }", "storeMs", format!("{store} (got 1001)")),
        ("{ storeMs: Infinity }", "storeMs", format!("{store} (got Infinity)")),
        ("{ storeMs: new Proxy({}, {}) }", "storeMs", format!("{store} (got an object)")),
        (
            "{ storeMs: (() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; })() }",
            "storeMs",
            format!("{store} (got a revoked Proxy)"),
        ),
        (
            "{ get storeMs() { throw new Error('getter'); } }",
            "storeMs",
            "storeMs could not be read (got getter)".to_string(),
        ),
        (
            "new Proxy({ storeMs: 5 }, { get(t, k) { if (k === 'storeMs') throw new Error('trap'); return t[k]; } })",
            "storeMs",
            "storeMs could not be read (got trap)".to_string(),
        ),
    ];
    for (options, field, message) in cases {
        let error = run_js(options).await.expect_err(options);
        assert_eq!(Reflect::get(&error, &"field".into()).unwrap(), field, "{options}");
        assert_eq!(message_of(error), message, "{options}");
    }
    // After all that, a gathered run with a store works.
    let ok = r#"{ chunks: 4, seed: 1, embedMs: [0, 2], scoreMs: 0, approach: "gather-collect", storeMs: 1 }"#;
    assert!(run_js(ok).await.is_ok());
}

#[wasm_bindgen_test]
async fn gather_collect_resolves_with_what_it_collected_and_rejects_when_all_failed() {
    let options = r#"{ chunks: 250, seed: 2, embedMs: [1, 10], scoreMs: 1, approach: "gather-collect",
        faults: [{ chunk: 7, phase: "score" }, { chunk: 200, kind: "hang" }], phaseTimeoutMs: 40 }"#;
    let result = run_js(options).await.unwrap();
    assert_eq!(
        json_of(&result, "collected"),
        r#"[{"chunk":200,"id":"chunk-200","phase":"embed","message":"timed out after 40 ms","timedOut":true},{"chunk":7,"id":"chunk-7","phase":"score","message":"injected fault","timedOut":false}]"#
    );
    assert_eq!(Reflect::get(&result, &"tasks".into()).unwrap(), 250 + 249);
    let all =
        r#"{ chunks: 2, embedMs: [0, 1], approach: "gather-collect", faults: [{ chunk: 0 }, { chunk: 1 }] }"#;
    let error = run_js(all).await.unwrap_err();
    assert_eq!(Reflect::get(&error, &"collected".into()).unwrap(), 2);
    assert!(message_of(error).starts_with("every chunk failed, so there is nothing to answer from"));
}
