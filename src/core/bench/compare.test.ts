/**
 * compareReports and the gate on constructed reports, where the right answer is known: tasks paired
 * and left out with their reasons, flips, the pass-rate interval, pass@k, metric ratios with bootstrap
 * intervals that separate a real slowdown from noise, and the record differences.
 */
import { describe, expect, it } from "vitest";
import { reportOf, testRun } from "../../../test/support/lab-fixtures.js";
import type { ComparedReport } from "../../spec/comparison.js";
import type { Report } from "../../spec/report.js";
import { mulberry32 } from "../shared/random.js";
import { compareReports, DEFAULT_COMPARE_OPTIONS } from "./compare.js";
import { applyGate, GateSpecError, gateFails, parseFailOn } from "./gate.js";

const info: ComparedReport = {
  path: "/c.json",
  model_ref: "replay/c",
  report_generated_at: "2026-11-20T00:00:00.000Z",
  bank: { name: "builtin", version: "1", sha256: null },
  runs_per_task: 1,
};

/** n tasks, one run each; `total(i)` its latency and `pass(i)` its outcome. */
function report(
  n: number,
  total: (i: number) => number,
  pass: (i: number) => boolean,
  ref = "replay/x",
): Report {
  return reportOf(
    Array.from({ length: n }, (_, i) =>
      testRun({ task: `t${i}`, total, outcome: pass(i) ? "pass" : "fail" } as never),
    ).map((run, i) => ({ ...run, telemetry: { ...run.telemetry, total_latency: total(i) } })),
    ref,
  );
}

describe("compareReports", () => {
  it("pairs by task, leaves out invalid and missing tasks with reasons, and finds the flips", () => {
    const base = reportOf([
      testRun({ task: "a" }),
      testRun({ task: "b" }),
      testRun({ task: "c", outcome: "fail" }),
      testRun({ task: "d", reasons: ["HOT_START"] }),
      testRun({ task: "e" }),
    ]);
    const cand = reportOf([
      testRun({ task: "a", outcome: "fail" }),
      testRun({ task: "b" }),
      testRun({ task: "c" }),
      testRun({ task: "d" }),
      testRun({ task: "f" }),
    ]);
    const c = compareReports(base, cand, info);
    expect(c.tasks).toEqual({
      compared: 3,
      left_out: {
        missing_in_baseline: 1,
        missing_in_candidate: 1,
        invalid_in_baseline: 1,
        invalid_in_candidate: 0,
      },
    });
    expect(c.pass.newly_failing).toEqual(["a"]);
    expect(c.pass.newly_passing).toEqual(["c"]);
    expect(c.pass.mcnemar).toEqual({ newly_failing: 1, newly_passing: 1, p_value: 1 });
    expect(c.pass.baseline_rate).toBeCloseTo(2 / 3, 6);
    expect(c.pass.candidate_rate).toBeCloseTo(2 / 3, 6);
    expect(c.pass.difference).toBe(0);
    expect(c.pass.significant).toBe(false);
    expect(c.task_rows.find((r) => r.task_id === "d")?.left_out).toBe("invalid_in_baseline");
    expect(c.verdict).toMatch(/pass rate \+0\.0 pp .*not significant/);
  });

  it("calls a drop on many tasks significant and the same drop on few not", () => {
    const many = compareReports(
      report(
        60,
        () => 1,
        () => true,
      ),
      report(
        60,
        () => 1,
        (i) => i % 5 !== 0,
      ),
      info,
    );
    expect(many.pass.difference).toBeCloseTo(-0.2, 6);
    expect(many.pass.significant).toBe(true);
    expect(many.pass.mcnemar.p_value).toBeLessThan(0.001);
    const few = compareReports(
      report(
        5,
        () => 1,
        () => true,
      ),
      report(
        5,
        () => 1,
        (i) => i !== 0,
      ),
      info,
    );
    expect(few.pass.difference).toBeCloseTo(-0.2, 6);
    expect(few.pass.significant).toBe(false);
    expect(few.verdict).toMatch(/not significant/);
  });

  it("gives pass@k over repeats", () => {
    const runs = (passes: boolean[]) =>
      passes.map((p, index) => testRun({ task: "a", index, outcome: p ? "pass" : "fail" }));
    const c = compareReports(reportOf(runs([true, false])), reportOf(runs([true, true])), info);
    expect(c.pass.pass_at_k).toEqual([
      { k: 1, baseline: 0.5, candidate: 1, difference: 0.5 },
      { k: 2, baseline: 1, candidate: 1, difference: 0 },
    ]);
  });

  it("finds a 30 % slowdown significant and noise of the same size not", () => {
    const random = mulberry32(5);
    const noise = Array.from({ length: 80 }, () => 0.8 + random() * 0.4);
    const slow = compareReports(
      report(
        80,
        (i) => noise[i] as number,
        () => true,
      ),
      report(
        80,
        (i) => (noise[i] as number) * 1.3,
        () => true,
      ),
      info,
    );
    const p50 = slow.metrics.find((m) => m.key === "total_latency")?.changes[0];
    expect(p50?.relative_change).toBeCloseTo(0.3, 6);
    expect(p50?.significant).toBe(true);
    expect(p50?.interval?.[0]).toBeGreaterThan(0.2);

    // Every task changes a lot, but the candidate's latencies are the baseline's in another order: no
    // change in the distribution, so nothing may be called significant.
    const other = noise.slice(0, 6).reverse();
    const noisy = compareReports(
      report(
        6,
        (i) => noise[i] as number,
        () => true,
      ),
      report(
        6,
        (i) => other[i] as number,
        () => true,
      ),
      info,
    );
    const n50 = noisy.metrics.find((m) => m.key === "total_latency")?.changes[0];
    expect(n50?.relative_change).toBe(0);
    expect(n50?.significant).toBe(false);
    expect(noisy.verdict).toMatch(/no significant change in median speed/);
    // The same seed gives the same intervals.
    const again = compareReports(
      report(
        6,
        (i) => noise[i] as number,
        () => true,
      ),
      report(
        6,
        (i) => other[i] as number,
        () => true,
      ),
      info,
      DEFAULT_COMPARE_OPTIONS,
    );
    expect(again.metrics).toEqual(noisy.metrics);
  });

  it("lists what differs between the two runs' records", () => {
    const base = report(
      2,
      () => 1,
      () => true,
      "gguf/a-q8_0.gguf",
    );
    const cand = report(
      2,
      () => 1,
      () => true,
      "gguf/a-q4_k_m.gguf",
    );
    cand.settings.temperature = 0.7;
    const c = compareReports(base, cand, info);
    expect(c.reproducibility).toEqual([
      { field: "model_ref", baseline: "gguf/a-q8_0.gguf", candidate: "gguf/a-q4_k_m.gguf" },
      { field: "sampler.temperature", baseline: 0, candidate: 0.7 },
    ]);
  });
});

describe("the gate", () => {
  it("parses thresholds and refuses bad ones naming them", () => {
    expect(parseFailOn("pass_rate:-2pp,init_latency_p50:+10%,generation_tokens_per_second_p50:-5%")).toEqual([
      {
        text: "pass_rate:-2pp",
        key: "pass_rate",
        metric: "pass_rate",
        statistic: null,
        unit: "pp",
        limit: -2,
      },
      {
        text: "init_latency_p50:+10%",
        key: "init_latency_p50",
        metric: "init_latency",
        statistic: "p50",
        unit: "%",
        limit: 10,
      },
      {
        text: "generation_tokens_per_second_p50:-5%",
        key: "generation_tokens_per_second_p50",
        metric: "generation_tokens_per_second",
        statistic: "p50",
        unit: "%",
        limit: -5,
      },
    ]);
    for (const [bad, message] of [
      ["pass_rate:2pp", /not key:<sign>/],
      ["pass_rate:-2%", /give its change in pp/],
      ["total_latency_p50:+2pp", /give its change in %/],
      ["latency_p50:+2%", /not a gate key/],
      ["total_latency:+2%", /not a gate key/],
      ["pass_rate:-1pp,pass_rate:-2pp", /given twice/],
      ["pass_rate:-1pp,", /empty threshold/],
    ] as const) {
      expect(() => parseFailOn(bad)).toThrow(GateSpecError);
      expect(() => parseFailOn(bad)).toThrow(message);
    }
  });

  it("breaches on a significant drop, says not significant on a small sample, and fails on it only when strict", () => {
    const thresholds = parseFailOn("pass_rate:-2pp");
    const many = compareReports(
      report(
        60,
        () => 1,
        () => true,
      ),
      report(
        60,
        () => 1,
        (i) => i % 5 !== 0,
      ),
      info,
    );
    const [breached] = applyGate(thresholds, many);
    expect(breached?.status).toBe("breached");
    expect(breached?.estimate).toBeCloseTo(-20, 6);
    expect(gateFails(applyGate(thresholds, many), false)).toBe(true);

    const few = compareReports(
      report(
        5,
        () => 1,
        () => true,
      ),
      report(
        5,
        () => 1,
        (i) => i !== 0,
      ),
      info,
    );
    const results = applyGate(thresholds, few);
    expect(results[0]?.status).toBe("not_significant");
    expect(gateFails(results, false)).toBe(false);
    expect(gateFails(results, true)).toBe(true);

    const same = compareReports(
      report(
        60,
        () => 1,
        () => true,
      ),
      report(
        60,
        () => 1,
        () => true,
      ),
      info,
    );
    expect(applyGate(thresholds, same)[0]?.status).toBe("ok");
  });

  it("checks a ratio threshold in the direction of its sign", () => {
    const random = mulberry32(9);
    const noise = Array.from({ length: 80 }, () => 0.8 + random() * 0.4);
    const slower = compareReports(
      report(
        80,
        (i) => noise[i] as number,
        () => true,
      ),
      report(
        80,
        (i) => (noise[i] as number) * 1.3,
        () => true,
      ),
      info,
    );
    const [rise, drop] = applyGate(parseFailOn("total_latency_p50:+10%,total_latency_p90:-10%"), slower);
    expect(rise?.status).toBe("breached");
    expect(drop?.status).toBe("ok");
  });
});
