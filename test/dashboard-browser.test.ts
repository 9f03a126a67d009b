/**
 * The dashboard of `orket serve` in a real headless Chromium: start a bench from the page on the
 * embedded engine with the code-writing fixture model, watch its progress arrive live, open the finished
 * report and a failing-or-passing run's detail with the keyboard, compare it with a second run, read
 * the leaderboard, and look at it in dark mode. Screenshots are kept in test-artifacts/dashboard/.
 * A missing Chromium fails the suite, naming the fix (.ci/run installs Debian's); it never skips.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { launchChromium } from "./support/chromium.js";
import { MEMORIZER_F32 } from "./support/llama-cpp.js";
import { runCli } from "./support/run-cli.js";
import { answer, call as toolCall, writeScript } from "./support/script-cassette.js";

const SHOTS = join(process.cwd(), "test-artifacts", "dashboard");

describe("the dashboard in Chromium", () => {
  let server: RunningServer;
  let project: string;
  // biome-ignore lint/suspicious/noExplicitAny: playwright-core, loaded lazily
  let browser: any;
  // biome-ignore lint/suspicious/noExplicitAny: playwright-core's page
  let page: any;
  const errors: string[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    project = mkdtempSync(join(tmpdir(), "orket-dashboard-"));
    server = await startServer({ projectDir: project, home: join(project, "home"), port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m: { type(): string; text(): string }) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e: Error) => errors.push(e.message));
    page.on("request", (r: { url(): string }) => {
      if (!r.url().startsWith(server.url)) foreign.push(r.url());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("starts a bench from the page and shows its progress live, event by event", async () => {
    await page.goto(server.url);
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    await page.getByLabel("Model").fill(`gguf/${MEMORIZER_F32}`);
    await page.getByLabel("Tasks").fill("1-8");
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL(/#\/jobs\/.+/);
    // Every text the progress line shows is kept (one per mutation record, so batched updates all count).
    await page.evaluate(`(() => {
      window.seen = [];
      const target = document.getElementById("job-count");
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) window.seen.push(n.textContent ?? "");
      }).observe(target, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    })()`);
    await page.getByRole("link", { name: /Open report/ }).waitFor({ timeout: 90_000 });
    const seen: string[] = await page.evaluate("window.seen");
    expect(seen.at(-1)).toBe("8 of 8 test runs");
    expect(seen.filter((s) => /^\d of 8 test runs$/.test(s)).length).toBeGreaterThanOrEqual(2);
    expect(await page.locator("#job-state").textContent()).toMatch(/bench · done/);
    expect(await page.locator("#job-log > div").count()).toBeGreaterThan(8);
    await page.screenshot({ path: join(SHOTS, "job.png"), fullPage: true });
  }, 120_000);

  it("opens the finished report: the answer first, the runs after, a run's detail by keyboard", async () => {
    await page.getByRole("link", { name: /Open report/ }).click();
    await page.waitForURL(/#\/reports\/\d+/);
    await expect
      .poll(() => page.locator(".answer").textContent())
      .toMatch(/^Pass rate (\d+\.\d %|—) over \d valid of 8 test runs/);
    expect(await page.locator("#rows tr").count()).toBe(8);
    await page.getByLabel("Filter").fill("ts/");
    await expect.poll(() => page.locator("#rows tr").count()).toBeLessThan(8);
    await page.getByLabel("Filter").fill("");
    await page.locator("#rows tr").first().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.locator("#detail h2").first().textContent())
      .toMatch(/#0 · (pass|fail|error)/);
    expect(await page.locator("#detail pre").first().textContent()).toContain("passed_examples");
    await page.screenshot({ path: join(SHOTS, "report.png"), fullPage: true });
  }, 60_000);

  it("compares the report with a second run and reads the leaderboard", async () => {
    const created = await fetch(`${server.url}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "bench", model: `gguf/${MEMORIZER_F32}`, tasks: "1-8" }),
    }).then((r) => r.json() as Promise<{ job_id: string }>);
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${server.url}/api/jobs/${created.job_id}`)).json()) as { state: string })
            .state,
        { timeout: 90_000, interval: 200 },
      )
      .toBe("done");
    await page.goto(`${server.url}/#/history`);
    await page.getByRole("heading", { name: "Reports" }).waitFor();
    expect(await page.locator("tbody tr").count()).toBe(2);
    await page.getByRole("button", { name: "Compare" }).click();
    await page.waitForURL(/#\/compare\?b=\d+&c=\d+/);
    // The verdict leads: a pass-rate statement, or, when a loaded machine left no task valid in both
    // reports, that nothing could be compared (the validity rules are the real-engine suite's to test).
    await expect
      .poll(() => page.locator(".answer").textContent(), { timeout: 30_000 })
      .toMatch(/pass rate|no task is valid in both/);
    expect(await page.locator("table").first().locator("tbody tr").count()).toBeGreaterThan(3);
    await page.screenshot({ path: join(SHOTS, "compare.png"), fullPage: true });

    await page.goto(`${server.url}/#/leaderboard`);
    await expect
      .poll(() => page.locator(".answer").textContent())
      .toMatch(/^Best: gguf\/.*memorizer.*, pass rate/);
    expect(await page.locator("tbody tr").count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, "leaderboard.png"), fullPage: true });
  }, 150_000);

  it("starts an epic run from the page and shows its board with the card done", async () => {
    const cassette = writeScript(join(project, "script.jsonl"), [
      answer(
        toolCall("write_file", { path: "greet.py", content: "def greet(name):\n    return name\n" }),
        toolCall("update_issue_status", { status: "code_review" }),
      ),
      answer(
        toolCall("add_issue_comment", { body: "meets the requirements" }),
        toolCall("update_issue_status", { status: "awaiting_guard_review" }),
      ),
      answer(toolCall("update_issue_status", { status: "done" })),
    ]);
    const init = await runCli(["init", project, "--model", `replay/${cassette}`], {
      env: { ORKET_HOME: join(project, "home") },
    });
    expect(init.code, init.stderr).toBe(0);
    await page.goto(`${server.url}/#/jobs`);
    await page.getByLabel("Kind").selectOption("run");
    expect(await page.getByLabel("Tasks").isVisible()).toBe(false);
    await page.getByLabel("Model").fill(`replay/${cassette}`);
    await page.getByLabel("Epic", { exact: true }).fill("hello-python");
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL(/#\/jobs\/.+/);
    await expect
      .poll(() => page.locator("#job-state").textContent(), { timeout: 60_000 })
      .toMatch(/run · done/);
    await page.goto(`${server.url}/#/boards`);
    await page
      .getByRole("link", { name: /hello-python/ })
      .first()
      .click();
    await expect.poll(() => page.locator(".answer").textContent()).toBe("1 of 1 cards done");
    expect(await page.getByRole("region", { name: "done" }).textContent()).toContain("greet");
    await page.screenshot({ path: join(SHOTS, "board.png"), fullPage: true });
  }, 90_000);

  it("follows the system's dark mode, and made no request off the server and logged no error", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    const background = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor");
    expect(background).toBe("rgb(13, 17, 23)");
    await page.screenshot({ path: join(SHOTS, "leaderboard-dark.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    expect(errors, errors.join("\n")).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
