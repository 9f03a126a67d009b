import { resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { Report } from "../../spec/report.js";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError } from "../errors.js";
import {
  addCooldownFlags,
  addLaneFlags,
  addModelFlag,
  addOtelFlag,
  addOutFlag,
  addProjectFlag,
  addReporterFlag,
  addTimeoutFlag,
  choiceArg,
  floatArg,
  intArg,
  noteNoTimeout,
  thermalSettings,
} from "../options.js";
import { addProviderFlags, type ProviderFlags, providerSettings } from "../provider-flags.js";
import type { ReporterName } from "../reporters.js";
import { runReported } from "../with-reporter.js";

interface BenchFlags extends ProviderFlags {
  otel?: boolean;
  project: string;
  role?: string;
  model?: string;
  bank: string;
  runs: number;
  tasks?: string;
  mode: "direct" | "agent";
  lane: "ci" | "lab";
  vramProfile: "safe" | "balanced" | "stress";
  seed: number;
  temperature: number;
  maxTokens?: number;
  timeout: number;
  out: string;
  resume?: string;
  json?: boolean;
  reporter?: ReporterName;
  memoryTrace: boolean;
  sidecar: boolean;
  warmup: boolean;
  coldPrefill?: boolean;
  ctxSize?: number;
  cooldownTarget: number;
  cooldownTimeout: number;
  cooldownWait: boolean;
  queue?: string;
  mixedHardware?: boolean;
}

/** A role name as the project's team files spell them: lowercase letters, digits and underscores. */
function roleArg(value: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(value))
    throw new InvalidArgumentError(
      `--role takes a role name such as coder or integrity_guard, not "${value}"`,
    );
  return value;
}

export function registerBench(program: Command, env: CliEnvironment): void {
  const command = program
    .command("bench")
    .description("run a task bank through a model and write orket_report.json");
  addModelFlag(command, "provider/model; default Ollama when it answers, else the embedded smoke model");
  addTimeoutFlag(command);
  addOutFlag(command, "where orket_report.json goes", "orket-results");
  command
    .option("--bank <bank>", "builtin, or a bank JSON file", "builtin")
    .option("--runs <n>", "runs per task", intArg("--runs", 1, 1000), 1)
    .option(
      "--role <role>",
      "the seat role this benchmark is for, e.g. coder (recorded for orket history and leaderboard --role)",
      roleArg,
    )
    .option("--tasks <list>", "positions or ids, e.g. 1-10,12")
    .option(
      "--mode <mode>",
      "direct (one completion) or agent (a coder card in the loop)",
      choiceArg("--mode", ["direct", "agent"] as const),
      "direct",
    )

    .option("--seed <n>", "sampling seed", intArg("--seed", 0, 2 ** 31 - 1), 42)
    .option("--temperature <t>", "sampling temperature", floatArg("--temperature", 0, 5), 0)
    .option("--max-tokens <n>", "most tokens per answer", intArg("--max-tokens", 1))
    .option(
      "--resume <out>",
      "continue the benchmark journaled in <out> (after a kill or Ctrl-C): finished test runs are kept, only the missing ones run; same settings as the first command",
    )
    .option("--json", "print the report's summary as JSON")
    .option("--no-memory-trace", "agent mode: do not keep memory traces under <out>/traces")
    .option(
      "--ctx-size <n>",
      "context size in tokens, applied to the backend (Ollama num_ctx, embedded engine context)",
      intArg("--ctx-size", 16),
    )
    .option("--no-warmup", "do not load the model with an unmeasured call before the first test run")
    .option(
      "--cold-prefill",
      "experimental control: a server may not reuse a cached prompt prefix (llama.cpp cache_prompt: false), for cold prefill figures",
    )

    .option(
      "--queue <url>",
      "enqueue the test runs for orket worker processes (redis://host:port or rediss://) instead of running them here",
    )
    .option(
      "--mixed-hardware",
      "with --queue: one report even when workers on different hardware ran it (it says so on every figure)",
    );
  addProviderFlags(
    addLaneFlags(addOtelFlag(addReporterFlag(addProjectFlag(addCooldownFlags(command))))),
  ).action(async (flags: BenchFlags) => {
    const {
      runBenchmark,
      runQueuedBenchmark,
      renderReportText: renderText,
      projectDatabasePath,
    } = await import("../../index.js");
    if (flags.mixedHardware && flags.queue === undefined)
      throw new CliUsageError("--mixed-hardware is for --queue: a local bench runs on one machine");
    if (
      flags.resume !== undefined &&
      flags.out !== "orket-results" &&
      resolve(flags.out) !== resolve(flags.resume)
    ) {
      throw new CliUsageError(
        `--resume ${flags.resume} and --out ${flags.out} name different folders; give one`,
      );
    }
    const out = flags.resume ?? flags.out;
    noteNoTimeout(flags.timeout);
    await runReported(env, {
      reporter: flags.reporter,
      otel: flags.otel,
      json: flags.json,
      onInterrupt: "writing the partial report (orket bench --resume continues it)",
      run: async ({
        stream,
        signal,
      }): Promise<{ report: Report; path: string; reports?: Array<{ report: Report; path: string }> }> =>
        (flags.queue !== undefined
          ? (o: Parameters<typeof runBenchmark>[0]) =>
              runQueuedBenchmark({ ...o, queue: flags.queue as string, mixedHardware: flags.mixedHardware })
          : runBenchmark)({
          model: flags.model,
          bank: flags.bank,
          runs: flags.runs,
          tasks: flags.tasks,
          mode: flags.mode,
          lane: flags.lane,
          vramProfile: flags.vramProfile,
          seed: flags.seed,
          temperature: flags.temperature,
          maxOutputTokens: flags.maxTokens,
          timeoutMs: flags.timeout,
          out,
          resume: flags.resume !== undefined,
          memoryTrace: flags.memoryTrace,
          sidecar: flags.sidecar,
          warmup: flags.warmup,
          ...(flags.coldPrefill ? { promptCache: false } : {}),
          thermal: thermalSettings(flags),
          home: env.home,
          history: projectDatabasePath(flags.project),
          role: flags.role,
          signal,
          providers: { ...providerSettings(flags, env), contextSize: flags.ctxSize },
          reporter: stream,
        }),
      record: ({ report, path }) => ({ path, summary: report.summary }),
      text: ({ report, path, reports }) =>
        (reports ?? [{ report, path }])
          .map((r) => `${renderText(r.report)}\n\nreport: ${r.path}\n`)
          .join("\n"),
      failed: ({ report }) => report.interrupted,
    });
  });
}
