/**
 * What the operating system lets the sandbox add on top of process groups and rlimits, probed once per
 * search path by running the real tools (a kernel, a container runtime or a sysctl can refuse what a
 * binary offers). Strongest first:
 *
 * - **`bwrap`** (bubblewrap, the sandbox Flatpak uses): a root filesystem of its own that holds only the
 *   system's `/usr` and the runtime, read-only, the evaluation's folder read-write, an empty `/tmp`, a
 *   minimal `/dev` and a `/proc` of its own; new user, PID, network, IPC, UTS and cgroup namespaces; no
 *   capabilities; uid 65534 inside; and it dies with its parent. Nothing of the host's processes, files
 *   or network is in view, Orket's own package (and its bank) is hidden, and the environment is the
 *   minimal one the evaluator builds.
 * - **`unshare`** (util-linux): new network, PID, mount, IPC and UTS namespaces with a `/proc` of their
 *   own, so no host process is in view; as root the program then drops to uid 65534 with no
 *   capabilities (`setpriv`), otherwise it runs in a user namespace of its own. The filesystem is the
 *   host's: whatever that user may read or write.
 * - **`none`**: process groups and rlimits only (macOS, Windows, or Linux without either tool).
 */
import { spawn } from "node:child_process";
import { constants, existsSync, lstatSync, readlinkSync } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";

export type SandboxKind = "bwrap" | "unshare" | "none";

export interface Isolation {
  kind: SandboxKind;
  /** `bwrap` variant flags (bwrap only): namespaces, user and capabilities, without the filesystem. */
  bwrap: readonly string[];
  /** argv prefix that starts the command in new namespaces (unshare only). */
  unshare: readonly string[];
  /** The child has a network namespace of its own, with no route out (loopback only, nothing listening). */
  network: boolean;
  /** The child is PID 1 of a namespace of its own: when it ends, the kernel kills everything it started. */
  pidNamespace: boolean;
  /** `/proc` shows only the sandbox's own processes. */
  ownProc: boolean;
  /** The filesystem is a private root (bwrap): the host's files outside `/usr` and the runtime are not there. */
  privateRoot: boolean;
  /** The candidate does not run with the caller's uid or capabilities. */
  dropsPrivileges: boolean;
  /** The uid the folder must belong to for the sandboxed program to write it (unshare as root), else null. */
  writerUid: number | null;
  /** Absolute path of `prlimit`, or null when it is missing or does not work. */
  prlimit: string | null;
}

export const NO_ISOLATION: Isolation = {
  kind: "none",
  bwrap: [],
  unshare: [],
  network: false,
  pidNamespace: false,
  ownProc: false,
  privateRoot: false,
  dropsPrivileges: false,
  writerUid: null,
  prlimit: null,
};

/** The unprivileged user the sandbox runs candidates as (`nobody` on most systems). */
export const SANDBOX_UID = 65534;

const BWRAP_VARIANTS: readonly (readonly string[])[] = [
  // A user namespace: works for root and, where the kernel allows them, for any user.
  [
    "--unshare-all",
    "--unshare-user",
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_UID),
    "--cap-drop",
    "ALL",
    "--die-with-parent",
    "--new-session",
  ],
  // Root where user namespaces are refused: uid 0 without a single capability, on a read-only root.
  ["--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session"],
];

const UNSHARE_NAMESPACES = [
  "--net",
  "--pid",
  "--fork",
  "--kill-child",
  "--mount",
  "--mount-proc",
  "--ipc",
  "--uts",
];

const PROBE_TIMEOUT_MS = 3_000;
const probes = new Map<string, Promise<Isolation>>();

export type IsolationChoice = "auto" | SandboxKind;

/** The isolation available for children started with this search path; probed once, then cached. */
export function probeIsolation(searchPath: string, choice: IsolationChoice = "auto"): Promise<Isolation> {
  if (choice === "none") return Promise.resolve(NO_ISOLATION);
  const key = `${choice}\u0000${searchPath}`;
  let probe = probes.get(key);
  if (probe === undefined) {
    probe = process.platform === "linux" ? runProbes(searchPath, choice) : Promise.resolve(NO_ISOLATION);
    probes.set(key, probe);
  }
  return probe;
}

async function runProbes(searchPath: string, choice: IsolationChoice): Promise<Isolation> {
  const [bwrap, unshare, setpriv, prlimit, trueBinary] = await Promise.all([
    findExecutable("bwrap", searchPath),
    findExecutable("unshare", searchPath),
    findExecutable("setpriv", searchPath),
    findExecutable("prlimit", searchPath),
    findExecutable("true", searchPath),
  ]);
  if (trueBinary === null) return NO_ISOLATION;
  const limit =
    prlimit !== null && (await exitsCleanly([prlimit, `--as=${2 ** 32}`, "--", trueBinary])) ? prlimit : null;
  if (bwrap !== null && choice !== "unshare") {
    for (const [index, flags] of BWRAP_VARIANTS.entries()) {
      const isolation: Isolation = {
        ...NO_ISOLATION,
        kind: "bwrap",
        bwrap: [bwrap, ...flags],
        network: true,
        pidNamespace: true,
        ownProc: true,
        privateRoot: true,
        dropsPrivileges: index === 0 || process.getuid?.() !== 0,
        prlimit: limit,
      };
      if (await exitsCleanly(wrapCommand(isolation, [trueBinary], { dir: null, readOnly: [] })))
        return isolation;
    }
  }
  if (unshare !== null && choice !== "bwrap") {
    const root = process.getuid?.() === 0;
    const variants: { prefix: string[]; ownProc: boolean; pid: boolean; drops: boolean }[] = [];
    if (root && setpriv !== null) {
      const drop = [
        setpriv,
        `--reuid=${SANDBOX_UID}`,
        `--regid=${SANDBOX_UID}`,
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
      ];
      variants.push({
        prefix: [setpriv, "--pdeathsig", "KILL", "--", unshare, ...UNSHARE_NAMESPACES, "--", ...drop],
        ownProc: true,
        pid: true,
        drops: true,
      });
    }
    const death = setpriv === null ? [] : [setpriv, "--pdeathsig", "KILL", "--"];
    variants.push(
      {
        prefix: [...death, unshare, "--user", "--map-root-user", ...UNSHARE_NAMESPACES, "--"],
        ownProc: true,
        pid: true,
        drops: !root,
      },
      {
        prefix: [
          ...death,
          unshare,
          "--user",
          "--map-root-user",
          "--net",
          "--pid",
          "--fork",
          "--kill-child",
          "--",
        ],
        ownProc: false,
        pid: true,
        drops: !root,
      },
      {
        prefix: [...death, unshare, "--user", "--map-root-user", "--net", "--"],
        ownProc: false,
        pid: false,
        drops: !root,
      },
    );
    for (const variant of variants) {
      if (await exitsCleanly([...variant.prefix, trueBinary])) {
        return {
          ...NO_ISOLATION,
          kind: "unshare",
          unshare: variant.prefix,
          network: true,
          pidNamespace: variant.pid,
          ownProc: variant.ownProc,
          dropsPrivileges: variant.drops,
          writerUid: root && variant.drops ? SANDBOX_UID : null,
          prlimit: limit,
        };
      }
    }
  }
  return { ...NO_ISOLATION, prlimit: limit };
}

export interface SandboxLayout {
  /** The folder the program may write (bound read-write at the same path); null for a probe. */
  dir: string | null;
  /** Folders the program needs to read (the runtime's prefixes), bound read-only at the same path. */
  readOnly: readonly string[];
  /** Folders to hide behind an empty tmpfs when they would be in view (Orket's own package). */
  hidden?: readonly string[];
  addressSpaceBytes?: number | undefined;
}

/** The system folders of a private root: `/usr`, and the top-level links (or folders) into it. */
const SYSTEM_DIRS = ["/usr"];
const TOP_LEVEL = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
const SYSTEM_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"];

/**
 * `argv` wrapped in the sandbox and, when given and possible, an address-space limit. Every tool in the
 * chain execs the next program, so the runtime keeps the process group (and becomes PID 1 or its child).
 */
export function wrapCommand(isolation: Isolation, argv: readonly string[], layout: SandboxLayout): string[] {
  const limit =
    layout.addressSpaceBytes !== undefined && isolation.prlimit !== null
      ? [isolation.prlimit, `--as=${layout.addressSpaceBytes}`, "--"]
      : [];
  if (isolation.kind === "bwrap")
    return [...isolation.bwrap, ...bwrapLayout(layout), "--", ...limit, ...argv];
  return [...isolation.unshare, ...limit, ...argv];
}

function bwrapLayout(layout: SandboxLayout): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) args.push("--ro-bind", dir, dir);
  for (const path of TOP_LEVEL) {
    const link = linkTarget(path);
    if (link !== null) args.push("--symlink", link, path);
    else if (existsSync(path)) args.push("--ro-bind", path, path);
  }
  for (const file of SYSTEM_FILES) args.push("--ro-bind-try", file, file);
  const bound = [...SYSTEM_DIRS];
  for (const dir of layout.readOnly) {
    if (bound.some((parent) => within(dir, parent))) continue;
    args.push("--ro-bind", dir, dir);
    bound.push(dir);
  }
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  if (layout.dir !== null) {
    args.push("--bind", layout.dir, layout.dir, "--chdir", layout.dir);
    bound.push(layout.dir);
  }
  for (const dir of layout.hidden ?? []) {
    if (bound.some((parent) => within(dir, parent)) && !(layout.dir !== null && within(layout.dir, dir))) {
      args.push("--tmpfs", dir);
    }
  }
  return args;
}

function linkTarget(path: string): string | null {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : null;
  } catch {
    return null;
  }
}

function within(path: string, parent: string): boolean {
  return path === parent || path.startsWith(parent.endsWith("/") ? parent : `${parent}/`);
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

/** One line for a report or a warning: what this sandbox isolates. */
export function describeIsolation(isolation: Isolation): string {
  if (isolation.kind === "bwrap") {
    return `bwrap: private root (read-only /usr and runtime), own /proc, no network, ${isolation.dropsPrivileges ? "uid 65534" : "uid 0 without capabilities"}`;
  }
  if (isolation.kind === "unshare") {
    const parts = [
      "unshare: no network",
      isolation.ownProc ? "own /proc" : "host /proc in view",
      isolation.dropsPrivileges ? "unprivileged" : "caller's uid",
      "host filesystem in view",
    ];
    return parts.join(", ");
  }
  return "none: process group and rlimits only; network, processes and files in view";
}
