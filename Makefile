# The two commands a newcomer needs:
#   make serve   builds the WASM module and serves the demo on http://127.0.0.1:8080
#   make test    runs every test: native, headless Chromium, and the page end to end
# Both install what is missing first (scripts/ensure-tools.sh).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080

.PHONY: serve test build lint native-test browser-test e2e verify bench tools

serve: build
	node scripts/serve.mjs --port $(PORT)

test: tools lint native-test browser-test build e2e

tools:
	scripts/ensure-tools.sh test

# wasm-pack, then wasm-opt -Oz (npm's binaryen; wasm-pack's own is off in
# Cargo.toml), which also drops the name section. The --enable flags are the
# wasm features rustc turns on for wasm32, named so that the module validates
# even without its target_features section (Cargo's `strip` drops it). If
# wasm-opt fails, the unoptimised .wasm is deleted and the build fails. Last,
# pkg/standalone.js: the page and the .wasm in one classic script, for
# index.html opened from disk, where browsers refuse modules and fetch().
build:
	scripts/ensure-tools.sh build
	wasm-pack build --release --target web
	@echo "==> wasm-opt -Oz pkg/rag_phase_sync_bg.wasm"
	scripts/node_modules/.bin/wasm-opt -Oz \
	  --enable-bulk-memory --enable-bulk-memory-opt --enable-call-indirect-overlong \
	  --enable-multivalue --enable-mutable-globals --enable-nontrapping-float-to-int \
	  --enable-reference-types --enable-sign-ext \
	  pkg/rag_phase_sync_bg.wasm -o pkg/rag_phase_sync_bg.opt.wasm \
	  || { rm -f pkg/rag_phase_sync_bg.wasm pkg/rag_phase_sync_bg.opt.wasm; \
	       echo "error: wasm-opt failed; deleted pkg/rag_phase_sync_bg.wasm" >&2; exit 1; }
	mv pkg/rag_phase_sync_bg.opt.wasm pkg/rag_phase_sync_bg.wasm
	node scripts/standalone.mjs

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings

native-test:
	cargo test

browser-test:
	wasm-pack test --headless --chrome

e2e:
	cd tests/e2e && npm test

verify:
	cargo run --example verify

# Every benchmark, then one table of the figures the performance goals name
# (target/bench.json): the barrier (criterion), the pipeline natively against
# the seed's Python, the pipeline in headless Chromium, the barrier against
# two gathers (compare.mjs), and the page's frame times while it draws a run
# (frames.mjs).
bench: tools build
	cargo bench --bench barrier
	cargo bench --bench pipeline
	node benches/browser/bench.mjs
	node benches/browser/compare.mjs
	node benches/browser/frames.mjs
	node benches/summary.mjs
