/**
 * The headless Chromium the rendered-page tests drive with playwright-core (never a downloaded browser).
 * ORKET_CHROMIUM, when set, is the only binary tried. A developer's machine without one skips with a
 * warning; under CI a missing browser is a failing test (.ci/run installs Debian's chromium).
 */
import { existsSync } from "node:fs";
import { it } from "vitest";

const CANDIDATES = process.env.ORKET_CHROMIUM
  ? [process.env.ORKET_CHROMIUM]
  : [
      "/usr/bin/chromium",
      "/usr/bin/chromium-browser",
      "/usr/bin/google-chrome",
      "/usr/bin/google-chrome-stable",
    ];

export const chromium: string | undefined = CANDIDATES.find((p) => existsSync(p));

/** Call at a test file's top level: warns (or, under CI, fails) when there is no Chromium. */
export function requireChromium(suite: string): void {
  const missing = "no Chromium binary found (apt-get install chromium, or set ORKET_CHROMIUM)";
  if (!chromium && !process.env.CI) console.warn(`${suite}: SKIPPED: ${missing}`);
  if (!chromium && process.env.CI) {
    it("needs Chromium in CI", () => {
      throw new Error(`${suite}: ${missing}; .ci/run installs it`);
    });
  }
}

/** Launches it headless; playwright-core is loaded only here, where a browser exists. */
export async function launchChromium() {
  const { chromium: driver } = await import("playwright-core");
  return driver.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/**
 * Opens a local page in a new tab, collecting what the checks need: console errors and warnings,
 * uncaught page errors, and every request that is not the file itself (a self-contained page makes none).
 */
// biome-ignore lint/suspicious/noExplicitAny: playwright-core's browser, loaded lazily
export async function openPage(browser: any, file: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m: { type(): string; text(): string }) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(m.text());
  });
  page.on("pageerror", (e: Error) => errors.push(e.message));
  page.on("request", (r: { url(): string }) => {
    if (!r.url().startsWith("file:")) requests.push(r.url());
  });
  await page.goto(`file://${file}`);
  return { page, errors, requests };
}
