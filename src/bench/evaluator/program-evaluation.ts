/**
 * `cli` evaluations: the candidate runs as a program, one process per example, with the example's
 * arguments and stdin. The parent compares stdout and the exit code with the example, which never enters
 * the sandbox. The wall limit counts from the runtime's `ready` to the process's exit, the same span a
 * function example gets.
 */
import { round3 } from "../../core/shared/rounding.js";
import type { ExampleResult } from "./evaluation-result.js";
import { oneLine } from "./evaluation-result.js";
import { isReady } from "./harness-protocol.js";
import { howEnded, runSandboxed, type SandboxExit } from "./sandbox-process.js";
import {
  endDetail,
  errorLine,
  programArgv,
  type SandboxRun,
  STARTUP_TIMEOUT_MS,
  sandboxBase,
  startFailure,
} from "./sandbox-run.js";

export interface CliExample {
  args: string[];
  stdin: string;
  expected_stdout: string;
  expected_exit_code: number;
}

interface ProgramRun {
  exit: SandboxExit;
  durationMs: number;
}

async function runProgram(
  run: SandboxRun,
  program: string,
  args: readonly string[],
  stdin?: string,
): Promise<ProgramRun> {
  let readyAt: number | null = null;
  const exit = await runSandboxed({
    argv: programArgv(run, program, args),
    ...sandboxBase(run),
    ...(stdin === undefined ? {} : { stdin }),
    deadlineMs: STARTUP_TIMEOUT_MS,
    onMessage(line, control) {
      if (readyAt === null && isReady(line)) {
        readyAt = performance.now();
        control.setDeadline(run.limits.wallMs);
      }
    },
  });
  const ready = readyAt as number | null;
  if (ready === null) throw startFailure(exit);
  return { exit, durationMs: exit.endedAt - ready };
}

export async function runCliExamples(
  run: SandboxRun,
  program: string,
  examples: readonly CliExample[],
): Promise<ExampleResult[]> {
  const results: ExampleResult[] = [];
  for (const [index, example] of examples.entries()) {
    const { exit, durationMs } = await runProgram(run, program, example.args, example.stdin);
    const base = fromExit(index, exit, durationMs);
    if (exit.timedOut || exit.outputTruncated) {
      results.push({ ...base, detail: endDetail(exit, run.limits) });
      continue;
    }
    const stdoutMatches = normalizeStdout(exit.stdout) === normalizeStdout(example.expected_stdout);
    const exitMatches = exit.exitCode === example.expected_exit_code;
    const problems: string[] = [];
    if (!stdoutMatches) {
      problems.push(
        `expected stdout ${quote(normalizeStdout(example.expected_stdout))}, got ${quote(normalizeStdout(exit.stdout))}`,
      );
    }
    if (!exitMatches) {
      const said = errorLine(exit.stderr);
      problems.push(
        `expected exit code ${example.expected_exit_code}, got ${howEnded(exit)}${said === "" ? "" : `: ${said}`}`,
      );
    }
    results.push({
      ...base,
      passed: problems.length === 0,
      detail: oneLine(
        problems.length === 0 ? `stdout and exit code ${exit.exitCode} match` : problems.join("; "),
      ),
    });
  }
  return results;
}

/**
 * stdout as compared: line endings unified, trailing whitespace dropped from every line and from the
 * end, so a missing final newline or a stray space never decides a result.
 */
export function normalizeStdout(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trimEnd();
}

function fromExit(index: number, exit: SandboxExit, durationMs: number): ExampleResult {
  return {
    index,
    passed: false,
    detail: "",
    duration_ms: round3(Math.max(0, durationMs)),
    timed_out: exit.timedOut,
    exit_code: exit.exitCode,
    signal: exit.signal,
    stdout_truncated: exit.outputTruncated,
  };
}

const QUOTED_CHARS = 120;

function quote(text: string): string {
  const shown = text.length <= QUOTED_CHARS ? text : `${text.slice(0, QUOTED_CHARS)}...`;
  return JSON.stringify(shown);
}
