/**
 * Opening a checked path so that a symlink swapped in after the check cannot redirect what follows.
 * The last name is opened with O_NOFOLLOW, so a symlink there fails to open. Any earlier folder may
 * still have been swapped, so the caller asks where the opened object really is (`real`) and refuses
 * it when that is outside. On Linux, `via` is `/proc/self/fd/<n>`: a path that reaches exactly the
 * opened folder whatever happens to its name afterwards, the `openat` that Node lacks. Elsewhere `via`
 * is the checked path itself and a small race remains between the check and the use.
 */
import { constants } from "node:fs";
import { type FileHandle, open, readlink, realpath, stat } from "node:fs/promises";

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

export interface PinnedHandle {
  handle: FileHandle;
  /** A path that reaches the opened object: its `/proc/self/fd` link where the system has one. */
  via: string;
  /** Where the opened object really is, or undefined where that could not be confirmed. */
  real: string | undefined;
}

/**
 * Opens `path` (already resolved to a real path) without following a symlink in its last name, and
 * non-blocking, so a FIFO swapped in cannot hang the call. Errors of `open` propagate: `ELOOP` (`EMLINK`
 * on FreeBSD) means the last name is a symlink now. A `directory` that is something else now fails
 * with `ENOTDIR`. The caller closes the handle.
 */
export async function openPinned(
  path: string,
  kind: "file" | "directory",
  fdPaths: boolean,
): Promise<PinnedHandle> {
  // Not O_DIRECTORY: with it, Linux reports a symlink as ENOTDIR, which a file would give as well.
  const handle = await open(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    if (kind === "directory" && !(await handle.stat()).isDirectory()) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, open '${path}'`), { code: "ENOTDIR" });
    }
    const real = fdPaths ? await readlink(fdPath(handle)) : await confirmIdentity(handle, path);
    return { handle, via: fdPaths ? fdPath(handle) : path, real };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Whether `/proc/self/fd/<n>` names the opened folder and can be walked through, tried on `dir`.
 * False on systems without procfs, and in sandboxes whose procfs does not behave like Linux's.
 */
export async function probeFdPaths(dir: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(dir, constants.O_RDONLY | O_DIRECTORY);
  } catch {
    return false;
  }
  try {
    const [target, opened, walked] = await Promise.all([
      readlink(fdPath(handle)),
      handle.stat(),
      stat(`${fdPath(handle)}/.`),
    ]);
    return target === dir && opened.dev === walked.dev && opened.ino === walked.ino;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

function fdPath(handle: FileHandle): string {
  return `/proc/self/fd/${handle.fd}`;
}

/** Without procfs: the opened object is the one at the path's real location when their identities match. */
async function confirmIdentity(handle: FileHandle, path: string): Promise<string | undefined> {
  const real = await realpath(path);
  const [opened, there] = await Promise.all([handle.stat(), stat(real)]);
  return opened.dev === there.dev && opened.ino === there.ino ? real : undefined;
}
