/**
 * Task banks (`orket.task_bank.v1`): coding tasks with their constraints, how a solution is evaluated,
 * and a reference solution. Validated on load; exported as JSON Schema under `schemas/`.
 */
import { z } from "zod";

export const TASK_BANK_SCHEMA_VERSION = "orket.task_bank.v1";

export const LanguageSchema = z.enum(["python", "typescript", "javascript"]);
export type Language = z.infer<typeof LanguageSchema>;

export const AstRuleSchema = z.discriminatedUnion("rule", [
  z.strictObject({ rule: z.literal("required_function_name"), name: z.string().min(1) }),
  z.strictObject({
    rule: z.literal("argument_count"),
    /** Omitted: the first top-level function. */
    function: z.string().min(1).optional(),
    /** Positional parameters. */
    count: z.number().int().min(0),
  }),
  z.strictObject({
    rule: z.literal("return_type_annotation"),
    function: z.string().min(1).optional(),
    /** When set, the annotation's text must equal this (whitespace ignored). */
    type: z.string().min(1).optional(),
  }),
]);
export type AstRule = z.infer<typeof AstRuleSchema>;

export const ConstraintsSchema = z.strictObject({
  regex_required: z.array(z.string()).default([]),
  regex_forbidden: z.array(z.string()).default([]),
  ast_rules: z.array(AstRuleSchema).default([]),
});
export type Constraints = z.infer<typeof ConstraintsSchema>;

export const FunctionExampleSchema = z.strictObject({ args: z.array(z.unknown()), expected: z.unknown() });
export const CliExampleSchema = z.strictObject({
  args: z.array(z.string()).default([]),
  stdin: z.string().default(""),
  expected_stdout: z.string(),
  expected_exit_code: z.number().int().default(0),
});

export const EvaluationSchema = z.discriminatedUnion("kind", [
  /** Call `function_name` with each example's args; the result must deep-equal `expected` (JSON semantics). */
  z.strictObject({
    kind: z.literal("function"),
    function_name: z.string().min(1),
    examples: z.array(FunctionExampleSchema).min(1),
  }),
  /** Run the solution as a program with args and stdin; stdout (trailing whitespace trimmed) and the exit code must match. */
  z.strictObject({ kind: z.literal("cli"), examples: z.array(CliExampleSchema).min(1) }),
  /**
   * A test program in the task's language, run after the solution in the same module scope; it passes
   * when it exits 0. HumanEval imports use this with `check(<entry_point>)`.
   */
  z.strictObject({ kind: z.literal("test_program"), program: z.string().min(1) }),
]);
export type Evaluation = z.infer<typeof EvaluationSchema>;

export const TaskSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._/-]*$/, "lowercase letters, digits, '.', '_', '-', '/'"),
  tier: z.number().int().min(1).max(5),
  title: z.string().min(1),
  instruction: z.string().min(1),
  language: LanguageSchema,
  /** The signature the solution must have, shown to the model, e.g. `def add(a: int, b: int) -> int`. */
  function_signature: z.string().default(""),
  constraints: ConstraintsSchema.default({ regex_required: [], regex_forbidden: [], ast_rules: [] }),
  evaluation: EvaluationSchema,
  reference_solution: z.string().min(1),
  /** The file an agent-mode coder must write; default solution.py / solution.ts / solution.js. */
  solution_file: z.string().optional(),
});
export type Task = z.infer<typeof TaskSchema>;

export const TaskBankSchema = z.strictObject({
  schema_version: z.literal(TASK_BANK_SCHEMA_VERSION),
  name: z.string().min(1),
  version: z.string().min(1),
  description: z.string().default(""),
  tasks: z.array(TaskSchema).min(1),
});
export type TaskBank = z.infer<typeof TaskBankSchema>;

/** The result of validating code against a task's constraints. */
export interface ConstraintCheck {
  tier: "regex" | "ast";
  rule: string;
  passed: boolean;
  detail: string;
}

export interface ValidationResult {
  passed_checks: number;
  total_checks: number;
  /** passed/total, 3 decimals; 1 with no checks; null when there was no code. */
  adherence_score: number | null;
  checks: ConstraintCheck[];
}
