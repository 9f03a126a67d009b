import { resolve } from "node:path";
import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError, EXIT_FAILED } from "../errors.js";
import { addLaneFlags, choiceArg, floatArg, intArg } from "../options.js";
import { addProviderFlags, type ProviderFlags, providerSettings } from "../provider-flags.js";

interface BenchFlags extends ProviderFlags {
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
  memoryTrace: boolean;
  sidecar: boolean;
  warmup: boolean;
  coldPrefill?: boolean;
  ctxSize?: number;
  cooldownTarget: number;
  cooldownTimeout: number;
  cooldownWait: boolean;
}

export function registerBench(program: Command, env: CliEnvironment): void {
  const command = program
    .command("bench")
    .description("run a task bank through a model and write orket_report.json")
    .option(
      "-m, --model <ref>",
      "provider/model; default Ollama when it answers, else the embedded smoke model",
    )
    .option("--bank <bank>", "builtin, or a bank JSON file", "builtin")
    .option("--runs <n>", "runs per task", intArg("--runs", 1, 1000), 1)
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
      "--timeout <ms>",
      "time limit of one model call in ms (0: no limit)",
      intArg("--timeout", 0),
      300_000,
    )
    .option("--out <dir>", "where orket_report.json goes", "orket-results")
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
    .option("--no-sidecar", "do not sample the hardware (nvidia-smi, rocm-smi, CPU) during test runs")
    .option(
      "--cooldown-target <celsius>",
      "lab lane: GPU temperature to wait for before each test run",
      intArg("--cooldown-target", 20, 110),
      65,
    )
    .option(
      "--cooldown-timeout <seconds>",
      "lab lane: longest wait for the target (then COOLDOWN_TIMEOUT)",
      intArg("--cooldown-timeout", 0),
      120,
    )
    .option("--no-cooldown-wait", "lab lane: do not wait; a start above the target is HOT_START");
  addProviderFlags(addLaneFlags(command)).action(async (flags: BenchFlags) => {
    const { runBenchmark } = await import("../../bench/runner.js");
    const { renderText } = await import("../../bench/report-render.js");
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
    if (flags.timeout === 0) process.stderr.write("orket: --timeout 0: model calls have no time limit\n");
    const controller = new AbortController();
    const onSigint = () => {
      process.stderr.write(
        "\norket: interrupted; writing the partial report (orket bench --resume continues it)\n",
      );
      controller.abort();
    };
    // SIGTERM (a service manager, `kill`, a CI timeout) stops the benchmark like Ctrl-C.
    process.once("SIGINT", onSigint);
    process.once("SIGTERM", onSigint);
    const progress = await makeProgress(env.isTTY && !flags.json);
    try {
      const { report, path } = await runBenchmark({
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
        thermal: {
          targetC: flags.cooldownTarget,
          timeoutMs: flags.cooldownTimeout * 1000,
          wait: flags.cooldownWait,
        },
        home: env.home,
        signal: controller.signal,
        providers: { ...providerSettings(flags, env), contextSize: flags.ctxSize },
        onNotice: (message) => process.stderr.write(`orket: ${message}\n`),
        onStart: (total) => progress.start(total),
        onTestRun: (run, done, total) => progress.update(done, total, `${run.test_id} ${run.outcome}`),
      });
      progress.stop();
      if (flags.json) process.stdout.write(`${JSON.stringify({ path, summary: report.summary }, null, 2)}\n`);
      else process.stdout.write(`${renderText(report)}\n\nreport: ${path}\n`);
      if (report.interrupted) process.exitCode = EXIT_FAILED;
    } finally {
      progress.stop();
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    }
  });
}

interface Progress {
  start(total: number): void;
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/** A bar with ETA on a terminal; a plain line per test run elsewhere. */
async function makeProgress(tty: boolean): Promise<Progress> {
  if (!tty) {
    return {
      start: (total) => process.stderr.write(`orket: ${total} test runs\n`),
      update: (done, total, label) => process.stderr.write(`[${done}/${total}] ${label}\n`),
      stop: () => undefined,
    };
  }
  const { default: cliProgress } = await import("cli-progress");
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {value}/{total} · ETA {eta_formatted} · {label}",
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    start(total) {
      bar.start(total, 0, { label: "" });
      running = true;
    },
    update(done, _total, label) {
      bar.update(done, { label });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
