#!/usr/bin/env node
/**
 * The `orket` command. It only builds the command tree; each command imports its implementation when it
 * runs, so `orket --help` loads no engine, database or HTTP stack.
 */
import { Command, CommanderError } from "commander";
import { ORKET_VERSION } from "../telemetry/orket-version.js";
import { registerBankAndReport } from "./commands/bank-report.js";
import { registerBench } from "./commands/bench.js";
import { registerCardCommands } from "./commands/cards.js";
import { registerCheck } from "./commands/check.js";
import { registerDev } from "./commands/dev.js";
import { registerGenerate } from "./commands/generate.js";
import { registerLab } from "./commands/lab.js";
import { registerMemory } from "./commands/memory.js";
import { registerModels } from "./commands/models.js";
import { registerReplay } from "./commands/replay.js";
import { registerRun } from "./commands/run.js";
import { registerSweep } from "./commands/sweep.js";
import { readEnvironment } from "./environment.js";
import { describeError, EXIT_USAGE, exitCodeFor } from "./errors.js";

/**
 * A reader that stops early (`orket board | head -2`) closes the pipe: that is not an error, so the
 * command ends quietly, as `cat` would, instead of printing an EPIPE stack.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe(process.stdout);
  const env = readEnvironment();
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
  registerReplay(program, env);
  registerMemory(program, env);
  registerBench(program, env);
  registerSweep(program, env);
  registerBankAndReport(program);
  registerCheck(program, env);
  registerLab(program, env);
  registerDev(program);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its one line already; help and version end with code 0.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

await main(process.argv);
