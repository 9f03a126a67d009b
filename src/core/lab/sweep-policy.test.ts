/**
 * The sweep rules of the valid-run policy over a summary the lab's own functions computed (with one
 * invalid, POLLUTED row): it passes with and without its reports, and each rule fails by name on the
 * tampering it exists to catch.
 */
import { describe, expect, it } from "vitest";
import { guard, type RowSpec, reportOf, sweepSummary, testRun } from "../../../test/support/lab-fixtures.js";
import type { SweepRow, SweepSummary } from "../../spec/lab.js";
import type { Report } from "../../spec/report.js";
import { isValidRun } from "../bench/valid-run-policy.js";
import { safeContextCeiling } from "./frontier.js";
import { names, type RowReport, sweepRules } from "./sweep-policy.js";

const runs = (adherence: number, total: number, reasons: string[] = []) => [
  testRun({ task: "a", index: 0, adherence, total, reasons }),
  testRun({ task: "a", index: 1, adherence, total, reasons }),
  testRun({
    task: "b",
    index: 0,
    adherence,
    total: total + 0.2,
    reasons,
    outcome: adherence < 0.8 ? "fail" : "pass",
  }),
];

const SPECS: RowSpec[] = [
  { tag: "q8_0", runs: runs(1, 2.5), size: 8_000_000_000, guards: [guard("pass", "AT_TARGET")] },
  { tag: "q4_K_M", runs: runs(0.9, 1.2), size: 4_500_000_000, guards: [guard("pass", "AT_TARGET")] },
  { tag: "q3_K_S", runs: runs(0.6, 1), size: 3_500_000_000, guards: [guard("pass", "AT_TARGET")] },
  {
    tag: "q2_K",
    runs: runs(1, 0.4, ["HOT_START"]),
    size: 2_800_000_000,
    guards: [guard("pass", "AT_TARGET")],
  },
];

function fixture(options: Parameters<typeof sweepSummary>[1] = {}) {
  const summary = sweepSummary(SPECS, options);
  const reports = new Map<string, Report>(
    SPECS.map((spec, i) => [
      summary.rows[i]?.report_path ?? "",
      reportOf(spec.runs, summary.rows[i]?.model_ref),
    ]),
  );
  return { summary, reports };
}

function judge(summary: SweepSummary, reports?: Map<string, Report | string>) {
  const reportOf = reports
    ? (row: SweepRow): RowReport => {
        const found = reports.get(row.report_path ?? "");
        if (found === undefined) return { error: "missing" };
        return typeof found === "string" ? { error: found } : { report: found };
      }
    : undefined;
  return sweepRules({ summary, isValid: isValidRun, ...(reportOf ? { reportOf } : {}) });
}

const failed = (results: ReturnType<typeof judge>) => results.filter((r) => !r.passed);
const rule = (results: ReturnType<typeof judge>, name: string) => results.find((r) => r.rule === name);

describe("a consistent sweep", () => {
  it("passes every rule with its reports and without them", () => {
    const { summary, reports } = fixture();
    expect(summary.rows.map((r) => r.valid)).toEqual([true, true, true, false]);
    expect(summary.efficiency_frontier.best_value_quant).toBe("q4_K_M");
    expect(failed(judge(summary, reports))).toEqual([]);
    expect(rule(judge(summary, reports), "kpis_from_valid_runs")?.detail).toMatch(/all four KPIs recomputed/);
    expect(failed(judge(summary))).toEqual([]);
    expect(rule(judge(summary), "every_quant_ran")?.detail).toMatch(/reports not loaded/);
  });

  it("lets the recommendation name an invalid row only to say it was left out", () => {
    const { summary } = fixture();
    expect(summary.recommendation).toMatch(/q2_K had no valid run/);
    expect(rule(judge(summary), "invalid_rows_not_recommended")?.passed).toBe(true);
  });

  it("accepts invalid rows in the Pareto view with include-invalid", () => {
    const { summary, reports } = fixture({ includeInvalid: true });
    expect(summary.efficiency_frontier.pareto).toContain("q2_K");
    expect(failed(judge(summary, reports))).toEqual([]);
  });
});

describe("each sweep rule fails on what it guards", () => {
  it("every_quant_ran: a row whose report ran another model, or made no runs, or has no report", () => {
    const { summary, reports } = fixture();
    const other = structuredClone(reports);
    const path = summary.rows[1]?.report_path ?? "";
    other.set(path, reportOf(SPECS[1]?.runs ?? [], "ollama/qwen2.5-coder:7b-q8_0"));
    expect(rule(judge(summary, other), "every_quant_ran")?.detail).toBe(
      "q4_K_M: its report ran ollama/qwen2.5-coder:7b-q8_0, the row names ollama/qwen2.5-coder:7b-q4_K_M",
    );
    const gone = new Map<string, Report | string>(reports);
    gone.set(path, "the file does not exist or cannot be read");
    expect(rule(judge(summary, gone), "every_quant_ran")?.detail).toMatch(
      /^q4_K_M: report .* does not exist/,
    );
    const twin = structuredClone(summary);
    (twin.rows[2] as SweepRow).model_ref = twin.rows[0]?.model_ref ?? "";
    expect(rule(judge(twin), "every_quant_ran")?.detail).toMatch(/q3_K_S and q8_0 both ran model/);
    const named = structuredClone(summary);
    named.settings.targets = [{ label: "q5_K_M", model_ref: "ollama/x" }];
    expect(rule(judge(named), "every_quant_ran")?.detail).toBe(
      "q5_K_M: named in settings.targets but has no row",
    );
  });

  it("rows_aggregate_valid_runs_only: a row that counted its polluted runs", () => {
    const { summary, reports } = fixture();
    const tampered = structuredClone(summary);
    const row = tampered.rows[3] as SweepRow;
    Object.assign(row, { adherence_score: 1, total_latency: 0.4, valid: true, valid_runs: 3 });
    const results = judge(tampered, reports);
    expect(rule(results, "rows_aggregate_valid_runs_only")).toMatchObject({
      passed: false,
      detail: "q2_K: POLLUTED with 3 of 3 runs counted (and 1 more)",
    });
    // Against its report: the aggregate departs from the valid runs.
    const nudged = structuredClone(summary);
    (nudged.rows[0] as SweepRow).total_latency = 2.4;
    expect(rule(judge(nudged, reports), "rows_aggregate_valid_runs_only")?.detail).toBe(
      "q8_0.total_latency is 2.4, its report's valid runs give 2.5",
    );
  });

  it("invalid_rows_not_recommended: a pick or a recommendation naming an invalid row", () => {
    const { summary } = fixture();
    const picked = structuredClone(summary);
    picked.efficiency_frontier.best_value_quant = "q2_K";
    expect(rule(judge(picked), "invalid_rows_not_recommended")?.detail).toMatch(
      /^best_value_quant names q2_K, which has no valid run/,
    );
    const said = structuredClone(summary);
    said.recommendation = "Use q2_K: adherence 1.00 at 0.400 s median.";
    expect(rule(judge(said), "invalid_rows_not_recommended")?.detail).toBe(
      'the recommendation names invalid row q2_K: "Use q2_K: adherence 1.00 at 0.400 s median"',
    );
  });

  it("frontier_consistent and kpis_from_valid_runs", () => {
    const { summary, reports } = fixture();
    const moved = structuredClone(summary);
    moved.efficiency_frontier.minimum_viable_quant = "q8_0";
    moved.efficiency_frontier.pareto = ["q8_0"];
    expect(rule(judge(moved), "frontier_consistent")?.detail).toBe(
      "efficiency_frontier.minimum_viable_quant is q8_0, the rows give q4_K_M (and 1 more)",
    );
    const kpis = structuredClone(summary);
    kpis.stability_kpis.polluted_run_rate = 0;
    expect(rule(judge(kpis, reports), "kpis_from_valid_runs")?.detail).toBe(
      "stability_kpis.polluted_run_rate is 0, the runs give 0.25",
    );
    expect(rule(judge(kpis), "kpis_from_valid_runs")?.passed).toBe(true);
    kpis.stability_kpis.frontier_success_rate = 1;
    expect(rule(judge(kpis), "kpis_from_valid_runs")?.detail).toBe(
      "stability_kpis.frontier_success_rate is 1, the valid rows give 0.667",
    );
  });

  it("guards_recorded: required in the lab lane on a GPU, and a failed guard must pollute its row", () => {
    const { summary } = fixture({ lane: "lab" });
    expect(rule(judge(summary), "guards_recorded")?.passed).toBe(true);
    const bare = structuredClone(summary);
    (bare.rows[1] as SweepRow).guards = [];
    expect(rule(judge(bare), "guards_recorded")?.detail).toBe(
      "q4_K_M: no guard decision recorded in the lab lane",
    );
    bare.hardware_fingerprint.gpu_backend = "cpu";
    expect(rule(judge(bare), "guards_recorded")?.passed).toBe(true);
    const ignored = structuredClone(summary);
    (ignored.rows[0] as SweepRow).guards = [guard("fail", "COOLDOWN_TIMEOUT")];
    expect(rule(judge(ignored), "guards_recorded")?.detail).toBe(
      "q8_0: failed guard thermal/cooldown did not pollute the row (COOLDOWN_TIMEOUT)",
    );
  });
});

describe("a context sweep", () => {
  function contextSweep(): SweepSummary {
    const summary = sweepSummary(
      SPECS.slice(0, 3).map((spec, i) => ({
        ...spec,
        tag: String(2048 * 2 ** i),
        modelRef: "ollama/qwen2.5-coder:7b",
      })),
    );
    summary.kind = "context";
    summary.rows.forEach((row, i) => {
      row.context_size = 2048 * 2 ** i;
    });
    summary.safe_context_ceiling = safeContextCeiling(summary.rows, {
      adherenceFloor: 0.8,
      firstTokenCeiling: null,
      decodeFloor: null,
    });
    return summary;
  }

  it("allows one model at several sizes, but not one size twice, and recomputes the safe ceiling", () => {
    const summary = contextSweep();
    expect(summary.safe_context_ceiling?.context_size).toBe(4096);
    expect(failed(judge(summary))).toEqual([]);
    const twice = structuredClone(summary);
    (twice.rows[2] as SweepRow).context_size = 4096;
    expect(rule(judge(twice), "every_quant_ran")?.detail).toBe("8192 and 4096 both ran context 4096");
    const moved = structuredClone(summary);
    if (moved.safe_context_ceiling) moved.safe_context_ceiling.context_size = 8192;
    expect(rule(judge(moved), "frontier_consistent")?.detail).toBe(
      "safe_context_ceiling.context_size is 8192, the rows give 4096",
    );
  });
});

describe("names", () => {
  it("matches a tag as a word of its own", () => {
    expect(names("Use q4_K_M: fast", "q4_K_M")).toBe(true);
    expect(names("Use q4_K_M: fast", "q4_K")).toBe(false);
    expect(names("ollama/qwen:7b-q4_0 is fine", "q4_0")).toBe(false);
    expect(names("context 4096 tokens", "4096")).toBe(true);
  });
});
