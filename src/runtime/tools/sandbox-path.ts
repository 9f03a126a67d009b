/**
 * The lexical half of the sandbox: what a workspace path may look like, before any file is touched.
 * The filesystem half (symlinks, real paths) is in `workspace.ts`; this half alone already keeps every
 * path that does not follow a symlink inside the folder it is joined to.
 *
 * A path is workspace-relative POSIX: `/`-separated, no `..` segment, no backslash, no drive, no `~`.
 * Names are taken literally: `%2e%2e`, `．．` (fullwidth) and `․․` (one-dot leaders) are ordinary names,
 * and Unicode is not normalized (NFC and NFD spellings are two names, as on Linux). Windows device
 * names (`CON`, `NUL`, `COM1`) are ordinary names too: the sandbox targets Linux and macOS, where they
 * mean nothing.
 */
import { sep } from "node:path";
import { SandboxError } from "./sandbox-error.js";

/** Linux PATH_MAX and NAME_MAX, in UTF-8 bytes as the kernel counts them. */
export const MAX_PATH_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 255;

export interface WorkspacePath {
  /** The segments, without empty and `.` ones; none for the root. */
  segments: string[];
  /** The segments joined with `/`, or `.` for the root: the form results report. */
  normalized: string;
  /** The path ended with `/`, which names a folder. */
  trailingSlash: boolean;
}

/**
 * Control characters (C0, DEL, C1), invisible formatting characters (zero-width, bidi overrides, BOM),
 * line and paragraph separators, private-use characters and lone surrogates: none is needed in a file
 * name, and each can make a name look like another one or split a log line.
 */
const FORBIDDEN_CHAR = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}]/u;
const DRIVE = /^[A-Za-z]:/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const EDGE_WHITESPACE = /^\s|\s$/u;

/** Checks a model-chosen path and splits it into segments; throws `SandboxError` on anything else. */
export function parseWorkspacePath(raw: unknown): WorkspacePath {
  if (typeof raw !== "string") {
    throw new SandboxError("PATH_INVALID", String(raw), `path must be a string, not ${typeof raw}`);
  }
  if (raw.trim() === "") throw new SandboxError("PATH_EMPTY", raw, "path is empty");
  const bad = FORBIDDEN_CHAR.exec(raw);
  if (bad) {
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    throw new SandboxError("PATH_INVALID", raw, `path contains a control or invisible character (U+${code})`);
  }
  const bytes = Buffer.byteLength(raw, "utf8");
  if (bytes > MAX_PATH_BYTES) {
    throw new SandboxError(
      "PATH_INVALID",
      raw,
      `path is ${bytes} bytes long; the limit is ${MAX_PATH_BYTES}`,
    );
  }
  if (raw.startsWith("/") || raw.startsWith("\\") || DRIVE.test(raw) || URL_SCHEME.test(raw)) {
    throw new SandboxError("PATH_ABSOLUTE", raw, "path must be relative to the workspace, not absolute");
  }
  if (raw.startsWith("~")) {
    throw new SandboxError(
      "PATH_ABSOLUTE",
      raw,
      "path must be relative to the workspace; `~` is not expanded",
    );
  }
  if (raw.includes("\\")) {
    throw new SandboxError(
      "PATH_INVALID",
      raw,
      "path must use `/` as separator; backslashes are not allowed",
    );
  }
  const parts = raw.split("/");
  if (parts.includes("..")) {
    throw new SandboxError("PATH_TRAVERSAL", raw, "path must not contain `..` segments");
  }
  const segments: string[] = [];
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (EDGE_WHITESPACE.test(part)) {
      throw new SandboxError("PATH_INVALID", raw, "a name in the path begins or ends with whitespace");
    }
    const partBytes = Buffer.byteLength(part, "utf8");
    if (partBytes > MAX_SEGMENT_BYTES) {
      throw new SandboxError(
        "PATH_INVALID",
        raw,
        `a name in the path is ${partBytes} bytes long; the limit is ${MAX_SEGMENT_BYTES}`,
      );
    }
    segments.push(part);
  }
  return {
    segments,
    normalized: segments.length === 0 ? "." : segments.join("/"),
    trailingSlash: raw.endsWith("/"),
  };
}

/** Whether `path` is `base` or lies under it; both absolute and already resolved. */
export function isInside(base: string, path: string): boolean {
  if (path === base) return true;
  const prefix = base.endsWith(sep) ? base : `${base}${sep}`;
  return path.startsWith(prefix);
}
