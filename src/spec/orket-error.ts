/**
 * The one base of every error Orket raises on purpose. Each error class declares its codes and, for
 * each, its exit class, so the exit code comes from the error itself, never from a list kept elsewhere:
 *
 * - `usage`: bad flags, arguments, files or settings; the user can fix the input (exit 2);
 * - `failed`: the input was fine and the work failed (a server down, a run refused, a check failed;
 *   exit 1);
 * - `internal`: a defect; the CLI prints the stack and asks for a report (exit 1).
 *
 * A code a class does not declare is `internal`. `OrketError.isInstance` recognises an Orket error by
 * a global symbol, so it also works across two copies of this module (two installs of Orket in one
 * process), where `instanceof` does not. docs/errors.md lists every code; a test keeps it in step.
 */

export type ExitClass = "usage" | "failed" | "internal";

/** The process exit code of each exit class. */
export const EXIT_CODES: Readonly<Record<ExitClass, number>> = { usage: 2, failed: 1, internal: 1 };

const MARKER = Symbol.for("orket.error");

export class OrketError extends Error {
  /** Every code this class (or a subclass that does not declare its own) raises, with its exit class. */
  static readonly codes: Readonly<Record<string, ExitClass>> = {};

  declare readonly code: string;
  readonly [MARKER] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  /** How the CLI ends on this error: the class's declaration for its code, else `internal`. */
  get exitClass(): ExitClass {
    const codes = (this.constructor as typeof OrketError).codes;
    return Object.hasOwn(codes, this.code) ? (codes[this.code] as ExitClass) : "internal";
  }

  /** True for an Orket error, from this copy of Orket or another. */
  static isInstance(value: unknown): value is OrketError {
    return typeof value === "object" && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true;
  }
}
