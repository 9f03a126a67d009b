/**
 * Everything one evaluation's processes share: the runtime, the temp dir, the environment, the
 * isolation and the limits; how each kind of process is started; and how an ended process is described.
 */
import { join } from "node:path";
import { EvaluatorError, oneLine } from "./evaluation-result.js";
import { NODE_CHECKER_FILE, NODE_PRELOAD_FILE, NODE_SERVER_FILE } from "./harness-node.js";
import { PYTHON_CHECKER_FILE, PYTHON_RUNNER_FILE, PYTHON_SERVER_FILE } from "./harness-python.js";
import type { Isolation } from "./isolation.js";
import type { ResolvedLimits } from "./limits.js";
import type { RuntimeKind } from "./runtimes.js";
import { howEnded, type SandboxExit } from "./sandbox-process.js";

/** How long a runtime may take to say `ready`. Not the candidate's time; only a guard against a hang. */
export const STARTUP_TIMEOUT_MS = 10_000;
/** The parent's deadline trails the harness's own per-example timer by this much. */
export const KILL_GRACE_MS = 250;
/**
 * Address space V8 reserves before running any code (code range, heap reservations): Node 20 does not
 * start below about 700 MiB of `RLIMIT_AS`, so `prlimit` gets the memory limit plus this.
 */
export const NODE_RESERVED_MB = 1024;

export interface SandboxRun {
  runtime: RuntimeKind;
  /** Absolute path of the interpreter. */
  executable: string;
  /** The candidate's temp dir: cwd and HOME of its processes. */
  dir: string;
  env: Record<string, string>;
  isolation: Isolation;
  limits: ResolvedLimits;
  /** The runtime's installation folders, bound read-only into a private root. */
  readOnly: readonly string[];
  /** Folders hidden from the candidate (Orket's own package). */
  hidden: readonly string[];
}

const MIB = 1024 * 1024;

/**
 * What every process of one evaluation shares: its folder and environment (the candidate's unless
 * another is given, as for the checker), the sandbox, the runtime's read-only folders, the hidden
 * folders and the limits.
 */
export function sandboxBase(
  run: SandboxRun,
  place: { dir: string; env: Record<string, string> } = { dir: run.dir, env: run.env },
) {
  return {
    cwd: place.dir,
    env: place.env,
    isolation: run.isolation,
    readOnly: run.readOnly,
    hidden: run.hidden,
    addressSpaceBytes: addressSpaceBytes(run),
    outputBytes: run.limits.outputBytes,
  };
}

export function addressSpaceBytes(run: SandboxRun): number | undefined {
  return run.runtime === "node" ? (run.limits.memoryMb + NODE_RESERVED_MB) * MIB : undefined;
}

/** Runs a program file as the main module, with its arguments. */
export function programArgv(run: SandboxRun, program: string, args: readonly string[]): string[] {
  if (run.runtime === "python") {
    const runner = join(run.dir, PYTHON_RUNNER_FILE);
    return [run.executable, runner, String(run.limits.memoryMb * MIB), program, ...args];
  }
  const heap = `--max-old-space-size=${run.limits.memoryMb}`;
  return [run.executable, heap, "--require", join(run.dir, NODE_PRELOAD_FILE), program, ...args];
}

/** Runs the server that loads the solution and answers calls on fd 4. */
export function serverArgv(run: SandboxRun, module: string, reportLines: boolean): string[] {
  if (run.runtime === "python") {
    return [run.executable, join(run.dir, PYTHON_SERVER_FILE), module, String(run.limits.memoryMb * MIB)];
  }
  const heap = `--max-old-space-size=${run.limits.memoryMb}`;
  return [run.executable, heap, join(run.dir, NODE_SERVER_FILE), module, reportLines ? "1" : "0"];
}

/** Runs a test program in the checker, which lives in `dir` (not the candidate's folder). */
export function checkerArgv(run: SandboxRun, dir: string, program: string): string[] {
  if (run.runtime === "python") {
    return [run.executable, "-I", join(dir, PYTHON_CHECKER_FILE), program, String(run.limits.memoryMb * MIB)];
  }
  const heap = `--max-old-space-size=${run.limits.memoryMb}`;
  return [run.executable, heap, "--require", join(dir, NODE_CHECKER_FILE), program];
}

/** The sandbox could not run the runtime at all: not the candidate's failure. */
export function startFailure(exit: SandboxExit): EvaluatorError {
  if (exit.spawnError !== null) {
    return new EvaluatorError("SANDBOX_FAILED", `could not start the runtime: ${exit.spawnError.message}`, {
      cause: exit.spawnError,
    });
  }
  if (exit.timedOut)
    return new EvaluatorError("SANDBOX_FAILED", `the runtime did not start within ${STARTUP_TIMEOUT_MS} ms`);
  const said = errorLine(exit.stderr);
  return new EvaluatorError(
    "SANDBOX_FAILED",
    oneLine(`the runtime ended before it was ready (${howEnded(exit)})${said === "" ? "" : `: ${said}`}`),
  );
}

/** Why a process that was running an example ended without a result. */
export function endDetail(exit: SandboxExit, limits: ResolvedLimits): string {
  if (exit.timedOut) return `timed out after ${limits.wallMs} ms`;
  if (exit.outputTruncated) return `output passed ${limits.outputBytes} bytes; process killed`;
  const said = errorLine(exit.stderr);
  if (outOfMemory(exit.stderr)) return oneLine(`out of memory (limit ${limits.memoryMb} MiB): ${said}`);
  return oneLine(`process ended (${howEnded(exit)})${said === "" ? "" : `: ${said}`}`);
}

const OUT_OF_MEMORY = /heap out of memory|Fatal process out of memory|Fatal process OOM|^MemoryError\b/m;

function outOfMemory(stderr: string): boolean {
  return OUT_OF_MEMORY.test(stderr);
}

const ERROR_LINE = /^[\w.$]*(?:Error|Exception|Interrupt|Exit)\b/;
const NOISE = /^(?:Node\.js v\d|at |\^+$)/;

/**
 * The line of stderr that names the error (Python's last line, Node's `Error: ...` line), else the
 * last line; a named line that ends in ":" (Node's assertion messages) takes the next line along.
 */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !NOISE.test(line));
  const named = lines.findLastIndex((line) => ERROR_LINE.test(line));
  const index = named === -1 ? lines.length - 1 : named;
  const line = lines[index] ?? "";
  const next = line.endsWith(":") ? lines[index + 1] : undefined;
  return oneLine(next === undefined ? line : `${line} ${next}`, 300);
}
