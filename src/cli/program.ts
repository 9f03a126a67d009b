/**
 * The `orket` command tree, as a library a program (or a test) can run in-process: `createProgram()`
 * builds it, `runCli()` parses an argv and turns any error into its one-line message and exit code.
 * Each command imports its implementation from the library when it runs, so building the tree loads no
 * engine, database or HTTP stack (docs/architecture.md, The CLI).
 */
import { Command, CommanderError } from "commander";
import { ORKET_VERSION } from "../version.js";
import { registerBankAndReport } from "./commands/bank-report.js";
import { registerBench } from "./commands/bench.js";
import { registerCardCommands } from "./commands/cards.js";
import { registerCheck } from "./commands/check.js";
import { registerDev } from "./commands/dev.js";
import { registerGenerate } from "./commands/generate.js";
import { registerHistory } from "./commands/history.js";
import { registerLab } from "./commands/lab.js";
import { registerMemory } from "./commands/memory.js";
import { registerModels } from "./commands/models.js";
import { registerReplay } from "./commands/replay.js";
import { registerRun } from "./commands/run.js";
import { registerServe } from "./commands/serve.js";
import { registerSweep } from "./commands/sweep.js";
import { registerWorker } from "./commands/worker.js";
import { type CliEnvironment, readEnvironment } from "./environment.js";
import { describeError, EXIT_OK, EXIT_USAGE, exitCodeFor } from "./errors.js";

export type { CliEnvironment } from "./environment.js";

/** Every command of `orket`, registered on a new commander program that throws instead of exiting. */
export function createProgram(env: CliEnvironment = readEnvironment()): Command {
  const program = new Command()
    .name("orket")
    .description("Local-first runtime and model lab for LLM work on local models")
    .version(ORKET_VERSION)
    .showHelpAfterError("(orket --help for usage)")
    .exitOverride();
  registerGenerate(program, env);
  registerModels(program, env);
  registerCardCommands(program, env);
  registerRun(program, env);
  registerServe(program, env);
  registerWorker(program, env);
  registerReplay(program, env);
  registerMemory(program);
  registerBench(program, env);
  registerSweep(program, env);
  registerBankAndReport(program);
  registerHistory(program, env);
  registerCheck(program, env);
  registerLab(program, env);
  registerDev(program);
  return program;
}

/**
 * Runs one command line (`args` without `node` and the script) and returns its exit code: 0 done,
 * 1 failed, 2 bad usage or input. A failure's one line goes to stderr, as the `orket` binary prints it.
 */
export async function runCli(args: readonly string[], env?: CliEnvironment): Promise<number> {
  const program = createProgram(env);
  // A command that finishes but did not pass (a failed check, a failed self-test) sets the process's
  // exit code; it is read back here and the caller's own value restored, so calls do not leak.
  const callers = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync([...args], { from: "user" });
    const set = process.exitCode as number | string | undefined;
    return set === undefined ? EXIT_OK : Number(set);
  } catch (error) {
    // Commander has printed its one line already; help and version end with code 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    process.stderr.write(`${describeError(error)}\n`);
    return exitCodeFor(error);
  } finally {
    process.exitCode = callers;
  }
}
