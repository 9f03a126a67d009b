/**
 * The headless Chromium the rendered-page tests drive with playwright-core (never a downloaded browser).
 * ORKET_CHROMIUM, when set, is the only binary tried. A machine without one fails the browser suites,
 * which never skip; launchChromium names the fix (.ci/run installs Debian's chromium).
 */
import { existsSync } from "node:fs";

const CANDIDATES = process.env.ORKET_CHROMIUM
  ? [process.env.ORKET_CHROMIUM]
  : [
      "/usr/bin/chromium",
      "/usr/bin/chromium-browser",
      "/usr/bin/google-chrome",
      "/usr/bin/google-chrome-stable",
    ];

export const chromium: string | undefined = CANDIDATES.find((p) => existsSync(p));

/** Launches it headless (playwright-core is loaded only here); throws, naming the fix, without one. */
export async function launchChromium() {
  if (chromium === undefined)
    throw new Error(
      "no Chromium binary found (apt-get install chromium, or set ORKET_CHROMIUM); .ci/run installs it",
    );
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
