#!/usr/bin/env bash
# Installs what building and testing need, only where it is missing, so a
# fresh machine and a warm one run the same command. Every tool comes from a
# package registry (crates.io, Debian, npm): nothing here downloads its own
# binary or browser, because the machines this runs on reach registries only.
#
# Usage: scripts/ensure-tools.sh [build|test]
#   build: wasm32 target, wasm-pack, wasm-bindgen-cli, and binaryen's wasm-opt
#          and esbuild from npm (scripts/package.json): enough for `make serve`
#   test:  all of build, plus Chromium, chromedriver and the e2e npm packages
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
need=${1:-test}

say() { printf '==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen CLI must match the library version in Cargo.lock exactly,
# or wasm-pack falls back to building its own copy on every cold cache.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock
}

command -v cargo >/dev/null || fail "cargo not found: install Rust with rustup first"
[ -f Cargo.lock ] || cargo generate-lockfile

if ! rustc --print sysroot | xargs -I{} test -d {}/lib/rustlib/wasm32-unknown-unknown; then
  command -v rustup >/dev/null \
    || fail "the wasm32-unknown-unknown target is missing and there is no rustup to add it: install Rust with rustup"
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack from crates.io (a few minutes, once)"
  cargo install wasm-pack --version 0.15.1
fi

want=$(wasm_bindgen_version)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (have: ${have:-none}; a few minutes, once)"
  # Without --locked: the CLI's own lock file pins crates that may not build
  # on this toolchain, and the resolver picks compatible ones.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

command -v node >/dev/null && command -v npm >/dev/null \
  || fail "node and npm are missing: install Node.js 20 or newer (Debian: apt-get install nodejs npm)"
# `npm ci` in folder $1 unless its node_modules was installed from the lock
# file as it is now (a copy of the lock is kept beside the packages: comparing
# contents, unlike timestamps, neither misses a change nor reinstalls forever).
npm_ci_if_changed() {
  if ! cmp -s "$1/package-lock.json" "$1/node_modules/.installed-lock.json"; then
    say "installing $2"
    (cd "$1" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    cp "$1/package-lock.json" "$1/node_modules/.installed-lock.json"
  fi
}

# binaryen and esbuild from npm, pinned in scripts/package-lock.json: `make
# build` shrinks the release module with wasm-opt, then bundles the page with
# esbuild (whose platform binary is an npm package too). (Debian's binaryen is
# too old for the wasm features rustc enables, and wasm-pack's own download
# cannot run here.)
npm_ci_if_changed scripts "the build's npm packages (wasm-opt, esbuild)"

[ "$need" = build ] && exit 0

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
  else
    fail "Chromium and chromedriver are missing. Install them, e.g. on Debian as root:
    apt-get update && apt-get install -y chromium chromium-driver
  (any Chromium with a chromedriver of the same major version on PATH works)"
  fi
fi

# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD (set for every install): the test drives Debian's chromium.
npm_ci_if_changed tests/e2e "the e2e test's npm packages (playwright-core, axe-core)"
