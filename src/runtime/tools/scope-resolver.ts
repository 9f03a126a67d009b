/**
 * The filesystem half of the sandbox: following a checked path to what it names, with every symlink on
 * the way held inside its scope (the workspace root, or one reference), and opening the result so that
 * a symlink swapped in after the check is caught.
 */
import type { Stats } from "node:fs";
import { readlink, realpath, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { openPinned, type PinnedHandle } from "./open-pinned.js";
import { quotePath as q, SandboxError } from "./sandbox-error.js";
import { isInside } from "./sandbox-path.js";
import { errorCode, fsFailure, lstatIfExists, relativeName } from "./workspace-fs.js";

/** Where a path's names are looked up, and what they must stay inside. */
export interface Scope {
  /** Real path of the workspace root, or of one reference. */
  base: string;
  segments: string[];
  /** Workspace-relative names of `base` (`references/<name>`), for messages. */
  prefix: string[];
  /** "the workspace" or `reference "<name>"`. */
  label: string;
}

/**
 * Follows the path to an existing object, each symlink on the way resolved and held inside the scope
 * (a symlink leading out is SYMLINK_ESCAPE even where the path would come back in).
 */
export async function resolveExisting(path: string, scope: Scope): Promise<{ real: string; stats: Stats }> {
  let real = scope.base;
  let stats = await stat(real).catch((error: unknown) => {
    throw fsFailure(path, scope.prefix.join("/"), error);
  });
  for (const [index, segment] of scope.segments.entries()) {
    const shown = shownName(scope, index);
    if (!stats.isDirectory()) {
      throw new SandboxError("NOT_A_DIRECTORY", path, `${q(shownName(scope, index - 1))} is not a folder`);
    }
    const next = join(real, segment);
    const entry = await lstatIfExists(path, next, shown);
    if (entry === undefined) throw new SandboxError("NOT_FOUND", path, `${q(shown)} does not exist`);
    if (entry.isSymbolicLink()) {
      const target = await followLink(path, next, shown, scope);
      if (target === undefined) throw new SandboxError("NOT_FOUND", path, `${q(shown)} is a broken symlink`);
      real = target;
      stats = await stat(real).catch((error: unknown) => {
        throw fsFailure(path, shown, error);
      });
    } else {
      real = next;
      stats = entry;
    }
  }
  return { real, stats };
}

/** The real target of a symlink inside the scope; undefined when it is broken but points inside. */
export async function followLink(
  path: string,
  link: string,
  shown: string,
  scope: Scope,
): Promise<string | undefined> {
  const outside = () =>
    new SandboxError("SYMLINK_ESCAPE", path, `${q(shown)} is a symlink that leads outside ${scope.label}`);
  let target: string;
  try {
    target = await realpath(link);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ELOOP") throw new SandboxError("PATH_INVALID", path, `${q(shown)} is a symlink loop`);
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    // A broken link is judged by where it points: creating its target must not land outside either.
    const pointsTo = await readlink(link).catch(() => undefined);
    if (pointsTo !== undefined && !isInside(scope.base, resolve(dirname(link), pointsTo))) throw outside();
    return undefined;
  }
  if (!isInside(scope.base, target)) throw outside();
  return target;
}

/**
 * Opens a checked real path and confirms that what was opened is still inside the scope. `fdPaths`:
 * whether `/proc/self/fd` pins opened folders (see `open-pinned.ts`).
 */
export async function pinInScope(
  path: string,
  real: string,
  kind: "file" | "directory",
  scope: Scope,
  fdPaths: boolean,
): Promise<PinnedHandle> {
  let pinned: PinnedHandle;
  try {
    pinned = await openPinned(real, kind, fdPaths);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ELOOP" || code === "EMLINK") {
      throw new SandboxError("SYMLINK_ESCAPE", path, "turned into a symlink while it was being opened");
    }
    if (code === "ENOTDIR") {
      throw new SandboxError("NOT_A_DIRECTORY", path, "a folder on its way changed while being opened");
    }
    throw fsFailure(path, relativeName(scope.base, real), error);
  }
  if (pinned.real === undefined || !isInside(scope.base, pinned.real)) {
    await pinned.handle.close();
    throw new SandboxError("SYMLINK_ESCAPE", path, `was moved outside ${scope.label} while being opened`);
  }
  return pinned;
}

/** The workspace-relative form of the first `index + 1` names of the scope's path, for messages. */
export function shownName(scope: Scope, index: number): string {
  return [...scope.prefix, ...scope.segments.slice(0, index + 1)].join("/") || ".";
}
