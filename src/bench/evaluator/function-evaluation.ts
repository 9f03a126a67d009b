/**
 * `function` evaluations: one server process (harness-*.ts) loads the solution and the parent calls it
 * once per example over fd 4, moving a deadline as it goes: start-up (`ready`), loading the solution
 * (the wall limit), each call (the wall limit plus a small grace, since the server has its own timer).
 * The server answers with the packed value the function returned, and the parent compares it with the
 * example's expected value (`values.ts`): the expected values never enter the sandbox, and nothing the
 * candidate's process writes can say "passed". When a process ends without answering (killed at a
 * deadline, over the output cap, crashed, out of memory), the example it was on fails with that reason
 * and a fresh process picks up at the next one. So a hang costs one process start, and the common case
 * costs one process for the whole evaluation.
 *
 * Output is counted per example from its call. stdout, stderr and fd 3 are separate pipes, so the split
 * between neighbouring examples is approximate: a flood is charged to the example running when the cap
 * is reached, while output of an example that already returned (read late) only costs a fresh process at
 * the next example, never a result.
 */
import { round3 } from "../../core/shared/rounding.js";
import { EvaluatorError, type ExampleResult, oneLine } from "./evaluation-result.js";
import { type CallResult, parseServerMessage } from "./harness-protocol.js";
import { runSandboxed, type SandboxControl } from "./sandbox-process.js";
import {
  endDetail,
  KILL_GRACE_MS,
  type SandboxRun,
  STARTUP_TIMEOUT_MS,
  sandboxBase,
  serverArgv,
  startFailure,
} from "./sandbox-run.js";
import { packJson, sameAsJson, showPacked } from "./values.js";

export interface FunctionExample {
  args: unknown[];
  expected: unknown;
}

export interface FunctionEvaluationInput {
  /** The solution module, already in the temp dir. */
  module: string;
  functionName: string;
  examples: readonly FunctionExample[];
  /** Node only: error lines point into the file as written (false for transpiled TypeScript). */
  reportLines: boolean;
}

type Phase =
  | { kind: "startup" }
  | { kind: "load"; since: number }
  | { kind: "example"; index: number; since: number }
  | { kind: "done" };

export async function runFunctionExamples(
  run: SandboxRun,
  input: FunctionEvaluationInput,
): Promise<ExampleResult[]> {
  const results: (ExampleResult | undefined)[] = new Array(input.examples.length).fill(undefined);
  let next = 0;
  while (next < results.length) {
    const from = next;
    await runSegment(run, input, next, results);
    while (next < results.length && results[next] !== undefined) next++;
    if (next === from)
      throw new EvaluatorError("SANDBOX_FAILED", `the harness made no progress at example ${from}`);
  }
  return results.filter((result) => result !== undefined);
}

/** One server process from example `start` on; fills `results` with what it finished or failed. */
async function runSegment(
  run: SandboxRun,
  input: FunctionEvaluationInput,
  start: number,
  results: (ExampleResult | undefined)[],
): Promise<void> {
  const { wallMs } = run.limits;
  const { examples } = input;
  // Declared wide: the callbacks below move these on, which the compiler's narrowing cannot see.
  let phase = { kind: "startup" } as Phase;
  let loadError = null as string | null;
  let startedAny = false;

  const call = (index: number, control: SandboxControl) => {
    const example = examples[index];
    if (example === undefined) {
      phase = { kind: "done" };
      control.kill();
      return;
    }
    phase = { kind: "example", index, since: performance.now() };
    startedAny = true;
    control.resetOutput();
    control.setDeadline(wallMs + KILL_GRACE_MS);
    const args = example.args.map((arg) => packJson(arg, run.runtime));
    control.send(
      JSON.stringify({ event: "call", id: index, name: input.functionName, args, wall_ms: wallMs }),
    );
  };

  const exit = await runSandboxed({
    argv: serverArgv(run, input.module, input.reportLines),
    ...sandboxBase(run),
    deadlineMs: STARTUP_TIMEOUT_MS,
    input: true,
    onMessage(line, control) {
      const message = parseServerMessage(line);
      const now = performance.now();
      if (message === null) return;
      if (message.event === "ready" && phase.kind === "startup") {
        phase = { kind: "load", since: now };
        control.setDeadline(wallMs);
      } else if (message.event === "load_error" && phase.kind === "load") {
        loadError = message.error;
        phase = { kind: "done" };
        control.kill();
      } else if (message.event === "loaded" && phase.kind === "load") {
        call(start, control);
      } else if (message.event === "result" && phase.kind === "example" && message.id === phase.index) {
        const { index, since } = phase;
        results[index] = {
          ...blank(index, now - since),
          ...verdict(message, examples[index]?.expected, run),
        };
        call(index + 1, control);
      }
    },
  });

  if (phase.kind === "startup") throw startFailure(exit);
  if (loadError !== null) {
    failFrom(results, start, (index) => ({ ...blank(index, 0), detail: oneLine(loadError ?? "") }));
    return;
  }
  if (phase.kind === "done") return;
  const failure = (index: number, since: number): ExampleResult => ({
    ...blank(index, exit.endedAt - since),
    detail:
      phase.kind === "load" && exit.timedOut
        ? `timed out loading the solution after ${wallMs} ms`
        : endDetail(exit, run.limits),
    timed_out: exit.timedOut,
    exit_code: exit.exitCode,
    signal: exit.signal,
    stdout_truncated: exit.outputTruncated,
  });
  if (phase.kind === "example") {
    results[phase.index] = failure(phase.index, phase.since);
  } else if (phase.kind === "load" && !startedAny) {
    // The solution never finished loading; it would not in a fresh process either.
    const since = phase.since;
    failFrom(results, start, (index) => failure(index, since));
  }
}

/** The parent's verdict on one call's answer. */
function verdict(
  message: CallResult,
  expected: unknown,
  run: SandboxRun,
): Pick<ExampleResult, "passed" | "detail" | "timed_out"> {
  if (message.timed_out === true)
    return { passed: false, detail: `timed out after ${run.limits.wallMs} ms`, timed_out: true };
  if (message.value === undefined)
    return { passed: false, detail: oneLine(message.error ?? "no value came back"), timed_out: false };
  const passed = sameAsJson(message.value, expected, run.runtime);
  const detail = `expected ${shown(expected)}, got ${showPacked(message.value, run.runtime)}`;
  return { passed, detail: oneLine(detail), timed_out: false };
}

const SHOWN_CHARS = 200;

function shown(value: unknown): string {
  const text = JSON.stringify(value ?? null) ?? String(value);
  return text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}...`;
}

function failFrom(
  results: (ExampleResult | undefined)[],
  from: number,
  make: (index: number) => ExampleResult,
): void {
  for (let index = from; index < results.length; index++) results[index] ??= make(index);
}

function blank(index: number, durationMs: number): ExampleResult {
  return {
    index,
    passed: false,
    detail: "",
    duration_ms: round3(Math.max(0, durationMs)),
    timed_out: false,
    exit_code: null,
    signal: null,
    stdout_truncated: false,
  };
}
