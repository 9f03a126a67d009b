/**
 * The evaluator's temp dirs carry the pid of the Orket process that made them (`orket-eval-<pid>-…`),
 * so that when that process was killed before it could remove them (`kill -9`, a power cut in a
 * container), the next evaluator on the machine finds and removes them. A dir whose pid is alive is
 * never touched, and only dirs older than a minute are considered, so a pid reused in between does not
 * matter.
 */
import { existsSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const TEMP_PREFIXES = { candidate: "orket-eval-", checker: "orket-check-" } as const;

const STALE = /^orket-(?:eval|check)-(\d+)-/;
const MIN_AGE_MS = 60_000;

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
      if (pid === process.pid || alive(pid)) return;
      const path = join(root, name);
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isDirectory() || now - info.mtimeMs < MIN_AGE_MS) return;
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
