/** Small filesystem helpers of the workspace sandbox: bounded reads, error mapping, listing order. */
import type { Dirent, Stats } from "node:fs";
import { lstat } from "node:fs/promises";
import { relative, sep } from "node:path";
import type { PinnedHandle } from "./open-pinned.js";
import { quotePath as q, SandboxError } from "./sandbox-error.js";

export type EntryType = "file" | "directory" | "symlink" | "other";

const READ_CHUNK = 64 * 1024;

/** Reads to the end, or returns undefined as soon as more than `limit` bytes came. */
export async function readAtMost(pinned: PinnedHandle, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, limit + 1 - total));
    const { bytesRead } = await pinned.handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > limit) return undefined;
  }
}

export async function lstatIfExists(path: string, target: string, shown: string): Promise<Stats | undefined> {
  try {
    return await lstat(target);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw fsFailure(path, shown, error);
  }
}

/** The entry with the size of the file at `path`, or unchanged when the file vanished meanwhile. */
export async function withSize<T extends object>(entry: T, path: string): Promise<T & { bytes?: number }> {
  const stats = await lstat(path).catch(() => undefined);
  return stats === undefined ? entry : { ...entry, bytes: stats.size };
}

/** Maps the errors a race or a long name can cause; others (EACCES, ENOSPC) propagate unchanged. */
export function fsFailure(path: string, shown: string, error: unknown): unknown {
  const options = { cause: error };
  switch (errorCode(error)) {
    case "ENOENT":
      return new SandboxError("NOT_FOUND", path, `${q(shown)} does not exist`, options);
    case "ENOTDIR":
      return new SandboxError(
        "NOT_A_DIRECTORY",
        path,
        `a folder on the way to ${q(shown)} is a file`,
        options,
      );
    case "ENAMETOOLONG":
      return new SandboxError("PATH_INVALID", path, "path is too long for the filesystem", options);
    case "ELOOP":
      return new SandboxError("PATH_INVALID", path, "path goes through a symlink loop", options);
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG":
      // The disk (or the quota) is full: a tool error the model sees, nothing half-written is left.
      return new SandboxError("NO_SPACE", path, "the disk is full: nothing was written", options);
    default:
      return error;
  }
}

/** The type of a directory entry itself: a symlink is "symlink", never what it points to. */
export function entryType(dirent: Dirent): EntryType {
  if (dirent.isSymbolicLink()) return "symlink";
  if (dirent.isDirectory()) return "directory";
  return dirent.isFile() ? "file" : "other";
}

export function relativeName(base: string, real: string): string {
  return relative(base, real).split(sep).join("/") || ".";
}

export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}
