/**
 * The sweep report's HTML in a real headless Chromium: the frontier chart draws (canvas pixels, and the
 * Chart.js instance's own data), the page logs no console error and loads nothing from the network, and
 * a screenshot is saved for a person to look at. Skips, saying why, where no Chromium is installed
 * (set ORKET_CHROMIUM to a binary to use another one).
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSweepReport } from "../src/lab/sweep-report.js";
import { EXCLUDED_LABEL } from "../src/lab/sweep-report-html.js";
import { launchChromium, openPage } from "./support/chromium.js";
import { guard, sweepSummary, testRun } from "./support/lab-fixtures.js";

/** The little of the page's globals the checks touch (the project's types do not include the DOM). */
interface Page {
  devicePixelRatio: number;
  document: {
    getElementById(id: string): {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        getImageData(x: number, y: number, w: number, h: number): { data: number[] };
      };
    };
  };
  orketChart: {
    data: { datasets: Array<{ label: string; data: Array<{ tag?: string }> }> };
    getDatasetMeta(index: number): { data: Array<{ x: number; y: number }> };
  };
}

const runs = (adherence: number, total: number, reasons: string[] = []) => [
  testRun({ task: "a", index: 0, adherence, total, reasons }),
  testRun({ task: "a", index: 1, adherence, total: total + 0.1, reasons }),
  testRun({ task: "b", index: 0, adherence, total: total + 0.2, reasons }),
];

const summary = sweepSummary(
  [
    { tag: "q8_0", runs: runs(1, 2.4), size: 8_100_000_000, guards: [guard("pass", "AT_OR_BELOW_TARGET")] },
    {
      tag: "q6_K",
      runs: runs(0.97, 1.9),
      size: 6_300_000_000,
      guards: [guard("pass", "AT_OR_BELOW_TARGET")],
    },
    { tag: "q4_K_M", runs: runs(0.93, 1.2), size: 4_700_000_000 },
    { tag: "q3_K_S", runs: runs(0.7, 0.9), size: 3_500_000_000 },
    { tag: "q2_K", runs: runs(0.9, 0.5, ["HOT_START"]), size: 2_900_000_000 },
    { tag: "iq1_S", runs: [testRun({ adherence: null, total: 0.7 })], size: 1_700_000_000 },
  ],
  { threshold: 0.9, ceiling: 2, includeInvalid: true },
);

describe("the sweep report's frontier chart in headless Chromium", () => {
  // biome-ignore lint/suspicious/noExplicitAny: playwright-core is loaded lazily, only where Chromium exists
  let browser: any;
  const dir = mkdtempSync(join(tmpdir(), "orket-sweep-report-"));

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(includeInvalid: boolean) {
    const file = join(dir, `sweep_report${includeInvalid ? "_all" : ""}.html`);
    writeFileSync(file, renderSweepReport(summary, { includeInvalid }).html);
    const { page, errors, requests } = await openPage(browser, file);
    await page.waitForFunction(() => (globalThis as unknown as Page).orketChart !== undefined);
    return { page, errors, requests };
  }

  it("draws the chart with no console error and no network request, and saves a screenshot", async () => {
    const { page, errors, requests } = await open(true);
    const drawn = await page.evaluate(() => {
      const page = globalThis as unknown as Page;
      const canvas = page.document.getElementById("frontier-chart");
      const ctx = canvas.getContext("2d");
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      const colors = new Set<string>();
      for (let i = 0; i < data.length; i += 4) {
        if ((data[i + 3] ?? 0) > 0) {
          inked++;
          colors.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
        }
      }
      const chart = page.orketChart;
      // The pixel under each valid point, where Chart.js says it drew it.
      const scale = page.devicePixelRatio;
      const points = chart.getDatasetMeta(0).data.map((el) => {
        const at = (Math.round(el.y * scale) * canvas.width + Math.round(el.x * scale)) * 4;
        return { r: data[at] ?? 0, g: data[at + 1] ?? 0, b: data[at + 2] ?? 0, a: data[at + 3] ?? 0 };
      });
      return {
        width: canvas.width,
        inked,
        colors: colors.size,
        points,
        datasets: chart.data.datasets.map((d) => ({
          label: d.label,
          tags: d.data.map((p) => p.tag ?? null),
        })),
      };
    });
    const png = join(dir, "sweep_report_frontier.png");
    await page.screenshot({ path: png, fullPage: true });
    console.log(`sweep report screenshot: ${png}`);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(drawn.width).toBeGreaterThan(300);
    // Axes, grid, points, lines and labels: a blank canvas has no ink, a failed draw a handful of pixels.
    expect(drawn.inked).toBeGreaterThan(5000);
    expect(drawn.colors).toBeGreaterThan(5);
    // Each valid point is painted in its blue where the chart placed it.
    expect(drawn.points).toHaveLength(4);
    for (const p of drawn.points) {
      expect(p.a).toBeGreaterThan(150);
      expect(p.r).toBeLessThan(60);
      expect(p.b).toBeGreaterThan(180);
    }
    expect(drawn.datasets).toEqual([
      { label: "quantizations (valid runs)", tags: ["q8_0", "q6_K", "q4_K_M", "q3_K_S"] },
      { label: "Pareto front", tags: ["q2_K", "q4_K_M", "q6_K", "q8_0"] },
      { label: "adherence threshold 0.9", tags: [null, null] },
      { label: "latency ceiling 2 s", tags: [null, null] },
      { label: EXCLUDED_LABEL, tags: ["q2_K"] },
    ]);
    expect(existsSync(png)).toBe(true);
    // No two point labels overlap (q6_K and q8_0 sit close together on this chart).
    const boxes: Array<{ x: number; y: number; w: number; h: number; tag: string }> =
      await page.evaluate("window.orketLabelBoxes");
    expect(boxes.map((b) => b.tag).sort()).toEqual(["q2_K", "q3_K_S", "q4_K_M", "q6_K", "q8_0"]);
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.tag} and ${b.tag}`).toBe(false);
      }
    }
    // The page leads with its answer: the recommendation, then the frontier with its chart, then the rows.
    const headings: string[] = await page.evaluate(
      "[...document.querySelectorAll('h2')].map((h) => h.textContent)",
    );
    expect(headings.slice(0, 3)).toEqual(["Recommendation", "Efficiency frontier", "Quantizations"]);
    await page.close();
  }, 60_000);

  it("leaves the invalid row and its legend entry out without includeInvalid", async () => {
    const { page, errors } = await open(false);
    const labels = await page.evaluate(() =>
      (globalThis as unknown as Page).orketChart.data.datasets.map((d) => d.label),
    );
    expect(errors).toEqual([]);
    expect(labels).not.toContain(EXCLUDED_LABEL);
    expect(await page.locator(".unplotted").textContent()).toMatch(/q2_K: invalid .*HOT_START/);
    await page.close();
  }, 60_000);
});
