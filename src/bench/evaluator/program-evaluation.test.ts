import { describe, expect, it } from "vitest";
import type { Evaluation } from "../../spec/bank.js";
import { createEvaluator } from "./evaluator.js";
import { normalizeStdout } from "./program-evaluation.js";

const evaluator = createEvaluator();
const limits = { wallMs: 1_500 };

/** Sums the numbers on stdin, prints the sum, exits with the first argument. */
const SUM: Evaluation = {
  kind: "cli",
  examples: [
    { args: ["0"], stdin: "1 2 3\n", expected_stdout: "6\n", expected_exit_code: 0 },
    { args: ["2"], stdin: "5", expected_stdout: "5", expected_exit_code: 2 },
    { args: ["0"], stdin: "1 1", expected_stdout: "3", expected_exit_code: 0 },
    { args: ["1"], stdin: "4", expected_stdout: "4", expected_exit_code: 0 },
  ],
};
const SUM_SOURCES = {
  python: "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\nsys.exit(int(sys.argv[1]))\n",
  javascript:
    "const input = require('fs').readFileSync(0, 'utf8');\nconsole.log(input.split(/\\s+/).filter(Boolean).map(Number).reduce((a, b) => a + b, 0));\nprocess.exitCode = Number(process.argv[2]);\n",
  typescript:
    "import { readFileSync } from 'node:fs';\nconst input: string = readFileSync(0, 'utf8');\nconsole.log(input.split(/\\s+/).filter(Boolean).map(Number).reduce((a: number, b: number) => a + b, 0));\nprocess.exitCode = Number(process.argv[2]);\n",
} as const;

describe("cli evaluations", () => {
  for (const [language, code] of Object.entries(SUM_SOURCES)) {
    it(`runs a ${language} program per example with args and stdin, comparing stdout and exit code`, async () => {
      const result = await evaluator.evaluate(code, language as keyof typeof SUM_SOURCES, SUM, limits);
      expect(result.examples.map((example) => example.passed)).toEqual([true, true, false, false]);
      expect(result.examples[0]).toMatchObject({
        exit_code: 0,
        signal: null,
        detail: "stdout and exit code 0 match",
      });
      expect(result.examples[1]).toMatchObject({ exit_code: 2, detail: "stdout and exit code 2 match" });
      expect(result.examples[2]?.detail).toBe('expected stdout "3", got "2"');
      expect(result.examples[3]?.detail).toBe("expected exit code 0, got exit code 1");
      expect(result).toMatchObject({ passed: false, passed_examples: 2, total_examples: 4, error: null });
    });
  }

  it("names the error when the program crashes", async () => {
    const evaluation: Evaluation = {
      kind: "cli",
      examples: [{ args: [], stdin: "", expected_stdout: "", expected_exit_code: 0 }],
    };
    const result = await evaluator.evaluate("raise ValueError('bad input')\n", "python", evaluation, limits);
    expect(result.examples[0]?.detail).toBe("expected exit code 0, got exit code 1: ValueError: bad input");
  });
});

describe("test_program evaluations", () => {
  const solutions = {
    python: ["def inc(x):\n    return x + 1\n", "def inc(x):\n    return x\n"],
    javascript: ["function inc(x) { return x + 1; }", "function inc(x) { return x; }"],
    typescript: [
      "function inc(x: number): number { return x + 1; }",
      "function inc(x: number): number { return x; }",
    ],
  } as const;
  const programs = {
    python: "def check(candidate):\n    assert candidate(1) == 2\n\ncheck(inc)\n",
    javascript: "const assert = require('node:assert');\nassert.strictEqual(inc(1), 2);\n",
    typescript: "import assert from 'node:assert';\nassert.strictEqual(inc(1), 2);\n",
  } as const;

  for (const language of ["python", "javascript", "typescript"] as const) {
    it(`passes a ${language} program that exits 0 and fails one that does not`, async () => {
      const evaluation: Evaluation = { kind: "test_program", program: programs[language] };
      const [right, wrong] = solutions[language];
      const passed = await evaluator.evaluate(right, language, evaluation, limits);
      expect(passed).toMatchObject({ passed: true, passed_examples: 1, total_examples: 1 });
      expect(passed.examples[0]).toMatchObject({ exit_code: 0, detail: "exit code 0" });
      const failed = await evaluator.evaluate(wrong, language, evaluation, limits);
      expect(failed).toMatchObject({ passed: false, passed_examples: 0, total_examples: 1 });
      expect(failed.examples[0]?.exit_code).toBe(1);
      expect(failed.examples[0]?.detail).toMatch(/^exit code 1: AssertionError/);
    });
  }

  it("runs the test program as __main__ in the solution's scope", async () => {
    const evaluation: Evaluation = {
      kind: "test_program",
      program: "if __name__ == '__main__':\n    assert helper() == 1\n",
    };
    const result = await evaluator.evaluate("def helper():\n    return 1\n", "python", evaluation, limits);
    expect(result.passed).toBe(true);
  });
});

describe("normalizeStdout", () => {
  it("drops trailing whitespace on each line and at the end, and unifies line endings", () => {
    expect(normalizeStdout("a  \r\nb\t\n\n\n")).toBe("a\nb");
    expect(normalizeStdout("  lead stays")).toBe("  lead stays");
    expect(normalizeStdout("a\n\nb")).toBe("a\n\nb");
  });
});
