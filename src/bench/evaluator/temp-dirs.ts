/**
 * The evaluator's temp dirs carry the identity of the Orket process that made them
 * (`orket-eval-<pid>.<start time>-…`, the start time from `/proc/<pid>/stat` on Linux), so that when that
 * process was killed before it could remove them (`kill -9`, the OOM killer), the next evaluator finds
 * and removes them. A dir is stale when no process with that pid and start time exists: a pid reused
 * since is a different process. Where the start time cannot be read (not Linux), a dir counts as stale
 * only when its pid is gone and it is over a minute old. This assumes one PID namespace per temp folder
 * (the usual case: containers have their own /tmp).
 */
import { existsSync, readFileSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const TEMP_PREFIXES = { candidate: "orket-eval-", checker: "orket-check-" } as const;

const STALE = /^orket-(?:eval|check)-(\d+)(?:\.(\d+))?-/;
const MIN_AGE_MS = 60_000;

/** Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks since boot; null if unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

let tag: string | undefined;

/** This process's part of a temp dir's name: `<pid>.<start time>`, or `<pid>` where that is unknown. */
export function processTag(): string {
  if (tag === undefined) {
    const start = processStartTime(process.pid);
    tag = start === null ? String(process.pid) : `${process.pid}.${start}`;
  }
  return tag;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes the dirs under `root` left by evaluators whose process is gone; never throws. */
export async function removeStaleDirs(root: string, now = Date.now()): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const match = STALE.exec(name);
      if (match === null) return;
      const pid = Number(match[1]);
      const start = match[2];
      if (pid === process.pid && (start === undefined || processTag() === `${pid}.${start}`)) return;
      const path = join(root, name);
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isDirectory()) return;
      if (start !== undefined && existsSync("/proc/self/stat")) {
        if (processStartTime(pid) === start) return;
      } else if (alive(pid) || now - info.mtimeMs < MIN_AGE_MS) {
        return;
      }
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

let root: string | null | undefined;

/** The folder of Orket's own package.json, found from this module; null when it cannot be found. */
export function orketPackageRoot(): string | null {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  root = null;
  for (;;) {
    if (existsSync(join(dir, "package.json"))) {
      root = dir;
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return root;
}
