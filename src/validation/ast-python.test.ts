import { beforeAll, describe, expect, it } from "vitest";
import { type AstRule, type ConstraintCheck, ConstraintsSchema } from "../spec/bank.js";
import { type ConstraintValidator, createConstraintValidator } from "./constraint-validator.js";

let validator: ConstraintValidator;
beforeAll(async () => {
  validator = await createConstraintValidator();
});

function check(code: string, rule: AstRule): ConstraintCheck | undefined {
  return validator.validate(code, "python", ConstraintsSchema.parse({ ast_rules: [rule] })).checks[0];
}

const SOURCE = `"""Geometry helpers."""
import math


def area(radius: float) -> float:
    return math.pi * radius ** 2


def scale(values, factor=2, /, offset: int = 0, *args, clamp, limit=10, **options) -> list[int]:
    return [v * factor + offset for v in values]


class Shape:
    def perimeter(self, sides, length):
        return sides * length
`;

describe("python required_function_name", () => {
  it("finds a top-level def", () => {
    expect(check(SOURCE, { rule: "required_function_name", name: "scale" })).toEqual({
      tier: "ast",
      rule: "required_function_name",
      passed: true,
      detail: "found 'scale' at line 9",
    });
  });

  it("fails for a name that is absent and lists the names defined", () => {
    expect(check(SOURCE, { rule: "required_function_name", name: "volume" })).toMatchObject({
      passed: false,
      detail: "no top-level function named 'volume' (defined: area, scale)",
    });
  });

  it("does not count methods as top-level functions", () => {
    expect(check(SOURCE, { rule: "required_function_name", name: "perimeter" })?.passed).toBe(false);
  });

  it("finds decorated and async functions", () => {
    const code = "import functools\n\n@functools.cache\nasync def fetch(url):\n    return url\n";
    expect(check(code, { rule: "required_function_name", name: "fetch" })).toMatchObject({
      passed: true,
      detail: "found 'fetch' at line 4",
    });
  });

  it("does not count a lambda bound to a name or a def nested in an if block", () => {
    const code = "add = lambda a, b: a + b\nif True:\n    def sub(a, b):\n        return a - b\n";
    expect(check(code, { rule: "required_function_name", name: "add" })?.passed).toBe(false);
    expect(check(code, { rule: "required_function_name", name: "sub" })?.detail).toBe(
      "no top-level function named 'sub' (none defined)",
    );
  });
});

describe("python argument_count", () => {
  it("counts positional parameters, defaults included", () => {
    expect(check(SOURCE, { rule: "argument_count", function: "area", count: 1 })).toMatchObject({
      passed: true,
      detail: "'area' has 1 positional parameter",
    });
  });

  it("stops at *args: keyword-only parameters and **kwargs are not positional", () => {
    expect(check(SOURCE, { rule: "argument_count", function: "scale", count: 3 })).toMatchObject({
      passed: true,
      detail: "'scale' has 3 positional parameters",
    });
  });

  it("stops at a bare * separator", () => {
    const code = "def config(path, mode='r', *, strict, retries=3):\n    pass\n";
    expect(check(code, { rule: "argument_count", count: 2 })?.passed).toBe(true);
  });

  it("stops at typed *args and ignores comments between parameters", () => {
    const code =
      "def f(\n    a: int,  # first\n    b: str = '',\n    *rest: int,\n    **kw: str,\n) -> None:\n    pass\n";
    expect(check(code, { rule: "argument_count", count: 2 })?.passed).toBe(true);
  });

  it("fails with the actual and expected counts", () => {
    expect(check(SOURCE, { rule: "argument_count", function: "area", count: 2 })).toMatchObject({
      passed: false,
      detail: "'area' has 1 positional parameter, expected 2",
    });
  });

  it("applies an unnamed rule to the first top-level function", () => {
    expect(check(SOURCE, { rule: "argument_count", count: 1 })?.detail).toBe(
      "'area' has 1 positional parameter",
    );
  });

  it("fails when the named function does not exist", () => {
    expect(check(SOURCE, { rule: "argument_count", function: "volume", count: 1 })).toMatchObject({
      passed: false,
      detail: "no top-level function named 'volume'",
    });
  });

  it("uses the last definition of a name, the one bound at import time", () => {
    const code = "def f(a):\n    pass\n\ndef f(a, b):\n    pass\n";
    expect(check(code, { rule: "argument_count", function: "f", count: 2 })?.passed).toBe(true);
  });
});

describe("python return_type_annotation", () => {
  it("passes when an annotation is present", () => {
    expect(check(SOURCE, { rule: "return_type_annotation", function: "area" })).toMatchObject({
      passed: true,
      detail: "'area' returns 'float'",
    });
  });

  it("compares the expected type ignoring whitespace", () => {
    expect(
      check(SOURCE, { rule: "return_type_annotation", function: "scale", type: "list[ int ]" })?.passed,
    ).toBe(true);
  });

  it("fails when the type differs", () => {
    expect(check(SOURCE, { rule: "return_type_annotation", function: "area", type: "int" })).toMatchObject({
      passed: false,
      detail: "'area' returns 'float', expected 'int'",
    });
  });

  it("fails when there is no annotation", () => {
    const code = "def area(r):\n    return r\n";
    expect(check(code, { rule: "return_type_annotation" })).toMatchObject({
      passed: false,
      detail: "'area' has no return type annotation",
    });
  });

  it("fails an unnamed rule when the module has no function", () => {
    expect(check("x = 1\n", { rule: "return_type_annotation" })?.detail).toBe("no top-level function");
  });
});
