import type { Command } from "commander";
import { CliUsageError } from "../errors.js";
import { intArg, outputFileProblem } from "../options.js";

export function registerDev(program: Command): void {
  const dev = program.command("dev").description("tools for developing and testing Orket");
  dev
    .command("tiny-model")
    .description(
      "write a tiny random-weight llama GGUF (byte-level BPE); it runs for real, and its output is noise",
    )
    .argument("<out>", "the .gguf file to write")
    .option("--seed <n>", "weight seed (same seed, same bytes)", intArg("--seed", 0, 2 ** 31 - 1))
    .option("--json", "print JSON")
    .action(async (out: string, flags: { seed?: number; json?: boolean }) => {
      const problem = outputFileProblem(out);
      if (problem !== null) throw new CliUsageError(`dev tiny-model: "${out}" ${problem}`);
      const { writeTinyModel } = await import("../../index.js");
      const info = await writeTinyModel(out, flags.seed === undefined ? {} : { seed: flags.seed });
      if (flags.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else
        process.stdout.write(
          `wrote ${info.path}: ${info.bytes} bytes, vocabulary ${info.vocabSize}, sha256 ${info.sha256}\n(random weights: output is noise)\n`,
        );
    });
}
