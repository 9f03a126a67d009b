/**
 * The canary's judgment in detail: which task a failure names when several tasks repeat, the limits
 * themselves (a spread or CV exactly at its limit passes, a mean exactly at the floor is judged), model
 * time that is missing or zero, and the exact reasons given when nothing can be compared.
 */
import { describe, expect, it } from "vitest";
import { type CanaryRun, judgeCanary } from "./canary.js";

/** Two comparable repeats of a task, with their adherence and model seconds. */
function task(
  id: string,
  adherence: [number | null, number | null],
  seconds: [number | null, number | null],
): CanaryRun[] {
  return [0, 1].map((i) => ({
    task_id: id,
    adherence: adherence[i] ?? null,
    model_seconds: seconds[i] ?? null,
    errored: false,
    reasons: [],
  }));
}

const left = (id: string, reasons: string[], errored = false): CanaryRun => ({
  task_id: id,
  adherence: 1,
  model_seconds: 1,
  errored,
  reasons,
});

describe("judgeCanary", () => {
  it("fails with its own reason when the canary made no runs", () => {
    expect(judgeCanary([])).toEqual({
      decision: "fail",
      reason: "the canary made no runs",
      adherence_spread: null,
      model_time_cv: null,
    });
  });

  it("lists why runs were left out once each, sorted, when no task has two comparable repeats", () => {
    const judgment = judgeCanary([
      left("a", ["THROTTLED", "HIGH_SYSTEM_LOAD"]),
      left("a", ["HIGH_SYSTEM_LOAD"], true),
      left("b", ["COLD_MODEL_LOAD"]),
    ]);
    expect(judgment).toEqual({
      decision: "fail",
      reason:
        "no canary task had two comparable repeats (2 of 3 runs left out: HIGH_SYSTEM_LOAD, RUN_ERROR, THROTTLED)",
      adherence_spread: null,
      model_time_cv: null,
    });
  });

  it("names the task with the widest adherence spread, the first one on a tie", () => {
    const widestLast = judgeCanary([...task("a", [1, 0.9], [1, 1]), ...task("b", [1, 0.5], [1, 1])]);
    expect(widestLast).toMatchObject({ decision: "fail", adherence_spread: 0.5 });
    expect(widestLast.reason).toBe(
      "adherence differed by 0.50 between repeats of b (limit 0.05): the model does not answer the same way twice, so the sweep's comparisons would be noise",
    );
    const widestFirst = judgeCanary([...task("a", [1, 0.5], [1, 1]), ...task("b", [1, 0.9], [1, 1])]);
    expect(widestFirst).toMatchObject({ decision: "fail", adherence_spread: 0.5 });
    expect(widestFirst.reason).toMatch(/differed by 0\.50 between repeats of a \(/);
    const tie = judgeCanary([...task("a", [1, 0.5], [1, 1]), ...task("b", [0.5, 1], [1, 1])]);
    expect(tie.reason).toMatch(/differed by 0\.50 between repeats of a \(/);
  });

  it("counts a repeat without adherence against one with it as a spread of 1", () => {
    const judgment = judgeCanary(task("a", [0.5, null], [1, 1]));
    expect(judgment).toMatchObject({ decision: "fail", adherence_spread: 1 });
    expect(judgment.reason).toMatch(/^adherence differed by 1\.00 between repeats of a /);
    // Neither repeat with adherence is no spread at all.
    expect(judgeCanary(task("a", [null, null], [1, 1]))).toMatchObject({
      decision: "pass",
      adherence_spread: 0,
    });
  });

  it("passes a spread exactly at its limit", () => {
    const judgment = judgeCanary(task("a", [1, 0.95], [1, 1]));
    expect(judgment).toEqual({
      decision: "pass",
      reason: "repeatable over 1 task with repeats: adherence spread 0.05 ≤ 0.05, model time CV 0.000 ≤ 0.35",
      adherence_spread: 0.05,
      model_time_cv: 0,
    });
  });

  it("passes a model time CV exactly at its limit", () => {
    const judgment = judgeCanary(task("a", [1, 1], [0.65, 1.35]));
    expect(judgment).toEqual({
      decision: "pass",
      reason: "repeatable over 1 task with repeats: adherence spread 0.00 ≤ 0.05, model time CV 0.350 ≤ 0.35",
      adherence_spread: 0,
      model_time_cv: 0.35,
    });
  });

  it("judges model time whose mean is exactly the floor", () => {
    const atFloor = judgeCanary(task("a", [1, 1], [0.05, 0.05]));
    expect(atFloor.reason).toBe(
      "repeatable over 1 task with repeats: adherence spread 0.00 ≤ 0.05, model time CV 0.000 ≤ 0.35",
    );
    const noisyAtFloor = judgeCanary(task("a", [1, 1], [0.02, 0.08]));
    expect(noisyAtFloor).toMatchObject({ decision: "fail", model_time_cv: 0.6 });
    expect(noisyAtFloor.reason).toMatch(/^model time varied with a CV of 0\.600 between repeats of a /);
  });

  it("reports no model time when no repeat measured it, and a CV of 0 for zero model time", () => {
    const unknown = judgeCanary([...task("a", [1, 1], [null, null]), ...task("b", [1, 1], [1, null])]);
    expect(unknown).toEqual({
      decision: "pass",
      reason: "repeatable over 2 tasks with repeats: adherence spread 0.00 ≤ 0.05, no model time to compare",
      adherence_spread: 0,
      model_time_cv: null,
    });
    const zero = judgeCanary(task("a", [1, 1], [0, 0]));
    expect(zero).toMatchObject({ decision: "pass", model_time_cv: 0 });
    expect(zero.reason).toMatch(/model time CV 0\.000, not judged under 0\.05 s per run$/);
  });

  it("reports the largest model time CV over the tasks, whichever comes first", () => {
    const steady = task("a", [1, 1], [1, 1.1]);
    const looser = task("b", [1, 1], [1, 1.5]);
    for (const runs of [
      [...steady, ...looser],
      [...looser, ...steady],
    ]) {
      const judgment = judgeCanary(runs);
      expect(judgment).toMatchObject({ decision: "pass", model_time_cv: 0.2 });
      expect(judgment.reason).toMatch(/, model time CV 0\.200 ≤ 0\.35$/);
    }
  });

  it("names the task with the noisiest judged model time, the first one on a tie", () => {
    const noisy = task("a", [1, 1], [1, 3]); // CV 0.5
    const lessNoisy = task("b", [1, 1], [1, 2]); // CV 0.333…, under the limit alone
    const noisier = task("c", [1, 1], [1, 4]); // CV 0.6
    const fails = (runs: CanaryRun[]) => judgeCanary(runs).reason;
    expect(fails([...noisy, ...lessNoisy])).toBe(
      "model time varied with a CV of 0.500 between repeats of a (limit 0.35): the machine is too noisy to time quantizations against each other",
    );
    expect(fails([...lessNoisy, ...noisy])).toMatch(/CV of 0\.500 between repeats of a \(/);
    expect(fails([...noisy, ...noisier])).toMatch(/CV of 0\.600 between repeats of c \(/);
    expect(fails([...noisier, ...noisy])).toMatch(/CV of 0\.600 between repeats of c \(/);
    // Same CV (mean 4, deviation 2): the first task is named.
    expect(fails([...noisy, ...task("d", [1, 1], [2, 6])])).toMatch(/CV of 0\.500 between repeats of a \(/);
  });

  it("does not let a task under the floor decide, though its CV is the one reported", () => {
    const fast = task("fast", [1, 1], [0.001, 0.004]); // CV 0.6, mean 2.5 ms
    const noisy = task("slow", [1, 1], [1, 3]); // CV 0.5
    const judgment = judgeCanary([...fast, ...noisy]);
    expect(judgment).toMatchObject({ decision: "fail", model_time_cv: 0.6 });
    expect(judgment.reason).toMatch(/^model time varied with a CV of 0\.500 between repeats of slow /);
  });
  it("quotes the judged CV against its limit, and names a larger one from tasks under the floor apart", () => {
    // A fast task (10–20 ms, CV 0.333) and a judged one (1.0–1.1 s, CV 0.048).
    const result = judgeCanary([...task("fast", [1, 1], [0.01, 0.02]), ...task("slow", [1, 1], [1, 1.1])]);
    expect(result.decision).toBe("pass");
    expect(result.model_time_cv).toBe(0.333);
    expect(result.reason).toBe(
      "repeatable over 2 tasks with repeats: adherence spread 0.00 ≤ 0.05, model time CV 0.048 ≤ 0.35 (0.333 on tasks under 0.05 s per run, not judged)",
    );
  });
});
