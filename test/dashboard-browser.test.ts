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
import { runConcurrencySweep } from "../src/lab/concurrency.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { launchChromium } from "./support/chromium.js";
import { MEMORIZER_F32 } from "./support/llama-cpp.js";
import { startLoadServer } from "./support/load-server.js";
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

  it("shows a failing run's prompt, answer, evaluator output and telemetry side by side", async () => {
    const wrong = "```python\ndef clamp(value, low, high):\n    return value\n```";
    const cassette = writeScript(join(project, "wrong.jsonl"), [wrong]);
    const created = await fetch(`${server.url}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "bench", model: `replay/${cassette}`, tasks: "py/clamp" }),
    }).then((r) => r.json() as Promise<{ job_id: string }>);
    await page.goto(`${server.url}/#/jobs/${created.job_id}`);
    await page.getByRole("link", { name: /Open report/ }).click({ timeout: 60_000 });
    await page.waitForURL(/#\/reports\/\d+/);
    await page.getByLabel("Outcome").selectOption("fail");
    await expect.poll(() => page.locator("#rows tr").count()).toBe(1);
    await page.locator("#rows tr").first().focus();
    await page.keyboard.press("Enter");
    const pane = (name: string) => page.getByRole("region", { name });
    await expect
      .poll(() => pane("Prompt").textContent())
      .toContain("Return `value` limited to the closed range");
    expect(await pane("Answer").textContent()).toContain("return value");
    // The evaluator's own words for the examples the candidate failed (clamping is never applied).
    expect(await pane("Evaluator output").textContent()).toMatch(/examples passed: \d+ of \d+[\s\S]*#\d+: /);
    expect(await pane("Telemetry").textContent()).toContain("total_latency");
    // Side by side: prompt and answer share a row, evaluator and telemetry the next.
    const box = async (name: string) => (await pane(name).boundingBox()) as { x: number; y: number };
    const [prompt, answerBox, evaluator] = [
      await box("Prompt"),
      await box("Answer"),
      await box("Evaluator output"),
    ];
    expect(answerBox.y).toBe(prompt.y);
    expect(answerBox.x).toBeGreaterThan(prompt.x);
    expect(evaluator.y).toBeGreaterThan(prompt.y);
    await page.screenshot({ path: join(SHOTS, "report-failure.png"), fullPage: true });
  }, 90_000);

  it("starts an epic run from the page and shows its board as the card moves", async () => {
    // Each answer takes 2 s, so the card is seen in the columns it passes through on its way to done.
    const slow = (text: string) => ({ text, delayMs: 2000 });
    const cassette = writeScript(join(project, "script.jsonl"), [
      slow(
        answer(
          toolCall("write_file", { path: "greet.py", content: "def greet(name):\n    return name\n" }),
          toolCall("update_issue_status", { status: "code_review" }),
        ),
      ),
      slow(
        answer(
          toolCall("add_issue_comment", { body: "meets the requirements" }),
          toolCall("update_issue_status", { status: "awaiting_guard_review" }),
        ),
      ),
      slow(answer(toolCall("update_issue_status", { status: "done" }))),
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
    const jobUrl = page.url();
    // Open the board while the run is still going, and note every column the card is drawn in.
    // (The build exists once the run has synced its cards; the page is opened after that, since going
    // to the same address again would not draw it anew.)
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${server.url}/api/builds`)).json()) as { items: unknown[] }).items.length,
        { timeout: 30_000, interval: 50 },
      )
      .toBeGreaterThan(0);
    await page.goto(`${server.url}/#/boards`);
    await page
      .getByRole("link", { name: /hello-python/ })
      .first()
      .waitFor();
    await page.evaluate(`(() => {
      window.columns = [];
      const note = () => {
        const card = document.querySelector("#view .issue");
        const column = card?.closest("section")?.getAttribute("aria-label");
        if (column && window.columns.at(-1) !== column) window.columns.push(column);
      };
      new MutationObserver(note).observe(document.getElementById("view"), { childList: true, subtree: true });
    })()`);
    await page
      .getByRole("link", { name: /hello-python/ })
      .first()
      .click();
    await expect
      .poll(() => page.locator(".answer").textContent(), { timeout: 60_000 })
      .toBe("1 of 1 cards done");
    expect(await page.getByRole("region", { name: "done" }).textContent()).toContain("greet");
    const columns: string[] = await page.evaluate("window.columns");
    // The board moved under the reader's eyes: at least one column before done, in the workflow's order.
    expect(columns.at(-1)).toBe("done");
    expect(columns.length).toBeGreaterThanOrEqual(2);
    const order = ["ready", "in_progress", "code_review", "awaiting_guard_review", "done"];
    const ranks = columns.map((c) => order.indexOf(c));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    await page.goto(jobUrl);
    await expect
      .poll(() => page.locator("#job-state").textContent(), { timeout: 30_000 })
      .toMatch(/run · done/);
    await page.screenshot({ path: join(SHOTS, "board.png"), fullPage: true });
  }, 90_000);

  it("shows a concurrency sweep: the knee first, then latency and throughput against clients", async () => {
    const load = await startLoadServer({ tokens: 8, slots: 2 });
    try {
      await runConcurrencySweep({
        model: "openai/load",
        providers: { openaiBaseURL: `${load.baseUrl}/v1` },
        levels: [1, 2, 4],
        requests: 6,
        slo: { ttft_ms: 5000, itl_ms: 1000 },
        out: join(project, "orket-sweeps", "load-1"),
      });
    } finally {
      await load.close();
    }
    await page.goto(`${server.url}/#/sweeps`);
    await page
      .getByRole("link", { name: /^[0-9a-f]{16}$/ })
      .last()
      .click();
    await page.waitForURL(/#\/concurrency\/[0-9a-f]{16}/);
    await expect
      .poll(() => page.locator(".answer").textContent())
      .toMatch(/^(Knee at \d+ concurrent clients|No knee).*Most goodput at \d+/);
    expect(await page.locator("tbody tr").count()).toBe(3);
    // The chart is drawn: Chart.js gave its canvas a size.
    expect(await page.locator("#load-chart").evaluate((c: { width: number }) => c.width)).toBeGreaterThan(
      100,
    );
    await page.screenshot({ path: join(SHOTS, "concurrency.png"), fullPage: true });
  }, 60_000);

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
