/**
 * `function` evaluations: one harness process runs all the examples, and the parent follows it through
 * the fd 3 messages, moving a deadline as it goes: start-up (`ready`), loading the solution (the wall
 * limit), each example (the wall limit plus a small grace, since the harness has its own timer). When a
 * process ends without finishing (killed at a deadline, over the output cap, crashed, out of memory),
 * the example it was on fails with that reason and a fresh process picks up at the next one. So a hang
 * costs one process start, and the common case costs one process for the whole evaluation.
 *
 * Output is counted per example from its `start` message. stdout, stderr and fd 3 are separate pipes,
 * so the split between neighbouring examples is approximate: a flood is charged to the example running
 * when the cap is reached, while output of an example that already returned (read late) only costs a
 * fresh process at the next example, never a result.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { round3 } from "../../core/rounding.js";
import { EvaluatorError, type ExampleResult, oneLine } from "./evaluation-result.js";
import { parseHarnessMessage } from "./harness-protocol.js";
import { runSandboxed } from "./sandbox-process.js";
import {
  addressSpaceBytes,
  endDetail,
  harnessArgv,
  KILL_GRACE_MS,
  type SandboxRun,
  STARTUP_TIMEOUT_MS,
  startFailure,
} from "./sandbox-run.js";

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
  | { kind: "between"; since: number };

export async function runFunctionExamples(
  run: SandboxRun,
  input: FunctionEvaluationInput,
): Promise<ExampleResult[]> {
  const config = join(run.dir, "orket-config.json");
  await writeFile(
    config,
    JSON.stringify({
      module: input.module,
      function_name: input.functionName,
      // A missing `expected` would vanish from JSON; it means null.
      examples: input.examples.map((example) => ({ args: example.args, expected: example.expected ?? null })),
      wall_ms: run.limits.wallMs,
      memory_bytes: run.limits.memoryMb * 1024 * 1024,
      report_lines: input.reportLines,
    }),
  );
  const results: (ExampleResult | undefined)[] = new Array(input.examples.length).fill(undefined);
  let next = 0;
  while (next < results.length) {
    const from = next;
    await runSegment(run, config, input.examples, next, results);
    while (next < results.length && results[next] !== undefined) next++;
    if (next === from)
      throw new EvaluatorError("SANDBOX_FAILED", `the harness made no progress at example ${from}`);
  }
  return results.filter((result) => result !== undefined);
}

/** One harness process from example `start` on; fills `results` with what it finished or failed. */
async function runSegment(
  run: SandboxRun,
  config: string,
  examples: readonly FunctionExample[],
  start: number,
  results: (ExampleResult | undefined)[],
): Promise<void> {
  const total = results.length;
  const { wallMs } = run.limits;
  // Declared wide: the callbacks below move these on, which the compiler's narrowing cannot see.
  let phase = { kind: "startup" } as Phase;
  let loadError = null as string | null;
  let startedAny = false;
  let remaining = total - start;

  const exit = await runSandboxed({
    argv: harnessArgv(run, config, start),
    cwd: run.dir,
    env: run.env,
    isolation: run.isolation,
    addressSpaceBytes: addressSpaceBytes(run),
    outputBytes: run.limits.outputBytes,
    deadlineMs: STARTUP_TIMEOUT_MS,
    onMessage(line, control) {
      const message = parseHarnessMessage(line);
      const now = performance.now();
      if (message === null) return;
      if (message.event === "ready" && phase.kind === "startup") {
        phase = { kind: "load", since: now };
        control.setDeadline(wallMs);
      } else if (message.event === "load_error" && phase.kind === "load") {
        loadError = message.error;
      } else if (
        message.event === "start" &&
        phase.kind !== "startup" &&
        message.index === firstOpen(results, start)
      ) {
        phase = { kind: "example", index: message.index, since: now };
        startedAny = true;
        control.resetOutput();
        control.setDeadline(wallMs + KILL_GRACE_MS);
      } else if (message.event === "result" && phase.kind === "example" && message.index === phase.index) {
        results[message.index] = {
          ...blank(message.index, now - phase.since),
          passed: message.passed,
          detail: resultDetail(message, wallMs, examples[message.index]?.expected),
          timed_out: message.timed_out === true,
        };
        phase = { kind: "between", since: now };
        remaining--;
        if (remaining === 0) control.kill();
        else control.setDeadline(wallMs);
      }
    },
  });

  if (phase.kind === "startup") throw startFailure(exit);
  if (remaining === 0) return;
  if (loadError !== null) {
    failFrom(results, start, (index) => ({ ...blank(index, 0), detail: oneLine(loadError ?? "") }));
    return;
  }
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
  // Otherwise the process ended between two examples (a stray async error, output that arrived after its
  // example's result): this process finished at least one example, so a fresh one at the next makes progress.
}

function resultDetail(
  message: { got?: string | undefined; error?: string | undefined; timed_out?: boolean | undefined },
  wallMs: number,
  expected: unknown,
): string {
  if (message.timed_out === true) return `timed out after ${wallMs} ms`;
  if (message.error !== undefined) return oneLine(message.error);
  return oneLine(`expected ${shown(expected)}, got ${message.got ?? "nothing"}`);
}

const SHOWN_CHARS = 200;

function shown(value: unknown): string {
  const text = JSON.stringify(value ?? null) ?? String(value);
  return text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}...`;
}

function firstOpen(results: readonly (ExampleResult | undefined)[], from: number): number {
  let index = from;
  while (index < results.length && results[index] !== undefined) index++;
  return index;
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
