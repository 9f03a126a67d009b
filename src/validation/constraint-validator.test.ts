import { beforeAll, describe, expect, it } from "vitest";
import { type Constraints, ConstraintsSchema } from "../spec/bank.js";
import { type ConstraintValidator, createConstraintValidator } from "./constraint-validator.js";

let validator: ConstraintValidator;
beforeAll(async () => {
  validator = await createConstraintValidator();
});

const constraints = (partial: Partial<Constraints>): Constraints => ConstraintsSchema.parse(partial);

const PYTHON = `import math\n\ndef area(r: float) -> float:\n    return math.pi * r ** 2\n`;

describe("regex tier", () => {
  it("passes a required pattern that matches, with the pattern as detail", () => {
    const result = validator.validate(PYTHON, "python", constraints({ regex_required: ["math\\.pi"] }));
    expect(result.checks).toEqual([
      { tier: "regex", rule: "regex_required", passed: true, detail: "math\\.pi" },
    ]);
    expect(result.adherence_score).toBe(1);
  });

  it("fails a required pattern that does not match", () => {
    const result = validator.validate(PYTHON, "python", constraints({ regex_required: ["import numpy"] }));
    expect(result.checks).toEqual([
      { tier: "regex", rule: "regex_required", passed: false, detail: "import numpy" },
    ]);
    expect(result.adherence_score).toBe(0);
  });

  it("fails a forbidden pattern that matches and passes one that does not", () => {
    const result = validator.validate(
      PYTHON,
      "python",
      constraints({ regex_forbidden: ["import math", "eval\\("] }),
    );
    expect(result.checks.map((check) => [check.rule, check.passed])).toEqual([
      ["regex_forbidden", false],
      ["regex_forbidden", true],
    ]);
    expect(result.adherence_score).toBe(0.5);
  });

  it("compiles patterns with the m flag so ^ and $ match at line boundaries", () => {
    const result = validator.validate(
      PYTHON,
      "python",
      constraints({ regex_required: ["^def area", "r \\*\\* 2$"] }),
    );
    expect(result.passed_checks).toBe(2);
  });

  it("refuses a catastrophic pattern as a failed check, without running it", () => {
    const code = `${"a".repeat(40)}!`;
    const result = validator.validate(code, "python", constraints({ regex_required: ["(a+)+$"] }));
    expect(result.checks[0]).toMatchObject({ passed: false });
    expect(result.checks[0]?.detail).toMatch(/^refused pattern: nested quantifiers/);
  });

  it("turns an invalid pattern into a failed check instead of throwing", () => {
    const result = validator.validate(PYTHON, "python", constraints({ regex_required: ["(unclosed"] }));
    expect(result.checks).toHaveLength(1);
    expect(result.checks[0]?.passed).toBe(false);
    expect(result.checks[0]?.detail).toMatch(/^invalid pattern: .*Unterminated group/);
  });

  it("fails an invalid forbidden pattern too: it cannot vouch for the code", () => {
    const result = validator.validate(PYTHON, "python", constraints({ regex_forbidden: ["[z-a]"] }));
    expect(result.checks[0]).toMatchObject({ rule: "regex_forbidden", passed: false });
    expect(result.checks[0]?.detail).toMatch(/^invalid pattern: /);
  });

  it("gives the same answer when a cached pattern is tested again", () => {
    const rules = constraints({ regex_required: ["^def"] });
    expect(validator.validate("x = 1\n", "python", rules).passed_checks).toBe(0);
    expect(validator.validate("def f(): pass\n", "python", rules).passed_checks).toBe(1);
    expect(validator.validate("x = 1\n", "python", rules).passed_checks).toBe(0);
  });
});

describe("scoring", () => {
  it("scores 1 when no checks are configured", () => {
    expect(validator.validate(PYTHON, "python", constraints({}))).toEqual({
      passed_checks: 0,
      total_checks: 0,
      adherence_score: 1,
      checks: [],
    });
  });

  it("scores null with no checks run when no code was produced", () => {
    const rules = constraints({
      regex_required: ["def"],
      ast_rules: [{ rule: "required_function_name", name: "area" }],
    });
    expect(validator.validate(null, "python", rules)).toEqual({
      passed_checks: 0,
      total_checks: 0,
      adherence_score: null,
      checks: [],
    });
  });

  it("treats empty code as code: checks run and fail", () => {
    const rules = constraints({ regex_required: ["def"], ast_rules: [{ rule: "argument_count", count: 1 }] });
    const result = validator.validate("", "python", rules);
    expect(result.total_checks).toBe(2);
    expect(result.adherence_score).toBe(0);
    expect(result.checks[1]?.detail).toBe("no top-level function");
  });

  it("rounds the ratio to 3 decimals", () => {
    const rules = constraints({ regex_required: ["area", "math", "numpy"] });
    expect(validator.validate(PYTHON, "python", rules).adherence_score).toBe(0.667);
  });

  it("orders checks: required patterns, forbidden patterns, then AST rules", () => {
    const rules = constraints({
      ast_rules: [{ rule: "required_function_name", name: "area" }],
      regex_forbidden: ["eval"],
      regex_required: ["def"],
    });
    const result = validator.validate(PYTHON, "python", rules);
    expect(result.checks.map((check) => check.rule)).toEqual([
      "regex_required",
      "regex_forbidden",
      "required_function_name",
    ]);
    expect(result).toMatchObject({ passed_checks: 3, total_checks: 3, adherence_score: 1 });
  });
});

describe("unparseable code", () => {
  const BROKEN = "def area(r:\n    return r *\n";
  const rules = constraints({
    regex_required: ["def area"],
    regex_forbidden: ["eval"],
    ast_rules: [
      { rule: "required_function_name", name: "area" },
      { rule: "argument_count", count: 1 },
      { rule: "return_type_annotation" },
    ],
  });

  it("fails every AST rule with rule parseable, while the regex tier still runs", () => {
    const result = validator.validate(BROKEN, "python", rules);
    expect(result.checks.slice(0, 2).map((check) => check.passed)).toEqual([true, true]);
    const ast = result.checks.slice(2);
    expect(ast).toHaveLength(3);
    for (const check of ast) {
      expect(check).toMatchObject({ tier: "ast", rule: "parseable", passed: false });
      expect(check.detail).toMatch(/^line \d+: syntax error near /);
    }
    expect(result.adherence_score).toBe(0.4);
  });

  it("names the line of the first error", () => {
    const code = "def ok():\n    return 1\n\ndef bad(:\n    pass\n";
    const result = validator.validate(
      code,
      "python",
      constraints({ ast_rules: [{ rule: "argument_count", count: 0 }] }),
    );
    expect(result.checks[0]?.detail).toMatch(/^line 4: syntax error near /);
  });

  it("reports a missing token with its line", () => {
    const result = validator.validate(
      "function f(a: number { return a }\n",
      "typescript",
      constraints({ ast_rules: [{ rule: "required_function_name", name: "f" }] }),
    );
    expect(result.checks[0]?.detail).toBe(
      'line 1: syntax error near "function f(a: number { return a }" (missing ")")',
    );
  });

  it("places a missing closing brace on the last line it could close", () => {
    const result = validator.validate(
      "function f() {\n  return 1;\n",
      "typescript",
      constraints({ ast_rules: [{ rule: "argument_count", count: 0 }] }),
    );
    expect(result.checks[0]?.detail).toBe('line 2: syntax error near "return 1;" (missing "}")');
  });

  it("does not parse, and so cannot fail, when only regex checks are configured", () => {
    const result = validator.validate(BROKEN, "python", constraints({ regex_required: ["return"] }));
    expect(result).toMatchObject({ passed_checks: 1, total_checks: 1, adherence_score: 1 });
  });

  it("fails JavaScript that does not parse", () => {
    const result = validator.validate(
      "function f( {\n",
      "javascript",
      constraints({ ast_rules: [{ rule: "argument_count", count: 1 }] }),
    );
    expect(result.checks[0]).toMatchObject({ rule: "parseable", passed: false });
  });
});

describe("determinism", () => {
  const cases: [string, "python" | "typescript" | "javascript"][] = [
    [PYTHON, "python"],
    ["def broken(:\n", "python"],
    ["export const add = (a: number, b: number): number => a + b;\n", "typescript"],
    ["module.exports = function (a) { return a };\n", "javascript"],
  ];
  const rules = constraints({
    regex_required: ["return", "("],
    regex_forbidden: ["eval"],
    ast_rules: [
      { rule: "required_function_name", name: "add" },
      { rule: "argument_count", count: 2 },
      { rule: "return_type_annotation", type: "number" },
    ],
  });

  it.each(cases)("validates %j twice with deep-equal results", (code, language) => {
    const first = validator.validate(code, language, rules);
    const second = validator.validate(code, language, rules);
    expect(second).toEqual(first);
  });

  it("agrees across validators, which share the loaded grammars", async () => {
    const other = await createConstraintValidator();
    const [code, language] = cases[2] ?? [PYTHON, "python"];
    expect(other.validate(code, language, rules)).toEqual(validator.validate(code, language, rules));
  });
});
