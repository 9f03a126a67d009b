/**
 * How the CLI ends: known failures become one line with a stable code and an exit code; anything else
 * is a defect and prints its stack. Exit codes: 0 success, 1 the work failed, 2 bad usage or bad input.
 */
import { EXIT_CODES, type ExitClass, OrketError } from "../spec/orket-error.js";
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad flags, arguments or input files. */
export class CliUsageError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_USAGE: "usage" };
  override readonly code = "BAD_USAGE";
}

/** The exit code of an error: what its class declares for its code; anything else is a defect. */
export function exitCodeFor(error: unknown): number {
  if (OrketError.isInstance(error)) return EXIT_CODES[error.exitClass];
  return EXIT_FAILED;
}

/**
 * One line for an Orket error of the usage or failed class, and for an error of the system around it
 * (an errno code with its syscall: a full disk, a permission; SQLite's own codes); the stack, with a
 * request to report it, for anything else. docs/errors.md lists every code.
 */
export function describeError(error: unknown): string {
  if (OrketError.isInstance(error) && error.exitClass !== "internal") {
    return `orket: ${error.code}: ${error.message}`;
  }
  if (isSystemError(error)) return `orket: ${error.code}: ${error.message}`;
  const cause = OrketError.isInstance(error) && error.cause !== undefined ? error.cause : error;
  return `orket: internal error (please report it):\n${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`;
}

/** An error of the system around Orket: an errno with its syscall, or SQLite's own (busy, full, I/O). */
function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (typeof code !== "string") return false;
  return typeof syscall === "string" || /^SQLITE_[A-Z_]+$/.test(code);
}
