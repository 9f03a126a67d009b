import { describe, expect, it } from "vitest";
import { type Evaluation, TASK_BANK_SCHEMA_VERSION, type Task, type TaskBank } from "../../spec/bank.js";
import type { ConstraintValidator } from "../../validation/constraint-validator.js";
import { type EvaluateFn, type SelftestEvaluation, type SelftestOptions, selftestBank } from "./selftest.js";

function task(id: string, solution: string): Task {
  return {
    id,
    tier: 1,
    title: id,
    instruction: "x",
    language: "python",
    function_signature: "",
    constraints: { regex_required: [], regex_forbidden: [], ast_rules: [] },
    evaluation: {
      kind: "function",
      function_name: "f",
      examples: [
        { args: [1], expected: 1 },
        { args: [2], expected: 2 },
      ],
    },
    reference_solution: solution,
  };
}

function bankOf(tasks: Task[]): TaskBank {
  return { schema_version: TASK_BANK_SCHEMA_VERSION, name: "fake", version: "3", description: "", tasks };
}

function result(passes: boolean[], error: SelftestEvaluation["error"] = null): SelftestEvaluation {
  return {
    passed: error === null && passes.every(Boolean),
    passed_examples: passes.filter(Boolean).length,
    total_examples: passes.length,
    examples: passes.map((passed, index) => ({
      index,
      passed,
      detail: passed ? "ok" : `expected ${index}, got 0`,
    })),
    error,
  };
}

/** A fake validator: one regex check that fails when the solution says "sloppy". */
const validator: ConstraintValidator = {
  validate: (code) => {
    const passed = !code?.includes("sloppy");
    return {
      passed_checks: passed ? 1 : 0,
      total_checks: 1,
      adherence_score: passed ? 1 : 0,
      checks: [{ tier: "regex", rule: "regex_forbidden", passed, detail: "sloppy" }],
    };
  },
};

const run = (bank: TaskBank, options: SelftestOptions = {}) =>
  selftestBank(bank, { evaluate: fake, validator, ...options });

/** A fake evaluator: the solution text says what happens. */
const fake: EvaluateFn = async (code) => {
  await new Promise((resolve) => setTimeout(resolve, code.includes("slow") ? 20 : 1));
  if (code.startsWith("pass")) return result([true, true]);
  if (code.startsWith("half")) return result([true, false]);
  if (code.startsWith("crash"))
    return result([false, false], { code: "COMPILE_FAILED", message: "SyntaxError" });
  throw new Error("sandbox exploded");
};

describe("selftestBank", () => {
  it("reports every task in bank order with a summary", async () => {
    const bank = bankOf([task("a", "pass slow"), task("b", "half"), task("c", "crash"), task("d", "pass")]);
    const report = await run(bank);
    expect(report.bank).toBe("fake");
    expect(report.version).toBe("3");
    expect(report.tasks.map((r) => [r.task_id, r.passed])).toEqual([
      ["a", true],
      ["b", false],
      ["c", false],
      ["d", true],
    ]);
    expect(report).toMatchObject({
      total: 4,
      passed: 2,
      failed: 2,
      pass_rate: 0.5,
      all_passed: false,
      failed_task_ids: ["b", "c"],
    });
  });

  it("keeps the details of failed examples and evaluator errors", async () => {
    const bank = bankOf([task("a", "pass"), task("b", "half"), task("c", "crash")]);
    const [ok, half, crash] = (await run(bank)).tasks;
    expect(ok).toMatchObject({
      passed: true,
      passed_examples: 2,
      total_examples: 2,
      failures: [],
      error: null,
    });
    expect(ok?.detail).toBe("2/2 examples passed");
    expect(half).toMatchObject({ passed: false, failures: [{ index: 1, detail: "expected 1, got 0" }] });
    expect(half?.detail).toBe("1/2 examples passed; #1: expected 1, got 0");
    expect(crash?.error).toEqual({ code: "COMPILE_FAILED", message: "SyntaxError" });
    expect(crash?.detail).toContain("COMPILE_FAILED: SyntaxError");
  });

  it("fails a task whose reference solution breaks its own constraints", async () => {
    const report = await run(bankOf([task("a", "pass but sloppy"), task("b", "pass")]));
    expect(report.tasks[0]).toMatchObject({
      passed: false,
      passed_examples: 2,
      adherence_score: 0,
      failed_checks: [{ tier: "regex", rule: "regex_forbidden", passed: false, detail: "sloppy" }],
    });
    expect(report.tasks[0]?.detail).toBe(
      "2/2 examples passed; the reference breaks its constraints: regex_forbidden (sloppy)",
    );
    expect(report.tasks[1]).toMatchObject({ passed: true, adherence_score: 1, failed_checks: [] });
    expect(report.failed_task_ids).toEqual(["a"]);
  });

  it("turns an evaluate that throws into a failed task, not a failed self-test", async () => {
    const report = await run(bankOf([task("x", "boom"), task("y", "pass")]));
    expect(report.tasks[0]).toMatchObject({
      task_id: "x",
      passed: false,
      total_examples: 2,
      error: { code: "EVALUATE_THREW", message: "sandbox exploded" },
    });
    expect(report.tasks[1]?.passed).toBe(true);
  });

  it("passes the solution, language, evaluation and limits through", async () => {
    const calls: unknown[][] = [];
    const spy: EvaluateFn = async (...args) => {
      calls.push(args);
      return result([true]);
    };
    const bank = bankOf([task("a", "pass")]);
    const report = await run(bank, { evaluate: spy, limits: { wallMs: 500 } });
    expect(calls).toEqual([["pass", "python", bank.tasks[0]?.evaluation as Evaluation, { wallMs: 500 }]]);
    expect(report).toMatchObject({ all_passed: true, pass_rate: 1 });
  });

  it("runs at most `concurrency` evaluations at once (2 by default)", async () => {
    let running = 0;
    let peak = 0;
    const counting: EvaluateFn = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return result([true]);
    };
    const bank = bankOf(Array.from({ length: 7 }, (_, i) => task(`t${i}`, "pass")));
    await run(bank, { evaluate: counting });
    expect(peak).toBe(2);
    peak = 0;
    await run(bank, { evaluate: counting, concurrency: 1 });
    expect(peak).toBe(1);
  });

  it("reports progress and measures with the injected clock", async () => {
    let t = 0;
    const seen: string[] = [];
    const report = await run(bankOf([task("a", "pass"), task("b", "half")]), {
      concurrency: 1,
      now: () => (t += 10),
      onTask: (r) => seen.push(r.task_id),
    });
    expect(seen).toEqual(["a", "b"]);
    expect(report.tasks.map((r) => r.duration_ms)).toEqual([10, 10]);
  });
});
