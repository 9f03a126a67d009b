/**
 * `orket bank selftest`: runs every task's reference solution through the evaluator and the constraint
 * validator. A bank whose own solutions fail its examples or break its own constraints would blame
 * models for the bank's mistakes, so a shipped bank must pass 100 %.
 */
import { round3 } from "../../core/shared/rounding.js";
import type { ConstraintCheck, Evaluation, Language, Task, TaskBank } from "../../spec/bank.js";
import type { ConstraintValidator } from "../../validation/constraint-validator.js";
import type { EvaluatorLimits } from "../evaluator/limits.js";

/** The part of the evaluator's result that the self-test reads. */
export interface SelftestEvaluation {
  passed: boolean;
  passed_examples: number;
  total_examples: number;
  examples: Array<{ index: number; passed: boolean; detail: string }>;
  error: { code: string; message: string } | null;
}

/** The evaluator's `evaluate`, or a stand-in for tests. */
export type EvaluateFn = (
  code: string,
  language: Language,
  evaluation: Evaluation,
  limits?: EvaluatorLimits,
) => Promise<SelftestEvaluation>;

export interface SelftestOptions {
  /** Default: the real evaluator, imported when the self-test starts. */
  evaluate?: EvaluateFn;
  /** Default: the real constraint validator, created when the self-test starts. */
  validator?: ConstraintValidator;
  /** Tasks evaluated at once. Default 2: each evaluation starts its own runtime processes. */
  concurrency?: number;
  limits?: EvaluatorLimits;
  /** Called as each task finishes, in completion order, for progress output. */
  onTask?: (result: TaskSelftest) => void;
  /** Milliseconds of a monotonic clock, for durations. Default `performance.now`. */
  now?: () => number;
}

export interface TaskSelftest {
  task_id: string;
  language: Language;
  tier: number;
  passed: boolean;
  passed_examples: number;
  total_examples: number;
  /** The reference solution's score against the task's own constraints; it must be 1. */
  adherence_score: number | null;
  failed_checks: ConstraintCheck[];
  duration_ms: number;
  /** One line: `4/4 examples passed`, then the first failed examples or the error, and failed checks. */
  detail: string;
  /** Failed examples. */
  failures: Array<{ index: number; detail: string }>;
  /** The evaluator's error, or `EVALUATE_THREW` when `evaluate` itself threw. */
  error: { code: string; message: string } | null;
}

export interface BankSelftest {
  bank: string;
  version: string;
  /** In bank order. */
  tasks: TaskSelftest[];
  total: number;
  passed: number;
  failed: number;
  /** passed / total, 3 decimals. */
  pass_rate: number;
  all_passed: boolean;
  failed_task_ids: string[];
}

/** Evaluates every reference solution of `bank`; never throws for a failing task, only reports it. */
export async function selftestBank(bank: TaskBank, options: SelftestOptions = {}): Promise<BankSelftest> {
  const evaluate = options.evaluate ?? (await loadEvaluator());
  const validator = options.validator ?? (await loadValidator());
  const now = options.now ?? (() => performance.now());
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2));
  const results: TaskSelftest[] = new Array(bank.tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < bank.tasks.length) {
      const i = next++;
      const result = await selftestTask(bank.tasks[i] as Task, {
        evaluate,
        validator,
        now,
        limits: options.limits,
      });
      results[i] = result;
      options.onTask?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bank.tasks.length) }, worker));
  const passed = results.filter((r) => r.passed).length;
  return {
    bank: bank.name,
    version: bank.version,
    tasks: results,
    total: results.length,
    passed,
    failed: results.length - passed,
    pass_rate: results.length === 0 ? 0 : round3(passed / results.length),
    all_passed: results.length > 0 && passed === results.length,
    failed_task_ids: results.filter((r) => !r.passed).map((r) => r.task_id),
  };
}

interface TaskContext {
  evaluate: EvaluateFn;
  validator: ConstraintValidator;
  now: () => number;
  limits: EvaluatorLimits | undefined;
}

async function selftestTask(
  task: Task,
  { evaluate, validator, now, limits }: TaskContext,
): Promise<TaskSelftest> {
  const start = now();
  const validation = validator.validate(task.reference_solution, task.language, task.constraints);
  const failedChecks = validation.checks.filter((check) => !check.passed);
  const base = {
    task_id: task.id,
    language: task.language,
    tier: task.tier,
    adherence_score: validation.adherence_score,
    failed_checks: failedChecks,
  };
  let evaluation: SelftestEvaluation;
  try {
    evaluation = await evaluate(task.reference_solution, task.language, task.evaluation, limits);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ...base,
      passed: false,
      passed_examples: 0,
      total_examples: exampleCount(task.evaluation),
      duration_ms: round3(now() - start),
      detail: `evaluate threw: ${message}${describeChecks(failedChecks)}`,
      failures: [],
      error: { code: "EVALUATE_THREW", message },
    };
  }
  const failures = evaluation.examples
    .filter((e) => !e.passed)
    .map((e) => ({ index: e.index, detail: e.detail }));
  const passed =
    evaluation.passed && evaluation.error === null && failures.length === 0 && failedChecks.length === 0;
  return {
    ...base,
    passed,
    passed_examples: evaluation.passed_examples,
    total_examples: evaluation.total_examples,
    duration_ms: round3(now() - start),
    detail: `${describe(evaluation, failures)}${describeChecks(failedChecks)}`,
    failures,
    error: evaluation.error,
  };
}

function describe(evaluation: SelftestEvaluation, failures: TaskSelftest["failures"]): string {
  const counts = `${evaluation.passed_examples}/${evaluation.total_examples} examples passed`;
  if (evaluation.error) return `${counts}; ${evaluation.error.code}: ${evaluation.error.message}`;
  if (failures.length === 0)
    return evaluation.passed ? counts : `${counts}; the evaluator reported a failure`;
  const shown = failures.slice(0, 2).map((f) => `#${f.index}: ${f.detail}`);
  const more = failures.length > shown.length ? `; and ${failures.length - shown.length} more` : "";
  return `${counts}; ${shown.join("; ")}${more}`;
}

function describeChecks(failed: ConstraintCheck[]): string {
  if (failed.length === 0) return "";
  return `; the reference breaks its constraints: ${failed.map((c) => `${c.rule} (${c.detail})`).join("; ")}`;
}

function exampleCount(evaluation: Evaluation): number {
  return evaluation.kind === "test_program" ? 1 : evaluation.examples.length;
}

async function loadEvaluator(): Promise<EvaluateFn> {
  const { evaluate } = await import("../evaluator/index.js");
  return evaluate;
}

async function loadValidator(): Promise<ConstraintValidator> {
  const { createConstraintValidator } = await import("../../validation/constraint-validator.js");
  return createConstraintValidator();
}
