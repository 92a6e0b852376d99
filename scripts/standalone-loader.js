// The standalone build's stand-in for www/wasm-loader.js (scripts/standalone.mjs
// swaps it in): a page opened from a file may not fetch the .wasm, so the
// bundle carries its bytes (esbuild's binary loader: base64, decoded on load).

import init, * as bindings from "../pkg/rag_phase_sync.js";
import bytes from "../pkg/rag_phase_sync_bg.wasm";

/** The initialised module's exports, compiled from the inlined bytes. */
export async function loadWasm() {
  await init({ module_or_path: bytes });
  return bindings;
}
