/**
 * The sweep report's two renderings: what the markdown and the HTML say, that user text (model refs,
 * tags) is escaped in both, that unknowns show as "—" with their reason in a footnote, and that
 * `includeInvalid` adds the invalid rows' points to the chart and changes nothing else.
 */
import { describe, expect, it } from "vitest";
import { sweepSummary, testRun } from "../../test/support/lab-fixtures.js";
import { escapeMarkdown, renderSweepReport } from "./sweep-report.js";
import { EXCLUDED_LABEL, type FrontierChart } from "./sweep-report-html.js";

const runs = (adherence: number | null, total: number, reasons: string[] = []) => [
  testRun({ task: "a", index: 0, adherence, total, reasons }),
  testRun({ task: "a", index: 1, adherence, total, reasons }),
];

const HOSTILE_REF = "ollama/<script>alert(1)</script>|*x*";
const HOSTILE_TAG = "</script><img src=x onerror=alert(2)>";

const summary = sweepSummary([
  { tag: "q8_0", runs: runs(1, 2.5), size: 8_000_000_000 },
  { tag: "q4_K_M", runs: runs(0.9, 1.2), size: 4_500_000_000 },
  { tag: "q2_K", runs: runs(1, 0.4, ["HOT_START"]), size: 2_800_000_000 },
  { tag: HOSTILE_TAG, runs: runs(null, 1), size: null, modelRef: HOSTILE_REF },
]);

function chartData(html: string): FrontierChart & { includeInvalid: boolean } {
  const json = /<script type="application\/json" id="orket-chart-data">(.*?)<\/script>/s.exec(html)?.[1];
  return JSON.parse(json ?? "null");
}

describe("renderSweepReport: markdown", () => {
  const { markdown } = renderSweepReport(summary);

  it("has every section, the rows table and the frontier", () => {
    for (const heading of [
      "# Orket quant sweep: ollama/qwen2.5-coder:7b",
      "## Hardware",
      "## Settings",
      "## Canary",
      "## Quantizations",
      "## Efficiency frontier",
      "## Recommendation",
      "## Stability KPIs",
      "## Guard decisions",
      "## Notes",
    ])
      expect(markdown).toContain(heading);
    expect(markdown).toContain(
      "| quant | model | size | adherence | pass rate | median total | median first token | decode tok/s | peak RSS | status | valid/test runs |",
    );
    expect(markdown).toContain(
      "| q4_K_M | ollama/qwen2.5-coder:7b-q4_K_M | 4.19 GiB | 0.900 | 1.000 | 1.200 s | 0.050 s | 100.0 | 512.0 MiB | CLEAN | 2/2 |",
    );
    expect(markdown).toContain("| best value | q4_K_M |");
    expect(markdown).toContain("| fingerprint | abc123 |");
    expect(markdown).toContain("| POLLUTED: HOT_START (invalid: excluded) | 0/2 |");
  });

  it("shows unknowns as — with the reason in a footnote, one note per reason", () => {
    const q2 = markdown.split("\n").find((l) => l.startsWith("| q2_K |")) ?? "";
    const note = /—\[\^(\d+)\]/.exec(q2)?.[1];
    expect(note).toBeDefined();
    expect(q2.match(/—\[\^\d+\]/g)).toHaveLength(6);
    expect(markdown).toContain(`[^${note}]: no valid run: 2 made, all excluded (HOT_START)`);
    expect(markdown).toMatch(/commit —\[\^1\]/);
    expect(markdown).toContain("[^1]: not a git checkout");
    expect(markdown).toMatch(/\[\^\d+\]: no code was produced: no fence/);
  });

  it("escapes model refs and tags", () => {
    expect(markdown).not.toContain("<script>");
    expect(markdown).toContain("ollama/\\<script\\>alert(1)\\</script\\>\\|\\*x\\*");
    expect(escapeMarkdown("a|b\nc_d _e_")).toBe("a\\|b c_d \\_e\\_");
  });
});

describe("renderSweepReport: a context sweep", () => {
  it("labels rows by context size and shows the safe context ceiling", () => {
    const context = structuredClone(summary);
    context.kind = "context";
    context.rows = context.rows
      .slice(0, 2)
      .map((row, i) => ({ ...row, quant_tag: String(4096 * (i + 1)), context_size: 4096 * (i + 1) }));
    context.safe_context_ceiling = {
      context_size: null,
      adherence_floor: 0.95,
      first_token_ceiling: 0.5,
      decode_floor: null,
      reason: "No context size meets every limit.",
    };
    const { markdown, html } = renderSweepReport(context);
    expect(markdown).toContain("## Context sizes");
    expect(markdown).toContain("| context | model |");
    expect(markdown).toMatch(/^\| 8192 \| /m);
    expect(markdown).toContain("## Safe context ceiling");
    expect(markdown).toMatch(/\| context size \| —\[\^(\d+)\] \|/);
    expect(markdown).toMatch(/\[\^\d+\]: No context size meets every limit\./);
    expect(chartData(html).valid.map((p) => p.tag)).toEqual(["4096", "8192"]);
    expect(html).toContain('"validLabel":"context sizes (valid runs)"');
  });
});

describe("renderSweepReport: HTML", () => {
  const { html } = renderSweepReport(summary);

  it("is one self-contained page: Chart.js and CSS inline, nothing loaded from anywhere", () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("Chart.js v4");
    expect(html).toContain("default-src 'none'");
    // No external script, stylesheet, font, image or frame: the only tags that load are inline.
    const loaders = html.match(/<(script|link|img|iframe|object|embed)\b[^>]*>|@import|url\(/g) ?? [];
    expect(loaders).toEqual([
      '<script type="application/json" id="orket-chart-data">',
      "<script>",
      "<script>",
    ]);
  });

  it("has the same tables as the markdown, with notes", () => {
    expect(html).toContain("<th>median first token</th>");
    expect(html).toContain(
      "<td>q4_K_M</td><td>ollama/qwen2.5-coder:7b-q4_K_M</td><td>4.19 GiB</td><td>0.900</td>",
    );
    expect(html).toContain('—<sup><a href="#note-1">1</a></sup>');
    expect(html).toContain('<li id="note-1">not a git checkout</li>');
    expect(html).toContain("<h2>Recommendation</h2>");
  });

  it("escapes user text in the tables, the list under the chart and the chart data", () => {
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("ollama/&#60;script&#62;alert(1)&#60;/script&#62;|*x*");
    expect(html).toContain("&#60;/script&#62;&#60;img src=x onerror=alert(2)&#62;");
    const data = chartData(html);
    expect(data.unplotted.map((u) => u.tag)).toContain(HOSTILE_TAG);
  });

  it("lists rows it cannot plot, with why", () => {
    const data = chartData(html);
    expect(data.unplotted).toEqual([
      {
        tag: "q2_K",
        why: "invalid (POLLUTED: HOT_START, 0/2 runs counted); shown only with include-invalid",
      },
      { tag: HOSTILE_TAG, why: "adherence unknown: no code was produced: no fence" },
    ]);
    expect(html).toContain("Not on the chart:");
  });

  it("includeInvalid adds the invalid rows' points and legend entry, and nothing else", () => {
    const shown = renderSweepReport(summary, { includeInvalid: true });
    const hidden = chartData(html);
    const all = chartData(shown.html);
    expect(hidden.includeInvalid).toBe(false);
    expect(all.includeInvalid).toBe(true);
    expect(all.valid).toEqual(hidden.valid);
    expect(hidden.invalid).toEqual([]);
    expect(all.invalid).toEqual([{ tag: "q2_K", x: 0.4, y: 1 }]);
    expect(all.threshold).toBe(hidden.threshold);
    expect(all.ceiling).toBe(hidden.ceiling);
    // The Pareto view follows what is shown: q2_K (faster, as adherent) dominates when it is shown.
    expect(hidden.pareto.map((p) => p.tag)).toEqual(["q4_K_M", "q8_0"]);
    expect(all.pareto.map((p) => p.tag)).toEqual(["q2_K"]);
    expect(shown.markdown).toBe(renderSweepReport(summary).markdown);
    const tables = (page: string) => page.slice(0, page.indexOf('<figure class="chart">'));
    expect(tables(shown.html)).toBe(tables(html));
    expect(html).toContain("data.excludedLabel");
    expect(shown.html).toContain(`"excludedLabel":"${EXCLUDED_LABEL}"`);
  });
});
