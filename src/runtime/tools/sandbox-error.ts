/**
 * Refusals of the workspace sandbox. Each has a stable code and the path exactly as the model gave it;
 * the message is one line that starts with the quoted path, so it can be shown to the model as is.
 */
import { type ExitClass, OrketError } from "../../spec/orket-error.js";

export type SandboxErrorCode =
  | "PATH_EMPTY"
  | "PATH_ABSOLUTE"
  | "PATH_TRAVERSAL"
  | "PATH_INVALID"
  | "PATH_ESCAPE"
  | "SYMLINK_ESCAPE"
  | "NOT_FOUND"
  | "NOT_A_FILE"
  | "NOT_A_DIRECTORY"
  | "TOO_LARGE"
  | "READ_ONLY"
  | "BINARY_FILE"
  | "NO_SPACE";

export const SANDBOX_ERROR_CODES: readonly SandboxErrorCode[] = [
  "PATH_EMPTY",
  "PATH_ABSOLUTE",
  "PATH_TRAVERSAL",
  "PATH_INVALID",
  "PATH_ESCAPE",
  "SYMLINK_ESCAPE",
  "NOT_FOUND",
  "NOT_A_FILE",
  "NOT_A_DIRECTORY",
  "TOO_LARGE",
  "READ_ONLY",
  "BINARY_FILE",
  "NO_SPACE",
];

export class SandboxError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = Object.fromEntries(
    SANDBOX_ERROR_CODES.map((code) => [code, "failed" as const]),
  );
  override readonly code: SandboxErrorCode;
  /** The path as the caller gave it, unchanged (it may hold the very characters that were refused). */
  readonly path: string;

  constructor(code: SandboxErrorCode, path: string, reason: string, options: { cause?: unknown } = {}) {
    super(
      `${quotePath(path)}: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.path = path;
  }

  static is(value: unknown): value is SandboxError {
    return value instanceof SandboxError;
  }
}

/** Characters that would break a one-line message or hide what a name really is. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const SHOWN_CHARS = 160;

/**
 * A path quoted for a one-line message: control, invisible and bidi characters escaped as `\uXXXX`,
 * and at most 160 characters shown, so a hostile path can neither forge lines nor flood a log.
 */
export function quotePath(path: string): string {
  const shown = path.length > SHOWN_CHARS ? path.slice(0, SHOWN_CHARS) : path;
  const escaped = shown
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"')
    .replace(UNPRINTABLE, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`);
  return `"${escaped}${shown === path ? "" : `…(${path.length} chars)`}"`;
}
