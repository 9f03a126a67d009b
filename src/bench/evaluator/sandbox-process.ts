/**
 * One sandboxed child process. It runs in a process group of its own (`detached`), inside whatever
 * namespaces the OS allowed, with a minimal environment, and it can never outlive its promise: a deadline
 * (re-armed by the caller as the child reports progress), an output cap and a kill all end the whole
 * group with SIGKILL, and the promise settles even if an escaped grandchild keeps the pipes open.
 *
 * The child reports progress as JSON lines on fd 3, a pipe of its own, so nothing the candidate prints
 * on stdout can be mistaken for a result.
 */
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { type Isolation, killGroup, wrapCommand } from "./isolation.js";

export interface SandboxSpec {
  /** The runtime and its arguments. */
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  isolation: Isolation;
  /** Applied with `prlimit` where it works (runtimes that cannot limit themselves). */
  addressSpaceBytes?: number | undefined;
  /** Folders the program reads (the runtime's prefixes): bound read-only into a private root. */
  readOnly?: readonly string[];
  /** Folders hidden from the program when they would be in view (Orket's own package). */
  hidden?: readonly string[];
  /** stdout + stderr kept; one byte more kills the process. */
  outputBytes: number;
  /** Milliseconds from spawn until the child is killed, unless `setDeadline` moves it. */
  deadlineMs: number;
  /** Each line the child writes on fd 3. */
  onMessage?: (line: string, control: SandboxControl) => void;
  /** Give the child fd 4, a pipe the parent writes to with `control.send`. */
  input?: boolean;
  /** Called once the child is spawned, before any message. */
  onSpawn?: (control: SandboxControl) => void;
}

export interface SandboxControl {
  /** Kill the process `ms` from now (replaces the previous deadline). */
  setDeadline(ms: number): void;
  /** Forget the output kept so far and start a fresh output budget (a new example begins). */
  resetOutput(): void;
  /** Kill the process now; not a timeout. */
  kill(): void;
  /** Write one line to the child's fd 4 (with `input`); ignored once the child is gone. */
  send(line: string): void;
}

export interface SandboxExit {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  /** Killed because a deadline passed. */
  timedOut: boolean;
  /** The process could not be started at all. */
  spawnError: NodeJS.ErrnoException | null;
  /** `performance.now()` at exit. */
  endedAt: number;
}

/** How long to wait for the pipes to close once the process has exited and its group was killed. */
const CLOSE_GRACE_MS = 500;
/** Protocol lines longer than this are dropped instead of buffered. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export function runSandboxed(spec: SandboxSpec): Promise<SandboxExit> {
  return new Promise((resolve) => {
    const [file, ...args] = wrapCommand(spec.isolation, spec.argv, {
      dir: spec.cwd,
      readOnly: spec.readOnly ?? [],
      hidden: spec.hidden ?? [],
      addressSpaceBytes: spec.addressSpaceBytes,
    });
    if (file === undefined) throw new TypeError("empty argv");
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: [
        spec.stdin === undefined ? "ignore" : "pipe",
        "pipe",
        "pipe",
        "pipe",
        ...(spec.input === true ? (["pipe"] as const) : []),
      ],
    });
    const input = spec.input === true ? (child.stdio[4] as Writable | null | undefined) : undefined;
    input?.on("error", () => {
      // EPIPE: the child closed its end or died; its exit is reported separately
    });

    let stdout: Buffer[] = [];
    let stderr: Buffer[] = [];
    let kept = 0;
    let outputTruncated = false;
    let timedOut = false;
    let exited: { code: number | null; signal: string | null; at: number } | null = null;
    let deadline: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    let settled = false;

    // Once the leader has exited and its group has been killed, the pid is free: the system may give it
    // to an unrelated process that leads a group of its own (pid_max can be as low as 32768, and a busy
    // machine wraps it in minutes). A later kill must not reach that group, so it does nothing.
    let groupKilledAfterExit = false;
    const killNow = () => {
      if (child.pid !== undefined && !groupKilledAfterExit) killGroup(child.pid);
    };
    const control: SandboxControl = {
      setDeadline(ms) {
        clearTimeout(deadline);
        if (exited !== null) return;
        deadline = setTimeout(() => {
          timedOut = true;
          killNow();
        }, ms);
      },
      resetOutput() {
        stdout = [];
        stderr = [];
        kept = 0;
      },
      kill: killNow,
      send(line) {
        if (exited === null && input && !input.destroyed) input.write(`${line}\n`);
      },
    };
    control.setDeadline(spec.deadlineMs);

    const collect = (into: () => Buffer[]) => (chunk: Buffer) => {
      if (outputTruncated) return;
      const room = spec.outputBytes - kept;
      if (chunk.length > room) {
        into().push(chunk.subarray(0, room));
        kept = spec.outputBytes;
        outputTruncated = true;
        killNow();
        return;
      }
      into().push(chunk);
      kept += chunk.length;
    };
    child.stdout?.on(
      "data",
      collect(() => stdout),
    );
    child.stderr?.on(
      "data",
      collect(() => stderr),
    );
    if (spec.stdin !== undefined && child.stdin !== null) {
      child.stdin.on("error", () => {
        // EPIPE: the program exited without reading all of its input; that is its business
      });
      child.stdin.end(spec.stdin);
    }
    const channel = child.stdio[3] as Readable | null | undefined;
    spec.onSpawn?.(control);
    if (channel) readLines(channel, (line) => spec.onMessage?.(line, control));

    const settle = (spawnError: NodeJS.ErrnoException | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(closeTimer);
      for (const stream of [child.stdin, child.stdout, child.stderr, channel, input]) stream?.destroy();
      resolve({
        exitCode: exited?.code ?? null,
        signal: exited?.signal ?? null,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        outputTruncated,
        timedOut,
        spawnError,
        endedAt: exited?.at ?? performance.now(),
      });
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      killNow();
      settle(error);
    });
    child.once("exit", (code, signal) => {
      exited = { code, signal, at: performance.now() };
      clearTimeout(deadline);
      // Whatever the program left behind in its group goes with it (in a PID namespace the kernel has
      // already done this). Then give the pipes a moment to drain, but never wait on them for long.
      killNow();
      groupKilledAfterExit = true;
      closeTimer = setTimeout(() => settle(null), CLOSE_GRACE_MS);
    });
    child.once("close", () => {
      if (exited !== null) settle(null);
    });
  });
}

/** "exit code 3" or "signal SIGSEGV". */
export function howEnded(exit: SandboxExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
}

function readLines(stream: Readable, onLine: (line: string) => void): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  stream.on("data", (chunk: Buffer) => {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, newline));
      const line = Buffer.concat(pending).toString("utf8");
      pending = [];
      pendingBytes = 0;
      start = newline + 1;
      if (line.length <= MAX_MESSAGE_BYTES) onLine(line);
    }
    if (start < chunk.length && pendingBytes <= MAX_MESSAGE_BYTES) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
    }
  });
  stream.on("error", () => {
    // the child went away; its exit is reported separately
  });
}
