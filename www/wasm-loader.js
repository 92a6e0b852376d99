// Loads the WASM module for the page served over http(s): the wasm-pack
// bindings fetch the .wasm beside them. The standalone build for pages opened
// from a file (scripts/standalone.mjs) swaps this file for one that hands the
// bindings the .wasm bytes it carries inline, since file: pages may not fetch.

/** The initialised module's exports (runPipelineBatched, ...); rejects if the build is missing. */
export async function loadWasm() {
  // Imported dynamically so that a missing build is a rejection the page can report, not a dead page.
  const wasm = await import("../pkg/rag_phase_sync.js");
  await wasm.default();
  return wasm;
}
