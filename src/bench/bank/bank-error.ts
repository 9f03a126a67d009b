/**
 * Errors of task banks. Each carries a stable code for the CLI (all are bad input: exit code 2) and the
 * data a user needs to find the fault: the file, the field path or the line.
 */
import { type ExitClass, OrketError } from "../../spec/orket-error.js";

/** One thing wrong with a bank, as `orket bank validate` lists it. */
export interface BankProblem {
  /** The bank file, or `builtin`. */
  file: string;
  /** Dotted field path inside the bank, e.g. `tasks.3.evaluation.examples`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(problem: BankProblem): string {
  return `${problem.file}: ${problem.path ? `${problem.path}: ` : ""}${problem.message}`;
}

/** A bank file that cannot be read, is not JSON, breaks the schema or fails a semantic check. */
export class BankError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_BANK: "usage" };
  override readonly code = "BAD_BANK";
  readonly file: string;
  readonly path: string;
  /** Every problem found, the first of which is the message. */
  readonly problems: readonly BankProblem[];

  constructor(problems: readonly BankProblem[], options?: { cause?: unknown }) {
    const first = problems[0] ?? { file: "?", path: "", message: "invalid task bank" };
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : "";
    super(`${formatProblem(first)}${more}`, options);
    this.name = new.target.name;
    this.file = first.file;
    this.path = first.path;
    this.problems = problems;
  }
}

/** A `--tasks` value that does not name tasks of the bank. */
export class TaskSelectionError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_TASK_SELECTION: "usage" };
  override readonly code = "BAD_TASK_SELECTION";
  constructor(
    readonly spec: string,
    detail: string,
  ) {
    super(`--tasks ${JSON.stringify(spec)}: ${detail}`);
    this.name = new.target.name;
  }
}

/** A HumanEval JSONL line that is not JSON or lacks a field. `line` is 1-based. */
export class HumanEvalImportError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_HUMANEVAL: "usage" };
  override readonly code = "BAD_HUMANEVAL";
  constructor(
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`line ${line}: ${field ? `${field}: ` : ""}${detail}`);
    this.name = new.target.name;
  }
}
