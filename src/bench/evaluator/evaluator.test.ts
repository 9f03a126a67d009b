import { describe, expect, it } from "vitest";
import type { Evaluation } from "../../spec/bank.js";
import { detectModuleKind, topLevelNames, withScopeFooter } from "./candidate-source.js";
import { createEvaluator } from "./evaluator.js";
import { resolveLimits } from "./limits.js";
import { errorLine } from "./sandbox-run.js";

const ADD: Evaluation = {
  kind: "function",
  function_name: "add",
  examples: [
    { args: [1, 2], expected: 3 },
    { args: [2, 2], expected: 4 },
  ],
};

describe("missing runtimes", () => {
  it("fails every example with RUNTIME_MISSING when the Python interpreter is not there", async () => {
    const evaluator = createEvaluator({ pythonPath: "/nonexistent/python3" });
    const result = await evaluator.evaluate("def add(a, b):\n    return a + b\n", "python", ADD);
    expect(result.error).toEqual({
      code: "RUNTIME_MISSING",
      message: 'python interpreter "/nonexistent/python3": ENOENT',
    });
    expect(result).toMatchObject({ passed: false, passed_examples: 0, total_examples: 2 });
    expect(result.examples.map((example) => example.detail)).toEqual(
      Array(2).fill('RUNTIME_MISSING: python interpreter "/nonexistent/python3": ENOENT'),
    );
  });

  it("refuses a Python that is not Python 3", async () => {
    const evaluator = createEvaluator({ pythonPath: process.execPath });
    const result = await evaluator.evaluate("def add(a, b):\n    return a + b\n", "python", ADD);
    expect(result.error?.code).toBe("RUNTIME_MISSING");
  });

  it("fails with RUNTIME_MISSING when the Node binary is not there, by path or by name", async () => {
    for (const nodePath of ["/nonexistent/node", "no-such-node-binary"]) {
      const evaluator = createEvaluator({ nodePath });
      const result = await evaluator.evaluate("function add(a, b) { return a + b; }", "javascript", ADD);
      expect(result.error?.code, nodePath).toBe("RUNTIME_MISSING");
    }
  });
});

describe("limits", () => {
  it("fills in the defaults and refuses nonsense", () => {
    expect(resolveLimits()).toEqual({ wallMs: 10_000, memoryMb: 512, outputBytes: 65_536 });
    expect(resolveLimits({ wallMs: 500 })).toEqual({ wallMs: 500, memoryMb: 512, outputBytes: 65_536 });
    expect(() => resolveLimits({ wallMs: 0 })).toThrow();
    expect(() => resolveLimits({ memoryMb: 1.5 })).toThrow();
  });
});

describe("candidate sources", () => {
  it("tells ES modules from CommonJS and plain scripts", () => {
    expect(detectModuleKind("export function f() {}")).toBe("esm");
    expect(detectModuleKind("import fs from 'node:fs';")).toBe("esm");
    expect(detectModuleKind("import { a } from './a.js';")).toBe("esm");
    expect(detectModuleKind("  export default 1;")).toBe("esm");
    expect(detectModuleKind("const fs = require('fs');\nmodule.exports = {};")).toBe("cjs");
    expect(detectModuleKind("const m = await import('node:fs');")).toBe("cjs");
    expect(detectModuleKind("// export later\nfunction f() {}")).toBe("cjs");
  });

  it("adds a footer that leaves line numbers alone and skips names that are not identifiers", () => {
    const text = withScopeFooter("function f() {}\n// trailing comment", ["f"]);
    expect(text.split("\n").slice(0, 2)).toEqual(["function f() {}", "// trailing comment"]);
    expect(text).toContain('"f": typeof f === "undefined" ? undefined : f');
    expect(withScopeFooter("x", ["a-b"])).not.toContain("a-b");
  });

  it("finds the names declared at the top level", () => {
    const code = [
      "export async function load() {}",
      "function* gen() {}",
      "class Box {}",
      "const LIMIT = 3, other = 4;",
      "let counter;",
      "  function nested() {}",
    ].join("\n");
    expect(topLevelNames(code, ["solve"])).toEqual(["load", "gen", "Box", "LIMIT", "counter", "solve"]);
  });
});

describe("errorLine", () => {
  it("picks the line that names the error", () => {
    const python =
      'Traceback (most recent call last):\n  File "p.py", line 1, in <module>\nValueError: bad\n';
    expect(errorLine(python)).toBe("ValueError: bad");
    const node = [
      "/tmp/x/program.cjs:2",
      "  throw new TypeError('nope');",
      "  ^",
      "",
      "TypeError: nope",
      "    at Object.<anonymous> (/tmp/x/program.cjs:2:9)",
      "",
      "Node.js v20.20.2",
    ].join("\n");
    expect(errorLine(node)).toBe("TypeError: nope");
    expect(
      errorLine("AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n\n1 !== 2\n"),
    ).toBe("AssertionError [ERR_ASSERTION]: Expected values to be strictly equal: 1 !== 2");
    expect(errorLine("just text\n")).toBe("just text");
    expect(errorLine("")).toBe("");
  });
});
