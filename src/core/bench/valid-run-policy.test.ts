/**
 * The report rules of the valid-run policy: a report with CLEAN, POLLUTED and errored runs passes every
 * rule as the bench writes it, its polluted runs cannot move a KPI however wild their numbers, and each
 * rule fails, by name, on the one tampering it exists to catch.
 */
import { describe, expect, it } from "vitest";
import { reportOf, testRun } from "../../../test/support/lab-fixtures.js";
import type { Report } from "../../spec/report.js";
import {
  firstDifference,
  isSortedUnique,
  isValidRun,
  kpiExcludesPolluted,
  recomputeReportSummary,
  reportRules,
} from "./valid-run-policy.js";

function mixed(pollutedLatency = 50): Report {
  return reportOf([
    testRun({ task: "a", index: 0, total: 1, adherence: 1 }),
    testRun({ task: "a", index: 1, total: 2, adherence: 0.5, hash: "other" }),
    testRun({
      task: "a",
      index: 2,
      total: pollutedLatency,
      adherence: 0,
      outcome: "fail",
      reasons: ["HOT_START"],
    }),
    testRun({ task: "b", index: 0, total: 3, outcome: "fail", adherence: null }),
    testRun({ task: "b", index: 1, total: 0.5, outcome: "error", adherence: null, init: null }),
    testRun({
      task: "b",
      index: 2,
      total: pollutedLatency * 2,
      reasons: ["COLD_MODEL_LOAD", "HIGH_SYSTEM_LOAD"],
      tps: 1,
    }),
  ]);
}

const clone = (r: Report): Report => structuredClone(r);
const rule = (report: Report, name: string) => reportRules(report, isValidRun).find((r) => r.rule === name);

describe("kpi_excludes_polluted", () => {
  it("passes every rule on a report the bench summarized", () => {
    const results = reportRules(mixed(), isValidRun);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.map((r) => r.rule)).toEqual([
      "lane_and_profile_on_every_run",
      "token_status_canonical",
      "overhead_fields_present",
      "polluted_runs_have_reasons",
      "reasons_sorted_unique",
      "nulls_have_reasons",
      "kpi_excludes_polluted",
    ]);
  });

  it("gives the KPIs of the valid runs alone: polluted runs do not move them", () => {
    const summary = recomputeReportSummary(mixed(), isValidRun);
    expect(summary).toMatchObject({
      test_runs: 6,
      valid_runs: 3,
      invalid_runs: 3,
      outcomes: { pass: 3, fail: 2, error: 1 },
      pass_rate: 0.667,
      mean_adherence: 0.75,
      median_total_latency: 2,
      median_generation_tokens_per_second: 100,
    });
    // Whatever the polluted runs measured, the KPIs stay the same.
    const wild = recomputeReportSummary(mixed(10_000), isValidRun);
    const kpis = (s: Report["summary"]) => ({ ...s, tasks: s.tasks.map(({ determinism_rate, ...t }) => t) });
    expect(kpis(wild)).toEqual(kpis(summary));
    // And they equal the summary of a report that never had the excluded runs.
    const onlyValid = reportOf(mixed().test_runs.filter(isValidRun));
    const { test_runs, valid_runs, invalid_runs, outcomes, tasks, ...rates } = summary;
    const {
      test_runs: _a,
      valid_runs: _b,
      invalid_runs: _c,
      outcomes: _d,
      tasks: _e,
      ...validRates
    } = onlyValid.summary;
    expect(rates).toEqual(validRates);
  });

  it("fails when a polluted run was counted in the aggregates, naming the field", () => {
    const report = mixed();
    // The summary a careless writer would produce: every run counted.
    const counted = reportOf(
      report.test_runs.map((r) => ({
        ...r,
        outcome: r.outcome === "error" ? "fail" : r.outcome,
        telemetry: { ...r.telemetry, run_quality_status: "CLEAN" as const, run_quality_reasons: [] },
      })),
    );
    const tampered = { ...report, summary: counted.summary };
    const result = kpiExcludesPolluted(tampered, isValidRun);
    expect(result.passed).toBe(false);
    expect(result.detail).toMatch(/^summary\.valid_runs is 6, the valid runs give 3/);
    expect(result.detail).toMatch(/3 excluded run\(s\): a#2 POLLUTED, b#1 error, b#2 POLLUTED/);
  });

  it("fails on one nudged median, and on a pass@k beyond the valid runs", () => {
    const nudged = clone(mixed());
    nudged.summary.median_total_latency = 2.001;
    expect(kpiExcludesPolluted(nudged, isValidRun).detail).toMatch(
      /summary\.median_total_latency is 2\.001, the valid runs give 2/,
    );
    const extraK = clone(mixed());
    (extraK.summary.tasks[0] as { pass_at_k: Record<string, number> }).pass_at_k["3"] = 1;
    expect(kpiExcludesPolluted(extraK, isValidRun).detail).toMatch(
      /summary\.tasks\[0\]\.pass_at_k has k = 3/,
    );
  });
});

describe("each report rule fails on what it guards", () => {
  it("lane_and_profile_on_every_run", () => {
    const r = clone(mixed());
    (r.test_runs[1] as Report["test_runs"][number]).telemetry.execution_lane = "lab";
    expect(rule(r, "lane_and_profile_on_every_run")).toMatchObject({
      passed: false,
      detail: "a#1: telemetry says lab/safe, the report ci/safe",
    });
  });

  it("token_status_canonical", () => {
    const r = clone(mixed());
    const m = (r.test_runs[4] as Report["test_runs"][number]).telemetry.token_metrics;
    m.status = "OK";
    expect(rule(r, "token_status_canonical")?.detail).toBe(
      "b#1: status OK, its counts and timings say TOKEN_AND_TIMING_UNAVAILABLE",
    );
    const t = clone(mixed());
    (t.test_runs[0] as Report["test_runs"][number]).telemetry.token_metrics.counts.total_tokens = 151;
    expect(rule(t, "token_status_canonical")?.detail).toBe("a#0: total_tokens 151, prompt + output give 150");
  });

  it("overhead_fields_present, on failure runs too", () => {
    const r = clone(mixed());
    (r.test_runs[3] as Report["test_runs"][number]).telemetry.orchestration_overhead_ratio = null;
    expect(rule(r, "overhead_fields_present")).toMatchObject({
      passed: false,
      detail: "b#0 (fail): orchestration_overhead_ratio is null though the run took 3 s",
    });
    const missing = clone(mixed()) as unknown as { test_runs: Array<{ telemetry: Record<string, unknown> }> };
    delete missing.test_runs[0]?.telemetry.internal_model_seconds;
    expect(rule(missing as unknown as Report, "overhead_fields_present")?.detail).toBe(
      "a#0 (pass): internal_model_seconds missing",
    );
  });

  it("polluted_runs_have_reasons, both ways", () => {
    const r = clone(mixed());
    (r.test_runs[2] as Report["test_runs"][number]).telemetry.run_quality_reasons = [];
    expect(rule(r, "polluted_runs_have_reasons")?.detail).toBe("a#2: POLLUTED without a reason");
    const c = clone(mixed());
    (c.test_runs[0] as Report["test_runs"][number]).telemetry.run_quality_reasons = ["HOT_START"];
    expect(rule(c, "polluted_runs_have_reasons")?.detail).toBe("a#0: CLEAN but has reasons HOT_START");
  });

  it("reasons_sorted_unique", () => {
    const r = clone(mixed());
    (r.test_runs[5] as Report["test_runs"][number]).telemetry.run_quality_reasons = [
      "HIGH_SYSTEM_LOAD",
      "COLD_MODEL_LOAD",
    ];
    expect(rule(r, "reasons_sorted_unique")?.passed).toBe(false);
    expect(isSortedUnique(["A", "A"])).toBe(false);
    expect(isSortedUnique(["A", "B"])).toBe(true);
  });

  it("nulls_have_reasons", () => {
    const r = clone(mixed());
    (r.test_runs[4] as Report["test_runs"][number]).telemetry.null_reasons = {};
    expect(rule(r, "nulls_have_reasons")).toMatchObject({
      passed: false,
      detail: "b#1: init_latency is unknown without a null reason (and 2 more)",
    });
  });
});

describe("firstDifference", () => {
  it("ignores fields only the report has, and names list length changes", () => {
    expect(firstDifference({ a: 1 }, { a: 1, extra: true }, "s")).toBeNull();
    expect(firstDifference([1], [1, 2], "s.tasks")).toBe("s.tasks has 2 entries, the valid runs give 1");
    expect(firstDifference({ a: null }, {}, "s")).toBe("s.a is missing, the valid runs give null");
  });
});
