/**
 * The comparison's HTML page in a real headless Chromium: each candidate's chart draws (canvas ink, and
 * the Chart.js instances' own data: every metric's median change and its interval), the page logs no
 * console error and loads nothing from the network, and a screenshot is saved for a person to look at.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderCompareHtml } from "../src/bench/compare-render.js";
import { compareReports } from "../src/core/bench/compare.js";
import { COMPARISON_SCHEMA_VERSION, type Comparison } from "../src/spec/comparison.js";
import { launchChromium, openPage } from "./support/chromium.js";
import { reportOf, testRun } from "./support/lab-fixtures.js";

interface Page {
  document: {
    getElementById(id: string): {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        getImageData(x: number, y: number, w: number, h: number): { data: number[] };
      };
    };
  };
  orketCharts: Array<{ data: { labels: string[]; datasets: Array<{ label: string; data: unknown[] }> } }>;
}

function bench(slowdown: number, ref: string) {
  return reportOf(
    Array.from({ length: 30 }, (_, i) => {
      const run = testRun({
        task: `t${i}`,
        tps: 100 / slowdown,
        outcome: i % 6 === 0 && slowdown > 1 ? "fail" : "pass",
      });
      return { ...run, telemetry: { ...run.telemetry, total_latency: (1 + (i % 5) / 10) * slowdown } };
    }),
    ref,
  );
}

const baseline = bench(1, "replay/base");
const info = (ref: string) => ({
  path: `/${ref}.json`,
  model_ref: ref,
  report_generated_at: baseline.report_generated_at,
  bank: { name: "builtin", version: "1", sha256: null },
  runs_per_task: 1,
});
const comparison: Comparison = {
  schema_version: COMPARISON_SCHEMA_VERSION,
  generated_at: "2026-12-07T00:00:00.000Z",
  orket_version: "0.1.0",
  settings: {
    confidence: 0.95,
    bootstrap_resamples: 2000,
    seed: 1,
    include_invalid: false,
    fail_on: null,
    strict: false,
  },
  baseline: info("replay/base"),
  comparisons: [
    compareReports(baseline, bench(1.3, "replay/slow"), info("replay/slow")),
    compareReports(baseline, bench(1, "replay/same"), info("replay/same")),
  ],
  gate_failed: false,
};

describe("the comparison page in headless Chromium", () => {
  // biome-ignore lint/suspicious/noExplicitAny: playwright-core is loaded lazily, only where Chromium exists
  let browser: any;
  const dir = mkdtempSync(join(tmpdir(), "orket-compare-report-"));
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("draws one chart per candidate with no console error and no network request", async () => {
    const file = join(dir, "comparison.html");
    writeFileSync(file, renderCompareHtml(comparison));
    const { page, errors, requests } = await openPage(browser, file);
    await page.waitForFunction(() => (globalThis as unknown as Page).orketCharts?.length === 2);
    const drawn = await page.evaluate(() => {
      const page = globalThis as unknown as Page;
      return [0, 1].map((i) => {
        const canvas = page.document.getElementById(`orket-compare-chart-${i}`);
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let inked = 0;
        for (let p = 3; p < data.length; p += 4) if ((data[p] ?? 0) > 0) inked++;
        const chart = page.orketCharts[i];
        return {
          inked,
          labels: chart?.data.labels,
          estimates: chart?.data.datasets[1]?.data,
          intervals: chart?.data.datasets[0]?.data.length,
        };
      });
    });
    const png = join(dir, "comparison.png");
    await page.screenshot({ path: png, fullPage: true });
    console.log(`comparison screenshot: ${png}`);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    for (const chart of drawn) {
      expect(chart.inked).toBeGreaterThan(5000);
      expect(chart.labels).toEqual([
        "init_latency",
        "total_latency",
        "generation_tokens_per_second",
        "peak_memory_rss",
        "adherence_score",
      ]);
      expect(chart.intervals).toBe(5);
    }
    // The slow candidate's latency median is 30 % up; the same one's is unchanged.
    const latency = (i: number) =>
      ((drawn[i]?.estimates ?? []) as Array<{ x: number; y: string }>).find((e) => e.y === "total_latency")
        ?.x;
    expect(latency(0)).toBeCloseTo(30, 6);
    expect(latency(1)).toBe(0);
    expect(existsSync(png)).toBe(true);
    await page.close();
  }, 60_000);
});
