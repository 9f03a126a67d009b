/**
 * How the CLI ends: known failures become one line with a stable code and an exit code; anything else
 * is a defect and prints its stack. Exit codes: 0 success, 1 the work failed, 2 bad usage or bad input.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad flags, arguments or input files. */
export class CliUsageError extends Error {
  readonly code = "BAD_USAGE";
}

interface CodedError extends Error {
  code: string;
}

const USAGE_CODES = new Set([
  "BAD_USAGE",
  "BAD_MODEL_REF",
  "BAD_PROVIDER_SETTINGS",
  "BAD_REQUEST",
  "CONTEXT_EXCEEDED",
  "MODEL_LOAD_FAILED",
  "BAD_CONFIG",
  "RUN_REFUSED",
  "TURN_NOT_FOUND",
  "BAD_BANK",
  "BAD_TASK_SELECTION",
  "BAD_HUMANEVAL",
  "BAD_SELECTION_INPUT",
  "BAD_ANALYZE_INPUT",
  "BAD_TRACE",
  "BAD_CHECK_INPUT",
  "BAD_SWEEP",
  "BAD_JOURNAL",
]);

export function exitCodeFor(error: unknown): number {
  return isCoded(error) && USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILED;
}

/** One line for a known error; the stack for an unknown one. */
export function describeError(error: unknown): string {
  if (isCoded(error) && error.code !== "INTERNAL" && /^[A-Z_]+$/.test(error.code)) {
    return `orket: ${error.code}: ${error.message}`;
  }
  const cause = isCoded(error) && error.code === "INTERNAL" ? error.cause : error;
  return `orket: internal error (please report it):\n${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`;
}

function isCoded(error: unknown): error is CodedError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof error.message === "string"
  );
}
