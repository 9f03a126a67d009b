import { beforeAll, describe, expect, it } from "vitest";
import { type AstRule, type ConstraintCheck, ConstraintsSchema, type Language } from "../spec/bank.js";
import { type ConstraintValidator, createConstraintValidator } from "./constraint-validator.js";

let validator: ConstraintValidator;
beforeAll(async () => {
  validator = await createConstraintValidator();
});

function check(code: string, language: Language, rule: AstRule): ConstraintCheck | undefined {
  return validator.validate(code, language, ConstraintsSchema.parse({ ast_rules: [rule] })).checks[0];
}

const TYPESCRIPT = `import { readFile } from "node:fs/promises";

interface Point { x: number; y: number }

export function distance(a: Point, b: Point, ...rest: Point[]): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

const midpoint = (a: Point, b?: Point): Point => ({ x: a.x, y: b?.y ?? 0 });

export const load = async function (this: unknown, path: string, { encoding = "utf8" } = {}): Promise<string> {
  return readFile(path, encoding as BufferEncoding);
};

export const isPoint = (value: unknown): value is Point => typeof value === "object";

class Shape {
  area(width: number, height: number): number { return width * height; }
}
`;

describe("typescript required_function_name", () => {
  it.each([
    ["distance", 5],
    ["midpoint", 9],
    ["load", 11],
    ["isPoint", 15],
  ])("finds %s (declarations, arrows, function expressions, exported or not)", (name, line) => {
    expect(check(TYPESCRIPT, "typescript", { rule: "required_function_name", name })).toMatchObject({
      passed: true,
      detail: `found '${name}' at line ${line}`,
    });
  });

  it("fails for an absent name, and does not count class methods", () => {
    expect(check(TYPESCRIPT, "typescript", { rule: "required_function_name", name: "area" })).toMatchObject({
      passed: false,
      detail: "no top-level function named 'area' (defined: distance, midpoint, load, isPoint)",
    });
  });

  it("ignores overload signatures and declare function, counting the implementation", () => {
    const code =
      "declare function ambient(a: number): void;\nfunction parse(a: string): number;\nfunction parse(a: string, radix?: number): number {\n  return Number.parseInt(a, radix);\n}\n";
    expect(check(code, "typescript", { rule: "required_function_name", name: "ambient" })?.passed).toBe(
      false,
    );
    expect(check(code, "typescript", { rule: "argument_count", function: "parse", count: 2 })).toMatchObject({
      passed: true,
      detail: "'parse' has 2 positional parameters",
    });
  });
});

describe("typescript argument_count", () => {
  it("excludes a rest parameter", () => {
    expect(
      check(TYPESCRIPT, "typescript", { rule: "argument_count", function: "distance", count: 2 })?.passed,
    ).toBe(true);
  });

  it("counts optional parameters", () => {
    expect(
      check(TYPESCRIPT, "typescript", { rule: "argument_count", function: "midpoint", count: 2 })?.passed,
    ).toBe(true);
  });

  it("excludes the this pseudo-parameter and counts destructured ones", () => {
    expect(
      check(TYPESCRIPT, "typescript", { rule: "argument_count", function: "load", count: 2 })?.passed,
    ).toBe(true);
  });

  it("applies an unnamed rule to the first top-level function", () => {
    expect(check(TYPESCRIPT, "typescript", { rule: "argument_count", count: 3 })).toMatchObject({
      passed: false,
      detail: "'distance' has 2 positional parameters, expected 3",
    });
  });

  it("counts the single unparenthesised parameter of an arrow", () => {
    expect(
      check("export const twice = x => x * 2;\n", "typescript", { rule: "argument_count", count: 1 })?.passed,
    ).toBe(true);
  });

  it("sees through parentheses and satisfies around a bound arrow", () => {
    const code = "type Fn = (a: number) => number;\nexport const f = ((a: number) => a) satisfies Fn;\n";
    expect(check(code, "typescript", { rule: "argument_count", function: "f", count: 1 })?.passed).toBe(true);
  });
});

describe("typescript return_type_annotation", () => {
  it("passes a matching type, whitespace ignored", () => {
    expect(
      check(TYPESCRIPT, "typescript", {
        rule: "return_type_annotation",
        function: "load",
        type: "Promise< string >",
      }),
    ).toMatchObject({ passed: true, detail: "'load' returns 'Promise<string>'" });
  });

  it("keeps a type predicate whole", () => {
    expect(
      check(TYPESCRIPT, "typescript", {
        rule: "return_type_annotation",
        function: "isPoint",
        type: "value is Point",
      }),
    )?.toMatchObject({ passed: true });
  });

  it("fails a different type", () => {
    expect(
      check(TYPESCRIPT, "typescript", {
        rule: "return_type_annotation",
        function: "distance",
        type: "string",
      }),
    ).toMatchObject({ passed: false, detail: "'distance' returns 'number', expected 'string'" });
  });

  it("fails a function without an annotation, even when its variable has a function type", () => {
    const code = "const f: (a: number) => number = (a) => a;\n";
    expect(check(code, "typescript", { rule: "return_type_annotation" })).toMatchObject({
      passed: false,
      detail: "'f' has no return type annotation",
    });
  });

  it("fails for a missing function", () => {
    expect(
      check(TYPESCRIPT, "typescript", { rule: "return_type_annotation", function: "nope" })?.detail,
    ).toBe("no top-level function named 'nope'");
  });
});

const JAVASCRIPT = `"use strict";
export function sum(values, initial = 0, ...more) {
  return values.reduce((a, b) => a + b, initial);
}
const pick = function ({ key }, [first] = []) { return key ?? first; };
let gen = function* () { yield 1; };
export default (a, b) => a - b;
`;

describe("javascript", () => {
  it("finds exported declarations and function expressions", () => {
    expect(check(JAVASCRIPT, "javascript", { rule: "required_function_name", name: "sum" })?.passed).toBe(
      true,
    );
    expect(check(JAVASCRIPT, "javascript", { rule: "required_function_name", name: "gen" })?.passed).toBe(
      true,
    );
    expect(check(JAVASCRIPT, "javascript", { rule: "required_function_name", name: "nope" })?.detail).toBe(
      "no top-level function named 'nope' (defined: sum, pick, gen)",
    );
  });

  it("counts parameters with defaults and patterns, without the rest parameter", () => {
    expect(check(JAVASCRIPT, "javascript", { rule: "argument_count", count: 2 })?.detail).toBe(
      "'sum' has 2 positional parameters",
    );
    expect(
      check(JAVASCRIPT, "javascript", { rule: "argument_count", function: "pick", count: 2 })?.passed,
    ).toBe(true);
    expect(
      check(JAVASCRIPT, "javascript", { rule: "argument_count", function: "pick", count: 1 })?.passed,
    ).toBe(false);
  });

  it("finds a named default export", () => {
    const code = "export default async function main(argv) {\n  return argv.length;\n}\n";
    expect(check(code, "javascript", { rule: "argument_count", function: "main", count: 1 })?.passed).toBe(
      true,
    );
  });

  it("includes an anonymous default export as a function", () => {
    const code = "export default function (a, b, c) { return a; }\n";
    expect(check(code, "javascript", { rule: "argument_count", count: 3 })).toMatchObject({
      passed: true,
      detail: "the anonymous function at line 1 has 3 positional parameters",
    });
  });

  it("always fails return_type_annotation: JavaScript has no annotations", () => {
    for (const rule of [
      { rule: "return_type_annotation" },
      { rule: "return_type_annotation", function: "sum", type: "number" },
    ] as const) {
      expect(check(JAVASCRIPT, "javascript", rule)).toEqual({
        tier: "ast",
        rule: "return_type_annotation",
        passed: false,
        detail: "javascript has no return type annotations",
      });
    }
  });
});
