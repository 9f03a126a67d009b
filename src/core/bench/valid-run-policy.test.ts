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
  laneAndProfileOnEveryRun,
  nullsHaveReasons,
  overheadFieldsPresent,
  pollutedRunsHaveReasons,
  reasonsSortedUnique,
  recomputeReportSummary,
  reportRules,
  tokenStatusCanonical,
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

type Run = Report["test_runs"][number];
const runAt = (r: Report, i: number): Run => r.test_runs[i] as Run;
const looseTelemetry = (r: Report, i: number) => runAt(r, i).telemetry as unknown as Record<string, unknown>;

describe("each report rule's verdict and detail", () => {
  it("states what it checked when every rule passes", () => {
    expect(reportRules(mixed(), isValidRun)).toEqual([
      { rule: "lane_and_profile_on_every_run", passed: true, detail: "6 runs in lane ci, profile safe" },
      {
        rule: "token_status_canonical",
        passed: true,
        detail: "every token status matches its counts and timings",
      },
      {
        rule: "overhead_fields_present",
        passed: true,
        detail: "overhead fields present on every success and failure run",
      },
      { rule: "polluted_runs_have_reasons", passed: true, detail: "2 POLLUTED runs, each with its reasons" },
      { rule: "reasons_sorted_unique", passed: true, detail: "every run's reasons are sorted and unique" },
      { rule: "nulls_have_reasons", passed: true, detail: "every unknown measure has a reason" },
      {
        rule: "kpi_excludes_polluted",
        passed: true,
        detail: "summary matches the 3 valid runs (3 excluded run(s): a#2 POLLUTED, b#1 error, b#2 POLLUTED)",
      },
    ]);
  });

  it("lane_and_profile_on_every_run catches a run in another VRAM profile", () => {
    const r = clone(mixed());
    runAt(r, 3).telemetry.vram_profile = "stress";
    expect(laneAndProfileOnEveryRun(r)).toEqual({
      rule: "lane_and_profile_on_every_run",
      passed: false,
      detail: "b#0: telemetry says ci/stress, the report ci/safe",
    });
  });

  it("token_status_canonical takes one missing count or one missing timing as unknown", () => {
    const r = clone(mixed());
    const set = (i: number, edit: (m: Run["telemetry"]["token_metrics"]) => void) =>
      edit(runAt(r, i).telemetry.token_metrics);
    set(0, (m) => {
      m.counts.prompt_tokens = null;
      m.counts.total_tokens = null;
      m.status = "TOKEN_COUNT_UNAVAILABLE";
    });
    set(1, (m) => {
      m.counts.output_tokens = null;
      m.counts.total_tokens = null;
      m.status = "TOKEN_COUNT_UNAVAILABLE";
    });
    set(2, (m) => {
      m.latencies.prefill_seconds = null;
      m.status = "TIMING_UNAVAILABLE";
    });
    set(3, (m) => {
      m.latencies.decode_seconds = null;
      m.status = "TIMING_UNAVAILABLE";
    });
    for (const i of [0, 1, 2, 3]) runAt(r, i).telemetry.null_reasons.token_metrics = "partly unknown";
    expect(tokenStatusCanonical(r)).toEqual({
      rule: "token_status_canonical",
      passed: true,
      detail: "every token status matches its counts and timings",
    });
    expect(nullsHaveReasons(r).passed).toBe(true);

    const claimsOk = clone(r);
    runAt(claimsOk, 1).telemetry.token_metrics.status = "OK";
    runAt(claimsOk, 3).telemetry.token_metrics.status = "OK";
    expect(tokenStatusCanonical(claimsOk)).toEqual({
      rule: "token_status_canonical",
      passed: false,
      detail: "a#1: status OK, its counts and timings say TOKEN_COUNT_UNAVAILABLE (and 1 more)",
    });
  });

  it("overhead_fields_present wants total_latency on every run, the rest only on runs that did not error", () => {
    const errored = clone(mixed());
    delete looseTelemetry(errored, 4).internal_model_seconds;
    looseTelemetry(errored, 4).orchestration_overhead_ratio = null;
    delete looseTelemetry(errored, 4).run_quality_reasons;
    expect(overheadFieldsPresent(errored).passed).toBe(true);
    delete looseTelemetry(errored, 4).total_latency;
    expect(overheadFieldsPresent(errored)).toEqual({
      rule: "overhead_fields_present",
      passed: false,
      detail: "b#1 (error): total_latency missing",
    });

    const noReasons = clone(mixed());
    delete looseTelemetry(noReasons, 3).run_quality_reasons;
    expect(overheadFieldsPresent(noReasons).detail).toBe("b#0 (fail): run_quality_reasons missing");

    const noTotal = clone(mixed());
    delete looseTelemetry(noTotal, 0).total_latency;
    expect(overheadFieldsPresent(noTotal).detail).toBe("a#0 (pass): total_latency missing");
  });

  it("overhead_fields_present accepts a null overhead ratio on a run that took no time", () => {
    const r = clone(mixed());
    runAt(r, 0).telemetry.total_latency = 0;
    runAt(r, 0).telemetry.orchestration_overhead_ratio = null;
    expect(overheadFieldsPresent(r).passed).toBe(true);
  });

  it("polluted_runs_have_reasons lists every reason of a CLEAN run", () => {
    const r = clone(mixed());
    runAt(r, 1).telemetry.run_quality_reasons = ["COLD_MODEL_LOAD", "HOT_START"];
    expect(pollutedRunsHaveReasons(r)).toEqual({
      rule: "polluted_runs_have_reasons",
      passed: false,
      detail: "a#1: CLEAN but has reasons COLD_MODEL_LOAD, HOT_START",
    });
  });

  it("reasons_sorted_unique names the run and its reasons", () => {
    const r = clone(mixed());
    runAt(r, 5).telemetry.run_quality_reasons = ["HIGH_SYSTEM_LOAD", "COLD_MODEL_LOAD"];
    expect(reasonsSortedUnique(r)).toEqual({
      rule: "reasons_sorted_unique",
      passed: false,
      detail: "b#2: reasons [HIGH_SYSTEM_LOAD, COLD_MODEL_LOAD] are not sorted and unique",
    });
  });

  it("nulls_have_reasons covers an unknown peak memory", () => {
    const r = clone(mixed());
    runAt(r, 0).telemetry.peak_memory_rss = null;
    expect(nullsHaveReasons(r)).toEqual({
      rule: "nulls_have_reasons",
      passed: false,
      detail: "a#0: peak_memory_rss is unknown without a null reason",
    });
    runAt(r, 0).telemetry.null_reasons.peak_memory_rss = "the server's process is not known";
    expect(nullsHaveReasons(r).passed).toBe(true);
  });
});

describe("the summary the valid runs give", () => {
  it("takes the first-token median only over runs whose prompt was not served from the cache", () => {
    const r = clone(mixed());
    runAt(r, 0).telemetry.init_latency = 0.01;
    runAt(r, 0).telemetry.prefill_quality = { status: "POLLUTED", reasons: ["PROMPT_CACHE_HIT"] };
    runAt(r, 1).telemetry.init_latency = 0.2;
    runAt(r, 3).telemetry.init_latency = 0.4;
    runAt(r, 3).telemetry.prefill_quality = { status: "CLEAN", reasons: [] };
    const summary = recomputeReportSummary(r, isValidRun);
    expect(summary.valid_runs).toBe(3);
    expect(summary.prefill_valid_runs).toBe(2);
    expect(summary.median_init_latency).toBe(0.3);
  });

  it("lists the tasks in the settings' order, then any others run, and none that never ran", () => {
    const r = clone(mixed());
    r.settings.task_ids = ["zzz", "b"];
    expect(recomputeReportSummary(r, isValidRun).tasks.map((t) => t.task_id)).toEqual(["b", "a"]);
    r.settings.task_ids = [];
    expect(recomputeReportSummary(r, isValidRun).tasks.map((t) => t.task_id)).toEqual(["a", "b"]);
  });

  it("takes each task's language and tier from the report's own task list", () => {
    const r = clone(mixed());
    r.summary.tasks = r.summary.tasks.map((t) =>
      t.task_id === "b" ? { ...t, language: "rust", tier: 3 } : { ...t, language: "go", tier: 2 },
    );
    const tasks = recomputeReportSummary(r, isValidRun).tasks;
    expect(tasks.map((t) => [t.task_id, t.language, t.tier])).toEqual([
      ["a", "go", 2],
      ["b", "rust", 3],
    ]);
    r.summary.tasks = [];
    const bare = recomputeReportSummary(r, isValidRun).tasks;
    expect(bare.map((t) => [t.task_id, t.language, t.tier])).toEqual([
      ["a", "(missing)", -1],
      ["b", "(missing)", -1],
    ]);
  });

  it("gives the determinism rate as the share of the most common output", () => {
    const r = reportOf([
      testRun({ task: "d", index: 0, hash: "x" }),
      testRun({ task: "d", index: 1, hash: "x" }),
      testRun({ task: "d", index: 2, hash: "y" }),
    ]);
    const [task] = recomputeReportSummary(r, isValidRun).tasks;
    expect(task).toMatchObject({
      distinct_outputs: 2,
      determinism_rate: 0.667,
      pass_at_k: { 1: 1, 2: 1, 3: 1 },
    });
  });

  it("leaves every rate null when no run is valid", () => {
    const r = reportOf([
      testRun({ task: "p", index: 0, reasons: ["HOT_START"] }),
      testRun({ task: "p", index: 1, outcome: "error", adherence: null }),
    ]);
    const summary = recomputeReportSummary(r, isValidRun);
    expect(summary).toMatchObject({ valid_runs: 0, invalid_runs: 2, pass_rate: null });
    expect(summary.tasks[0]).toMatchObject({
      runs: 2,
      valid_runs: 0,
      success_rate: null,
      pass_at_k: {},
      determinism_rate: null,
    });
  });
});

describe("kpi_excludes_polluted's detail", () => {
  it("says so when no run was excluded", () => {
    const r = reportOf([testRun({ task: "a", index: 0 }), testRun({ task: "a", index: 1 })]);
    expect(kpiExcludesPolluted(r, isValidRun)).toEqual({
      rule: "kpi_excludes_polluted",
      passed: true,
      detail: "summary matches the 2 valid runs (no run excluded)",
    });
  });

  it("lists the first three excluded runs and marks any beyond them", () => {
    const r = reportOf([
      testRun({ task: "a", index: 0 }),
      testRun({ task: "a", index: 1, reasons: ["HOT_START"] }),
      testRun({ task: "a", index: 2, outcome: "error", adherence: null }),
      testRun({ task: "a", index: 3, reasons: ["HIGH_SYSTEM_LOAD"] }),
      testRun({ task: "a", index: 4, reasons: ["COLD_MODEL_LOAD"] }),
    ]);
    expect(kpiExcludesPolluted(r, isValidRun).detail).toBe(
      "summary matches the 1 valid runs (4 excluded run(s): a#1 POLLUTED, a#2 error, a#3 POLLUTED, ...)",
    );
    const nudged = clone(r);
    nudged.summary.pass_rate = 0.5;
    expect(kpiExcludesPolluted(nudged, isValidRun)).toEqual({
      rule: "kpi_excludes_polluted",
      passed: false,
      detail:
        "summary.pass_rate is 0.5, the valid runs give 1 (4 excluded run(s): a#1 POLLUTED, a#2 error, a#3 POLLUTED, ...)",
    });
  });
});

describe("firstDifference, shape by shape", () => {
  it("names a value of the wrong shape", () => {
    expect(firstDifference([1], { a: 1 }, "s")).toBe('s is {"a":1}, expected a list');
    expect(firstDifference({ a: 1 }, null, "s")).toBe("s is null, expected an object");
    expect(firstDifference({ a: 1 }, 3, "s")).toBe("s is 3, expected an object");
    expect(firstDifference({ a: 1 }, [1], "s")).toBe("s is [1], expected an object");
    expect(firstDifference({ a: 1 }, undefined, "s")).toBe("s is missing, expected an object");
  });

  it("finds the first differing entry of a list, past equal ones", () => {
    expect(firstDifference([1, 2, 3], [1, 2, 4], "s")).toBe("s[2] is 4, the valid runs give 3");
    expect(firstDifference([{ a: 1 }, { a: 2 }], [{ a: 1 }, { a: 2 }], "s")).toBeNull();
  });

  it("names every pass@k beyond the valid runs", () => {
    expect(firstDifference({ 1: 0.5 }, { 1: 0.5, 2: 1, 3: 1 }, "s.tasks[0].pass_at_k")).toBe(
      "s.tasks[0].pass_at_k has k = 2, 3, beyond the valid runs",
    );
    expect(firstDifference({ 1: 0.5 }, { 1: 0.5, 2: 1 }, "s.tasks[0].other")).toBeNull();
  });
});
