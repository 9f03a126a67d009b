/**
 * Runs the sidecar's polling loop in a small helper process, which starts the GPU tool every interval
 * and relays each run's raw output back as one JSON line. The parsing stays here.
 *
 * Why a helper: starting a process costs the process that starts it in proportion to its memory.
 * Node's spawn forks on Linux, copying the page tables while the event loop waits: measured 1.8 ms
 * CPU per start from a 42 MiB process and 8 ms from a 343 MiB one. An inference process holds GiBs,
 * and at 10 Hz that would be both a CPU tax and a stall in the stream whose token timings we record.
 * The helper is small, so its starts are cheap, and its cost lands outside the measured process.
 *
 * The helper keeps the sampler's rules: `execFile` without a shell, a timeout per run, never two runs
 * at once (a tick that finds one running is skipped and counted). It sends its runs in batches (every
 * second by default), so this process wakes once per batch. It stops when its stdin closes, after one
 * last run and a last batch, and it dies with us because that stdin is ours.
 */
import { spawn } from "node:child_process";
import type { ExecResult } from "./sidecar-backends.js";

// Plain CommonJS for `node -e`: it must run without our loaders and without TypeScript. The error codes
// match `execFileNoShell` (the tests run both paths against the same fake tool).
const HELPER_SOURCE = `
const { execFile } = require("node:child_process");
const [file, argsJson, intervalText, timeoutText, flushText] = process.argv.slice(1);
const args = JSON.parse(argsJson);
const options = { timeout: Number(timeoutText), killSignal: "SIGKILL", windowsHide: true, encoding: "utf8", maxBuffer: 1048576 };
const now = () => performance.timeOrigin + performance.now();
let busy = false, skipped = 0, ending = false, pending = "";
function flush(then) {
  const out = pending;
  pending = "";
  if (out === "") { if (then) then(); return; }
  process.stdout.write(out, then);
}
function run(then) {
  busy = true;
  const began = now();
  execFile(file, args, options, (error, stdout, stderr) => {
    let exitCode = 0, code = null;
    if (error) {
      exitCode = typeof error.code === "number" ? error.code : null;
      code = error.killed === true ? "timeout" : exitCode !== null ? "exit_code_" + exitCode
        : typeof error.code === "string" ? error.code : error.signal ? "signal_" + error.signal : "failed";
    }
    const line = JSON.stringify({ began, duration: now() - began, skipped, stdout: String(stdout),
      stderr: String(stderr).slice(0, 4096), exitCode, error: code });
    busy = false;
    pending += line + "\\n";
    if (then) then();
  });
}
const timer = setInterval(() => { if (busy) skipped++; else run(); }, Number(intervalText));
const flusher = setInterval(() => flush(), Number(flushText));
function finish() {
  if (busy) return setTimeout(finish, 5);
  run(() => flush(() => process.exit(0)));
}
process.stdin.on("end", () => {
  if (ending) return;
  ending = true;
  clearInterval(timer);
  clearInterval(flusher);
  finish();
});
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
run();
`;

export interface RelayedRun {
  /** Epoch milliseconds (timeOrigin + now, comparable across processes) when the run started. */
  began: number;
  duration: number;
  /** Ticks the helper skipped so far because a run was still going. */
  skipped: number;
  result: ExecResult;
}

export interface RelayOptions {
  file: string;
  args: readonly string[];
  intervalMs: number;
  timeoutMs: number;
  /** How often the helper sends what it has: one wake-up of ours per batch, not per run. */
  flushMs: number;
  env: NodeJS.ProcessEnv | undefined;
  onRun(run: RelayedRun): void;
  /** The helper ended before `stop` (it crashed, or could not start): the sampler takes over. */
  onLost(reason: string): void;
}

export interface Relay {
  /** Asks for one last run and waits for the helper to exit, at most `waitMs`; then kills it. */
  stop(waitMs: number): Promise<void>;
}

export function startRelay(options: RelayOptions): Relay {
  // The helper needs none of our loaders; NODE_OPTIONS would make every start of it slower.
  const { NODE_OPTIONS: _loaders, ...env } = options.env ?? process.env;
  const child = spawn(
    process.execPath,
    [
      "-e",
      HELPER_SOURCE,
      options.file,
      JSON.stringify(options.args),
      String(options.intervalMs),
      String(options.timeoutMs),
      String(options.flushMs),
    ],
    { env, stdio: ["pipe", "pipe", "ignore"], windowsHide: true },
  );
  let stopping = false;
  let lost = false;
  let buffered = "";
  const loseOnce = (reason: string) => {
    if (stopping || lost) return;
    lost = true;
    options.onLost(reason);
  };
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      const run = decode(line);
      if (run !== null) options.onRun(run);
    }
  });
  child.stdin.on("error", () => {});
  child.on("error", (error) => loseOnce(`poll:relay_${(error as NodeJS.ErrnoException).code ?? "error"}`));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  child.on("exit", (code, signal) => loseOnce(`poll:relay_exit_${code ?? signal ?? "unknown"}`));

  return {
    async stop(waitMs) {
      stopping = true;
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), waitMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}

function decode(line: string): RelayedRun | null {
  try {
    const raw = JSON.parse(line) as Record<string, unknown>;
    const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
    return {
      began: num(raw.began),
      duration: num(raw.duration),
      skipped: num(raw.skipped),
      result: {
        stdout: typeof raw.stdout === "string" ? raw.stdout : "",
        stderr: typeof raw.stderr === "string" ? raw.stderr : "",
        exitCode: typeof raw.exitCode === "number" ? raw.exitCode : null,
        error: typeof raw.error === "string" ? raw.error : null,
      },
    };
  } catch {
    return null;
  }
}
