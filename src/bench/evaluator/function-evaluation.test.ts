import { describe, expect, it } from "vitest";
import type { Evaluation } from "../../spec/bank.js";
import { createEvaluator } from "./evaluator.js";

const evaluator = createEvaluator();
const limits = { wallMs: 1_500 };

function fn(function_name: string, examples: [args: unknown[], expected: unknown][]): Evaluation {
  return {
    kind: "function",
    function_name,
    examples: examples.map(([args, expected]) => ({ args, expected })),
  };
}

const ADD = fn("add", [
  [[1, 2], 3],
  [[0.1, 0.2], 0.3],
  [[-1, 1], 0],
]);

describe("function evaluations in Python", () => {
  it("passes a correct solution and compares by JSON semantics", async () => {
    const result = await evaluator.evaluate("def add(a, b):\n    return a + b\n", "python", ADD, limits);
    expect(result).toMatchObject({ passed: true, passed_examples: 3, total_examples: 3, error: null });
    expect(result.examples[0]).toMatchObject({
      index: 0,
      passed: true,
      detail: "expected 3, got 3",
      timed_out: false,
    });
    expect(result.examples[1]?.detail).toBe("expected 0.3, got 0.30000000000000004");
  });

  it("treats tuples as lists, dict keys as JSON strings, and True as different from 1", async () => {
    const code = [
      "def pair(x):",
      "    return (x, [x])",
      "def keyed(x):",
      "    return {x: (x,)}",
      "def flag(x):",
      "    return x == 1",
    ].join("\n");
    const pair = await evaluator.evaluate(code, "python", fn("pair", [[[1], [1, [1]]]]), limits);
    expect(pair.passed).toBe(true);
    const keyed = await evaluator.evaluate(code, "python", fn("keyed", [[[2], { "2": [2] }]]), limits);
    expect(keyed.passed).toBe(true);
    const flag = await evaluator.evaluate(
      code,
      "python",
      fn("flag", [
        [[1], 1],
        [[1], true],
      ]),
      limits,
    );
    expect(flag.examples.map((example) => example.passed)).toEqual([false, true]);
    expect(flag.examples[0]?.detail).toBe("expected 1, got true");
  });

  it("fails a wrong answer with expected and got", async () => {
    const result = await evaluator.evaluate("def add(a, b):\n    return a - b\n", "python", ADD, limits);
    expect(result.passed).toBe(false);
    expect(result.passed_examples).toBe(0);
    expect(result.examples[0]?.detail).toBe("expected 3, got -1");
  });

  it("reports an exception with its type, message and line, and runs the other examples", async () => {
    const code = "def div(a, b):\n    return a / b\n";
    const result = await evaluator.evaluate(
      code,
      "python",
      fn("div", [
        [[1, 0], 0],
        [[4, 2], 2],
      ]),
      limits,
    );
    expect(result.examples[0]).toMatchObject({
      passed: false,
      detail: "ZeroDivisionError: division by zero (line 2)",
    });
    expect(result.examples[1]?.passed).toBe(true);
  });

  it("reports a missing function on every example", async () => {
    const result = await evaluator.evaluate("def plus(a, b):\n    return a + b\n", "python", ADD, limits);
    expect(result.passed_examples).toBe(0);
    expect(result.examples.map((example) => example.detail)).toEqual(
      Array(3).fill("NameError: name 'add' is not defined"),
    );
  });

  it("finds a LeetCode-style method of class Solution", async () => {
    const code = "class Solution:\n    def add(self, a, b):\n        return a + b\n";
    expect((await evaluator.evaluate(code, "python", ADD, limits)).passed).toBe(true);
  });

  it("reports a syntax error on every example", async () => {
    const result = await evaluator.evaluate("def add(a, b)\n    return a + b\n", "python", ADD, limits);
    expect(result.error).toBeNull();
    expect(result.examples[2]?.detail).toMatch(/^SyntaxError: /);
  });

  it("does not run the module's __main__ block, and a sys.exit in the function is that example's failure", async () => {
    const code =
      "import sys\ndef add(a, b):\n    if a < 0: sys.exit(3)\n    return a + b\nif __name__ == '__main__':\n    while True: pass\n";
    const result = await evaluator.evaluate(code, "python", ADD, limits);
    expect(result.examples.map((example) => example.passed)).toEqual([true, true, false]);
    expect(result.examples[2]?.detail).toBe("SystemExit: 3 (line 3)");
  });

  it("times out a looping example inside the process and goes on with the next", async () => {
    const code = "def f(x):\n    while x:\n        pass\n    return x\n";
    const started = performance.now();
    const result = await evaluator.evaluate(
      code,
      "python",
      fn("f", [
        [[1], 1],
        [[0], 0],
      ]),
      { wallMs: 1_000 },
    );
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(result.examples[0]).toMatchObject({
      passed: false,
      timed_out: true,
      detail: "timed out after 1000 ms",
    });
    expect(result.examples[0]?.duration_ms).toBeGreaterThanOrEqual(950);
    expect(result.examples[1]?.passed).toBe(true);
  });
});

describe("function evaluations in JavaScript", () => {
  it("passes plain scripts, CommonJS and ES modules alike", async () => {
    const sources = [
      "function add(a, b) { return a + b; }",
      "const add = (a, b) => a + b;\nmodule.exports = { add };",
      "module.exports.add = function (a, b) { return a + b; };",
      "export function add(a, b) { return a + b; }",
      "export default function add(a, b) { return a + b; }",
    ];
    for (const code of sources) {
      const result = await evaluator.evaluate(code, "javascript", ADD, limits);
      expect(result, code).toMatchObject({ passed: true, passed_examples: 3 });
    }
  });

  it("compares deeply with JSON semantics: -0 equals 0, undefined keys are absent", async () => {
    const code = "function f(x) { return { a: [x * -0, { b: x }], c: undefined }; }";
    const result = await evaluator.evaluate(
      code,
      "javascript",
      fn("f", [
        [[1], { a: [0, { b: 1 }] }],
        [[1], { a: [0, { b: 2 }] }],
      ]),
      limits,
    );
    expect(result.examples.map((example) => example.passed)).toEqual([true, false]);
    expect(result.examples[1]?.detail).toBe('expected {"a":[0,{"b":2}]}, got {"a":[-0,{"b":1}]}');
  });

  it("awaits a returned promise", async () => {
    const code = "async function add(a, b) { await new Promise((r) => setTimeout(r, 5)); return a + b; }";
    expect((await evaluator.evaluate(code, "javascript", ADD, limits)).passed).toBe(true);
  });

  it("reports a thrown error and a missing function", async () => {
    const code = "function add(a, b) {\n  if (a < 0) throw new RangeError('negative');\n  return a + b;\n}";
    const result = await evaluator.evaluate(code, "javascript", ADD, limits);
    expect(result.examples[2]).toMatchObject({ passed: false, detail: "RangeError: negative (line 2)" });
    const missing = await evaluator.evaluate(
      "function plus(a, b) { return a + b; }",
      "javascript",
      ADD,
      limits,
    );
    expect(missing.examples[0]?.detail).toBe("ReferenceError: add is not defined");
  });

  it("kills a synchronous loop from the parent and resumes at the next example in a fresh process", async () => {
    const code = "function f(x) { while (x) {} return x; }";
    const started = performance.now();
    const result = await evaluator.evaluate(
      code,
      "javascript",
      fn("f", [
        [[0], 0],
        [[1], 1],
        [[0], 0],
      ]),
      { wallMs: 1_000 },
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.examples.map((example) => example.passed)).toEqual([true, false, true]);
    expect(result.examples[1]).toMatchObject({
      timed_out: true,
      signal: "SIGKILL",
      detail: "timed out after 1000 ms",
    });
  });

  it("times out a promise that never settles inside the process", async () => {
    const code = "function f() { return new Promise(() => {}); }";
    const result = await evaluator.evaluate(code, "javascript", fn("f", [[[], 1]]), { wallMs: 500 });
    expect(result.examples[0]).toMatchObject({ timed_out: true, signal: null });
  });

  it("fails every example when the module loops at the top level", async () => {
    const code = "while (true) {}\nfunction add(a, b) { return a + b; }";
    const result = await evaluator.evaluate(code, "javascript", ADD, { wallMs: 800 });
    expect(result.examples.every((example) => example.timed_out && !example.passed)).toBe(true);
    expect(result.examples[0]?.detail).toBe("timed out loading the solution after 800 ms");
  });
});

describe("function evaluations in TypeScript", () => {
  it("transpiles and runs typed code, exported or not", async () => {
    for (const code of [
      "export function add(a: number, b: number): number { return a + b; }",
      "interface P { a: number }\nfunction add(a: number, b: number): number { const p: P = { a }; return p.a + b; }",
    ]) {
      expect((await evaluator.evaluate(code, "typescript", ADD, limits)).passed, code).toBe(true);
    }
  });

  it("does not type-check: a type error still runs", async () => {
    const code = "function add(a: number, b: number): string { return (a + b) as unknown as string; }";
    expect((await evaluator.evaluate(code, "typescript", ADD, limits)).passed).toBe(true);
  });

  it("fails every example with COMPILE_FAILED on a syntax error", async () => {
    const result = await evaluator.evaluate(
      "function add(a: number, b: number { return a + b }",
      "typescript",
      ADD,
      limits,
    );
    expect(result.error?.code).toBe("COMPILE_FAILED");
    expect(result.error?.message).toMatch(/^solution\.ts\(1,\d+\): error TS1005: /);
    expect(result).toMatchObject({ passed: false, passed_examples: 0, total_examples: 3 });
    expect(result.examples).toHaveLength(3);
    expect(result.examples[0]?.detail).toMatch(/^COMPILE_FAILED: /);
  });
});
