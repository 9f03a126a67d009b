/**
 * `orket sweep concurrency` against llama.cpp's llama-server with four parallel slots: every level's row
 * is there and schema-valid, the client's output token counts equal the server's own counter for each
 * level, the slots are read from `/slots`, the server's processing gauge never passes its four slots,
 * and the HTML report draws its chart in Chromium. How TTFT grows with concurrency is a
 * benchmark figure (docs/lab.md), not asserted here.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConcurrencySweep, ConcurrencySweepSchema } from "../../src/spec/concurrency.js";
import { launchChromium } from "../support/chromium.js";
import { type LlamaServer, quantized, startLlamaServer } from "../support/llama-cpp.js";
import { runCli } from "../support/run-cli.js";

describe("orket sweep concurrency on llama-server --parallel 4", () => {
  let server: LlamaServer;
  let sweep: ConcurrencySweep;
  let dir: string;

  beforeAll(async () => {
    server = await startLlamaServer({ model: quantized("Q8_0"), slots: 4, contextSize: 4096, threads: 2 });
    dir = mkdtempSync(join(tmpdir(), "orket-real-concurrency-"));
    const run = await runCli(
      [
        "sweep",
        "concurrency",
        "--model",
        "openai/memorizer",
        "--base-url",
        server.baseURL,
        "--levels",
        "1,2,4,8",
        "--requests",
        "12",
        "--slo",
        "ttft:2s,itl:500ms",
        "--out",
        join(dir, "out"),
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^(Knee at \d+|No knee up to 8) concurrent clients/);
    sweep = ConcurrencySweepSchema.parse(
      JSON.parse(readFileSync(join(dir, "out", "concurrency_sweep.json"), "utf8")),
    );
  }, 180_000);
  afterAll(async () => server?.stop());

  it("has a schema-valid row per level, every request answered", () => {
    expect(sweep.rows.map((r) => r.concurrency)).toEqual([1, 2, 4, 8]);
    for (const row of sweep.rows) {
      expect(row.requests).toBe(12);
      expect(row.errors, JSON.stringify(row.error_codes)).toBe(0);
      expect(row.ttft_ms.samples).toBe(12);
      expect(row.ttft_ms.p50).not.toBeNull();
      expect(row.output_tokens_per_second).toBeGreaterThan(0);
      expect(row.goodput_rps).not.toBeNull();
    }
    expect(sweep.server).toMatchObject({ kind: "llama.cpp", slots: 4 });
  });

  it("counts the same output tokens as the server, level by level", () => {
    for (const row of sweep.rows) {
      expect(row.output_tokens).toBeGreaterThan(0);
      expect(row.server?.predicted_tokens).toBe(row.output_tokens);
    }
  });

  it("never sees more requests processing than the four slots, nor one deferred with a single client", () => {
    const peak = (c: number) => sweep.rows.find((r) => r.concurrency === c)?.server;
    expect(peak(1)?.requests_deferred_peak ?? 0).toBe(0);
    expect(peak(4)?.requests_processing_peak ?? 0).toBeLessThanOrEqual(4);
    expect(peak(8)?.requests_processing_peak ?? 0).toBeLessThanOrEqual(4);
  });

  it("draws the HTML report's chart in Chromium, the answer first", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e: Error) => errors.push(e.message));
      await page.goto(`file://${join(dir, "out", "concurrency_report.html")}`);
      await page.waitForFunction("window.orketChart !== undefined");
      expect(await page.evaluate("window.orketChart.data.labels.length")).toBe(4);
      const first = await page.locator("body > *:nth-child(2)").getAttribute("class");
      expect(first).toBe("answer");
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
