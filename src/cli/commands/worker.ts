/**
 * `orket worker --queue redis://…`: takes test runs from the queue for the models this box has (GGUF
 * files under --models-dir, or the models --base-url lists) until SIGINT or SIGTERM, which let the test
 * run in progress end and return its record before the worker exits.
 */
import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { untilSignalled } from "../interrupt.js";
import { addCooldownFlags, type CooldownFlags, intArg, thermalSettings } from "../options.js";
import { addProviderFlags, type ProviderFlags, providerSettings } from "../provider-flags.js";
import { createCliReporter } from "../reporters.js";

interface WorkerFlags extends ProviderFlags, CooldownFlags {
  queue: string;
  modelsDir?: string;
  id?: string;
  lockMs: number;
}

export function registerWorker(program: Command, env: CliEnvironment): void {
  const command = program
    .command("worker")
    .description("take test runs from a queue (orket bench|sweep --queue) for the models this box has")
    .requiredOption("--queue <url>", "the queue: redis://[:password@]host:port, or rediss:// for TLS")
    .option("--models-dir <dir>", "offer the GGUF files in this folder (known to the fleet by their sha256)")
    .option("--id <name>", "this worker's name in records (default <host>-<pid>-<random>)")
    .option(
      "--lock-ms <ms>",
      "how long a job's lock lasts unrenewed: a killed worker's job goes to another after this",
      intArg("--lock-ms", 500),
      30_000,
    );

  addProviderFlags(addCooldownFlags(command)).action(async (flags: WorkerFlags) => {
    const { startWorker, EventStream } = await import("../../index.js");
    const reporter = await createCliReporter("plain", {
      isTTY: false,
      stdout: (text) => void process.stdout.write(text),
      stderr: (text) => void process.stderr.write(text),
    });
    const providers = providerSettings(flags, env);
    const worker = await startWorker({
      queue: flags.queue,
      modelsDir: flags.modelsDir,
      baseUrl: flags.baseUrl,
      apiKey: providers.openaiApiKey,
      home: env.home,
      id: flags.id,
      lockMs: flags.lockMs,
      providers,
      reporter: new EventStream(reporter),
      bench: {
        sidecar: flags.sidecar,
        thermal: thermalSettings(flags),
      },
    });
    process.stderr.write(
      `orket: worker ${worker.id} on ${worker.info.models.length} model(s), hardware ${worker.info.hardware.fingerprint} (Ctrl-C stops it)\n`,
    );
    await untilSignalled("finishing the test run in progress, then stopping", () => worker.close());
    process.stderr.write(`orket: worker ${worker.id} stopped after ${worker.finished()} test run(s)\n`);
  });
}
