/**
 * What the operating system lets the sandbox add on top of process groups and rlimits: a network
 * namespace (no network at all, not even loopback), a PID namespace (every process the candidate starts
 * dies with it, even one that left the process group with `setsid`), and `prlimit` (an address-space
 * limit for runtimes that cannot set one themselves). Probed once per search path by running the real
 * tools, because a kernel, a container runtime or a sysctl can refuse what the binary offers.
 */
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";

export interface Isolation {
  /** argv prefix that starts the command in new namespaces; empty when none could be made here. */
  unshare: readonly string[];
  /** The child has a network namespace of its own, with no interfaces up. */
  network: boolean;
  /** The child is PID 1 of a namespace of its own: when it ends, the kernel kills everything it started. */
  pidNamespace: boolean;
  /** Absolute path of `prlimit`, or null when it is missing or does not work. */
  prlimit: string | null;
}

export const NO_ISOLATION: Isolation = { unshare: [], network: false, pidNamespace: false, prlimit: null };

/**
 * Strongest first. Root can make namespaces directly; other users need a user namespace, which maps
 * them to root inside it (harmless: it owns nothing outside). `--kill-child` ends the namespace's PID 1
 * when `unshare` itself is killed, so killing the process group reaches into the namespace.
 */
const VARIANTS: readonly { flags: readonly string[]; pidNamespace: boolean }[] = [
  { flags: ["--net", "--pid", "--fork", "--kill-child"], pidNamespace: true },
  { flags: ["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"], pidNamespace: true },
  { flags: ["--net"], pidNamespace: false },
  { flags: ["--user", "--map-root-user", "--net"], pidNamespace: false },
];

const PROBE_TIMEOUT_MS = 3_000;
const probes = new Map<string, Promise<Isolation>>();

/** The isolation available for children started with this search path; probed once, then cached. */
export function probeIsolation(searchPath: string): Promise<Isolation> {
  let probe = probes.get(searchPath);
  if (probe === undefined) {
    probe = process.platform === "linux" ? runProbes(searchPath) : Promise.resolve(NO_ISOLATION);
    probes.set(searchPath, probe);
  }
  return probe;
}

async function runProbes(searchPath: string): Promise<Isolation> {
  const [unshare, prlimit, trueBinary] = await Promise.all([
    findExecutable("unshare", searchPath),
    findExecutable("prlimit", searchPath),
    findExecutable("true", searchPath),
  ]);
  if (trueBinary === null) return NO_ISOLATION;
  let isolation = NO_ISOLATION;
  if (unshare !== null) {
    for (const variant of VARIANTS) {
      const prefix = [unshare, ...variant.flags, "--"];
      if (await exitsCleanly([...prefix, trueBinary])) {
        isolation = { unshare: prefix, network: true, pidNamespace: variant.pidNamespace, prlimit: null };
        break;
      }
    }
  }
  if (prlimit !== null && (await exitsCleanly([prlimit, `--as=${2 ** 32}`, "--", trueBinary]))) {
    isolation = { ...isolation, prlimit };
  }
  return isolation;
}

/**
 * `argv` wrapped in the namespaces and, when given and possible, an address-space limit. Both tools
 * exec the next program, so the runtime keeps the process group (and, with `--fork`, becomes PID 1).
 */
export function wrapCommand(
  isolation: Isolation,
  argv: readonly string[],
  addressSpaceBytes?: number,
): string[] {
  const limit =
    addressSpaceBytes !== undefined && isolation.prlimit !== null
      ? [isolation.prlimit, `--as=${addressSpaceBytes}`, "--"]
      : [];
  return [...isolation.unshare, ...limit, ...argv];
}

export async function findExecutable(name: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

function exitsCleanly(argv: readonly string[]): Promise<boolean> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: "ignore", detached: true, env: {} });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid);
    }, PROBE_TIMEOUT_MS);
    child.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** SIGKILL to a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left in the group
  }
}
