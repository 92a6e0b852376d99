// Chooses how the page loads its code. Served over http(s), it is the ES
// module www/app.js, as written. Opened straight from disk, Chromium refuses
// ES modules and fetch() on file: pages, so it is pkg/standalone.js instead:
// the same code as one classic script with the .wasm inline, which `make
// build` makes (scripts/standalone.mjs). This is a separate classic script
// because the page's CSP allows no inline script, and a module could not run
// on a file: page to make the choice.

(() => {
  const script = document.createElement("script");
  if (location.protocol === "file:") {
    script.src = "pkg/standalone.js";
    script.addEventListener("error", missingBundle);
  } else {
    script.type = "module";
    script.src = "www/app.js";
  }
  document.head.append(script);

  /** Says what to do instead of leaving "Loading…" on a dead button: the page was opened before a build. */
  function missingBundle() {
    document.querySelector("#run").textContent = "Unavailable";
    const box = document.querySelector("#error");
    box.hidden = false;
    box.textContent = "This page was opened from a file and the standalone build is missing: "
      + "run `make build` (or `make serve` and open http://127.0.0.1:8080).";
  }
})();
