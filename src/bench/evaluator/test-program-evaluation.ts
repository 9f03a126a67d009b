/**
 * `test_program` evaluations in two processes. The server holds the candidate's code (its module scope
 * runs there, once); the checker holds the bank's test program and none of the candidate's code: each
 * function of the solution's module scope is a stand-in there that forwards the call, through the
 * parent, to the server, and turns the packed answer back into a plain value. The test program passes
 * when the checker exits 0, and nothing in the candidate's process can make it do so: an early `exit(0)`,
 * a patched `assert` or an object whose `==` is always true stays on the server's side.
 *
 * The wall limit counts from the server's `ready` to the checker's end, the span the test program took.
 * Both processes are sandboxed alike, each in a folder of its own, so the candidate cannot rewrite the
 * test program either.
 */
import { round3 } from "../../core/shared/rounding.js";
import { type ExampleResult, oneLine } from "./evaluation-result.js";
import {
  type CallResult,
  parseCheckerMessage,
  parseServerMessage,
  type ScopeEntry,
} from "./harness-protocol.js";
import { howEnded, runSandboxed, type SandboxControl, type SandboxExit } from "./sandbox-process.js";
import {
  checkerArgv,
  endDetail,
  errorLine,
  KILL_GRACE_MS,
  type SandboxRun,
  STARTUP_TIMEOUT_MS,
  sandboxBase,
  serverArgv,
  startFailure,
} from "./sandbox-run.js";

export interface TestProgramInput {
  /** The solution module, in the candidate's folder. */
  module: string;
  reportLines: boolean;
  /** The checker's own folder and environment, and the test program in it. */
  checker: { dir: string; env: Record<string, string>; program: string };
}

export async function runTestProgram(run: SandboxRun, input: TestProgramInput): Promise<ExampleResult[]> {
  const { wallMs } = run.limits;
  let server: SandboxControl | undefined;
  let checker: SandboxControl | undefined;
  let serverReadyAt: number | null = null;
  let checkerReady = false;
  let scope: ScopeEntry[] | null = null;
  let loadError: string | null = null;
  let outstanding: number | null = null;
  let initSent = false;

  const sendInit = () => {
    if (initSent || !checkerReady || scope === null) return;
    initSent = true;
    checker?.send(JSON.stringify({ event: "init", globals: scope }));
  };
  const relay = (message: CallResult) => {
    outstanding = null;
    checker?.send(JSON.stringify(message));
  };

  const serverRun = runSandboxed({
    argv: serverArgv(run, input.module, input.reportLines),
    ...sandboxBase(run),
    deadlineMs: STARTUP_TIMEOUT_MS,
    input: true,
    onSpawn(control) {
      server = control;
    },
    onMessage(line, control) {
      const message = parseServerMessage(line);
      if (message === null) return;
      if (message.event === "ready" && serverReadyAt === null) {
        serverReadyAt = performance.now();
        control.setDeadline(wallMs);
        checker?.setDeadline(STARTUP_TIMEOUT_MS + wallMs + KILL_GRACE_MS);
      } else if (message.event === "load_error" && scope === null && loadError === null) {
        loadError = message.error;
        control.kill();
        checker?.kill();
      } else if (message.event === "loaded" && scope === null && loadError === null) {
        scope = message.globals;
        sendInit();
      } else if (message.event === "result" && outstanding !== null && message.id === outstanding) {
        relay(message);
      }
    },
  }).then((exit) => {
    checker?.kill();
    return exit;
  });

  const checkerRun = runSandboxed({
    argv: checkerArgv(run, input.checker.dir, input.checker.program),
    ...sandboxBase(run, input.checker),
    deadlineMs: 2 * STARTUP_TIMEOUT_MS + wallMs,
    input: true,
    onSpawn(control) {
      checker = control;
    },
    onMessage(line) {
      const message = parseCheckerMessage(line);
      if (message === null) return;
      if (message.event === "ready" && !checkerReady) {
        checkerReady = true;
        sendInit();
      } else if (message.event === "call" && outstanding === null && initSent) {
        outstanding = message.id;
        server?.send(JSON.stringify({ ...message, wall_ms: wallMs }));
      }
    },
  }).then((exit) => {
    server?.kill();
    return exit;
  });

  const [serverExit, checkerExit] = await Promise.all([serverRun, checkerRun]);
  const readyAt = serverReadyAt as number | null;
  if (readyAt === null) throw startFailure(serverExit);
  const serverFirst = serverExit.endedAt < checkerExit.endedAt;
  // A checker that never started is the sandbox's failure, unless the candidate ended first (then the
  // checker was killed because of it).
  if (!checkerReady && !serverFirst) throw startFailure(checkerExit);
  const endedAt = Math.min(serverExit.endedAt, checkerExit.endedAt);
  const base = (exit: SandboxExit): ExampleResult => ({
    index: 0,
    passed: false,
    detail: "",
    duration_ms: round3(Math.max(0, endedAt - readyAt)),
    timed_out: exit.timedOut,
    exit_code: exit.exitCode,
    signal: exit.signal,
    stdout_truncated: exit.outputTruncated,
  });
  const failedLoad = loadError as string | null;
  if (failedLoad !== null) return [{ ...base(serverExit), detail: oneLine(failedLoad) }];
  // The process that ended first decides: the other one was killed because of it.
  if (serverFirst) {
    const exit = serverExit;
    if (exit.timedOut && scope === null) {
      return [{ ...base(exit), detail: `timed out loading the solution after ${wallMs} ms` }];
    }
    return [{ ...base(exit), detail: endDetail(exit, run.limits) }];
  }
  const exit = checkerExit;
  if (exit.timedOut || exit.outputTruncated) return [{ ...base(exit), detail: endDetail(exit, run.limits) }];
  if (exit.exitCode === 0) return [{ ...base(exit), passed: true, detail: "exit code 0" }];
  const said = errorLine(exit.stderr);
  return [{ ...base(exit), detail: oneLine(`${howEnded(exit)}${said === "" ? "" : `: ${said}`}`) }];
}
