/**
 * What an evaluation returns: one result per example, the totals, and an error when the solution could
 * not be run at all (then every example is listed as failed with that error, so totals stay comparable).
 */
import { type ExitClass, OrketError } from "../../spec/orket-error.js";

export type EvaluatorErrorCode = "RUNTIME_MISSING" | "SANDBOX_FAILED" | "COMPILE_FAILED";

export const EVALUATOR_ERROR_CODES: readonly EvaluatorErrorCode[] = [
  "RUNTIME_MISSING",
  "SANDBOX_FAILED",
  "COMPILE_FAILED",
];

export interface ExampleResult {
  index: number;
  passed: boolean;
  /** One line: expected vs got, or the error. */
  detail: string;
  /** Wall time of the example as the parent saw it, runtime start-up not included; 3 decimals. */
  duration_ms: number;
  timed_out: boolean;
  /**
   * How the example's own process ended. Function examples share one process, so these stay null for
   * an example that returned; they are set for the example during which the process ended or was killed.
   */
  exit_code: number | null;
  signal: string | null;
  /** stdout + stderr went past `outputBytes` and the process was killed. */
  stdout_truncated: boolean;
}

export interface EvaluationResult {
  passed: boolean;
  passed_examples: number;
  total_examples: number;
  examples: ExampleResult[];
  error: { code: EvaluatorErrorCode; message: string } | null;
}

/** Raised inside the evaluator for a failure that is not the candidate's; `evaluate` turns it into a result. */
export class EvaluatorError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = Object.fromEntries(
    EVALUATOR_ERROR_CODES.map((code) => [code, "failed" as const]),
  );
  override readonly code: EvaluatorErrorCode;

  constructor(code: EvaluatorErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  static is(value: unknown): value is EvaluatorError {
    return value instanceof EvaluatorError;
  }
}

export function summarize(examples: ExampleResult[]): EvaluationResult {
  const passed = examples.filter((example) => example.passed).length;
  return {
    passed: examples.length > 0 && passed === examples.length,
    passed_examples: passed,
    total_examples: examples.length,
    examples,
    error: null,
  };
}

export function failedEvaluation(total: number, code: EvaluatorErrorCode, message: string): EvaluationResult {
  const detail = oneLine(`${code}: ${message}`);
  return {
    passed: false,
    passed_examples: 0,
    total_examples: total,
    examples: Array.from({ length: total }, (_, index) => ({
      index,
      passed: false,
      detail,
      duration_ms: 0,
      timed_out: false,
      exit_code: null,
      signal: null,
      stdout_truncated: false,
    })),
    error: { code, message },
  };
}

const DETAIL_CHARS = 500;

/** Text made safe for a one-line detail: line breaks and control characters escaped, length capped. */
export function oneLine(text: string, max = DETAIL_CHARS): string {
  const flat = text.replace(/\r?\n/g, "\\n").replace(/[\p{Cc}]/gu, (char) => {
    return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
  });
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
