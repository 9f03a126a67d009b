/**
 * The shipped banks against the real evaluator and constraint validator: every reference solution must
 * pass every example and satisfy its own constraints. Needs `python3` and Node, as `orket bench` does.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadBank } from "./bank-loader.js";
import { importHumanEval } from "./humaneval-import.js";
import { type BankSelftest, selftestBank } from "./selftest.js";

function failures(report: BankSelftest): string[] {
  return report.tasks.filter((t) => !t.passed).map((t) => `${t.task_id}: ${t.detail}`);
}

describe("self-test with the real evaluator", () => {
  it("passes 100% of the built-in bank", { timeout: 300_000 }, async () => {
    const bank = await loadBank("builtin");
    const report = await selftestBank(bank);
    expect(failures(report)).toEqual([]);
    expect(report).toMatchObject({ total: bank.tasks.length, all_passed: true, pass_rate: 1 });
    for (const task of report.tasks) {
      expect(task.passed_examples, task.task_id).toBe(task.total_examples);
      expect(task.adherence_score, task.task_id).toBe(1);
    }
  });

  it("passes 100% of the imported HumanEval fixture", { timeout: 120_000 }, async () => {
    const text = readFileSync("test/fixtures/humaneval/mini.jsonl", "utf8");
    const bank = importHumanEval(text, { name: "mini-eval", source: "mini.jsonl" });
    const report = await selftestBank(bank);
    expect(failures(report)).toEqual([]);
    expect(report).toMatchObject({ total: 5, passed: 5, all_passed: true });
  });

  it("fails a broken solution with the evaluator's details", { timeout: 60_000 }, async () => {
    const bank = await loadBank("builtin");
    const clamp = bank.tasks.find((t) => t.id === "py/clamp");
    expect(clamp).toBeDefined();
    if (clamp === undefined) return;
    const broken = {
      ...clamp,
      reference_solution: "def clamp(value: int, low: int, high: int) -> int:\n    return value\n",
    };
    const report = await selftestBank({ ...bank, tasks: [broken] });
    expect(report.all_passed).toBe(false);
    expect(report.tasks[0]?.passed_examples).toBe(2);
    expect(report.tasks[0]?.failures.map((f) => f.index)).toEqual([1, 2, 4]);
  });
});
