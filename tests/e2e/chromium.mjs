// Debian's Chromium, driven by playwright-core (which never downloads a
// browser of its own), started the way this sandbox needs: as root with no
// setuid sandbox, and with no background traffic to a network it cannot reach.

import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

const executablePath = process.env.CHROMIUM ?? execFileSync("which", ["chromium"]).toString().trim();
const args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

/** A headless Chromium; close it when done. */
export function launchChromium() {
  return chromium.launch({ executablePath, args });
}
