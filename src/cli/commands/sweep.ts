/**
 * `orket sweep quant|context|report`: thin commands over `runQuantSweep`, `runContextSweep` and
 * `renderSweepReport`, each imported only when its command runs. List flags are checked as they are
 * parsed, so a bad `--quants` is one line naming the flag (exit 2) before anything starts.
 */
import { resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { QuantModel } from "../../index.js";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError } from "../errors.js";
import {
  addLaneFlags,
  addModelFlag,
  addOtelFlag,
  addOutFlag,
  addProjectFlag,
  addReporterFlag,
  addTimeoutFlag,
  floatArg,
  intArg,
  noteNoTimeout,
} from "../options.js";
import { addProviderFlags, type ProviderFlags, providerSettings } from "../provider-flags.js";
import type { ReporterName } from "../reporters.js";
import { parseContextList, parseModelList, parseQuantList } from "../sweep-args.js";
import { runReported } from "../with-reporter.js";

interface CommonFlags extends ProviderFlags {
  otel?: boolean;
  project: string;
  bank: string;
  tasks?: string;
  runs: number;
  seed: number;
  temperature: number;
  maxTokens?: number;
  timeout: number;
  adherenceThreshold: number;
  latencyCeiling?: number;
  skipCanary?: boolean;
  canaryTasks?: string;
  canaryRuns: number;
  includeInvalid?: boolean;
  warmup: boolean;
  coldPrefill?: boolean;
  lane: "ci" | "lab";
  vramProfile: "safe" | "balanced" | "stress";
  out?: string;
  resume?: string;
  json?: boolean;
  reporter?: ReporterName;
  queue?: string;
  mixedHardware?: boolean;
}

interface QuantFlags extends CommonFlags {
  modelFamily?: string;
  quants?: string[];
  tagTemplate?: string;
  ggufDir?: string;
  models?: QuantModel[];
  kld?: boolean;
  kldText?: string;
  kldCtx?: number;
}

interface ContextFlags extends CommonFlags {
  model: string;
  contexts: number[];
  adherenceFloor: number;
  firstTokenCeiling?: number;
  decodeFloor?: number;
}

interface ConcurrencyFlags extends ProviderFlags {
  model: string;
  levels: string;
  duration?: string;
  requests?: number;
  slo?: string;
  maxTokens: number;
  bank: string;
  tasks?: string;
  seed: number;
  temperature: number;
  warmupRequests: number;
  timeout: number;
  out?: string;
  json?: boolean;
  reporter?: ReporterName;
}

/** A list parser as a commander argument parser: its error becomes commander's one usage line. */
function listArg<T>(parse: (text: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

function addCommonFlags(command: Command): Command {
  command
    .option("--bank <bank>", "builtin, or a bank JSON file", "builtin")
    .option("--tasks <list>", "positions or ids, e.g. 1-10,12")
    .option("--runs <n>", "runs per task and row", intArg("--runs", 1, 1000), 1)
    .option("--seed <n>", "sampling seed", intArg("--seed", 0, 2 ** 31 - 1), 42)
    .option("--temperature <t>", "sampling temperature", floatArg("--temperature", 0, 5), 0)
    .option("--max-tokens <n>", "most tokens per answer", intArg("--max-tokens", 1))
    .option(
      "--adherence-threshold <r>",
      "adherence a row must reach to be picked",
      floatArg("--adherence-threshold", 0, 1),
      0.9,
    )
    .option(
      "--latency-ceiling <s>",
      "seconds of median total latency the best-value row must stay within",
      floatArg("--latency-ceiling", 0.001, 86_400),
    )
    .option("--skip-canary", "do not run the repeatability canary first")
    .option("--canary-tasks <list>", "the canary's tasks (default: the first two of the selection)")
    .option("--canary-runs <n>", "repeats per canary task", intArg("--canary-runs", 2, 100), 2)
    .option("--include-invalid", "show invalid rows in the Pareto view (never in KPIs or recommendations)")
    .option("--no-warmup", "do not load each Ollama model with one tiny call before its row")
    .option(
      "--cold-prefill",
      "experimental control: a server may not reuse a cached prompt prefix (llama.cpp cache_prompt: false)",
    )
    .option(
      "--resume <dir>",
      "continue the sweep in <dir> (after a kill or Ctrl-C): each row keeps its journaled test runs and runs only the missing ones",
    )
    .option("--json", "print the summary as JSON")
    .option(
      "--queue <url>",
      "enqueue each row's test runs for orket worker processes (redis://host:port or rediss://) instead of running them here",
    )
    .option(
      "--mixed-hardware",
      "with --queue: a row may hold runs from workers on different hardware (its report says so on every figure)",
    );
  addTimeoutFlag(command);
  addOutFlag(command, "where the summary and each row's report go (default orket-sweeps/<family>-<time>)");
  return addProviderFlags(addLaneFlags(addOtelFlag(addReporterFlag(addProjectFlag(command)))));
}

export function registerSweep(program: Command, env: CliEnvironment): void {
  const sweep = program
    .command("sweep")
    .description("run one bank through several quantizations or context sizes and recommend one");

  const quant = sweep
    .command("quant")
    .description("sweep quantizations of one model: frontier, recommendation, stability KPIs")
    .option("--model-family <family>", "model family, e.g. qwen2.5-coder:7b (Ollama tags are built from it)")
    .option("--quants <list>", "quantization tags, e.g. q8_0,q6_K,q4_K_M", listArg(parseQuantList))
    .option("--tag-template <t>", "how a tag is built (default {family}-instruct-{quant})")
    .option("--gguf-dir <dir>", "a folder with one .gguf file per quant, matched by name")
    .option(
      "--models <list>",
      "explicit quant=ref pairs, e.g. q8_0=ollama/x:q8,q4=gguf/./a.gguf",
      listArg(parseModelList),
    )
    .option(
      "--kld",
      "also measure each GGUF quantization's KL divergence and top-token agreement against the largest file, teacher-forced on the bank's reference solutions",
    )
    .option(
      "--kld-text <file>",
      "measure KL divergence over a plain text file instead, as llama-perplexity --kl-divergence does (implies --kld; needs --kld-ctx)",
    )
    .option(
      "--kld-ctx <n>",
      "window size in tokens for --kld-text (the second half of each window is scored)",
      intArg("--kld-ctx", 4, 1_048_576),
    );
  addCommonFlags(quant).action(async (flags: QuantFlags) => {
    const { runQuantSweep } = await import("../../index.js");
    await runAndPrint(flags, env, (common) =>
      runQuantSweep({
        ...common,
        modelFamily: flags.modelFamily,
        quants: flags.quants,
        tagTemplate: flags.tagTemplate,
        ggufDir: flags.ggufDir,
        models: flags.models,
        kld:
          flags.kld || flags.kldText !== undefined || flags.kldCtx !== undefined
            ? { text: flags.kldText, ctx: flags.kldCtx }
            : undefined,
      }),
    );
  });

  const context = sweep
    .command("context")
    .description("sweep context sizes of one model and find the largest safe one");
  addModelFlag(context, "provider/model (gguf/ or ollama/)", { required: true })
    .requiredOption(
      "--contexts <list>",
      "context sizes in tokens, e.g. 2048,4096,8192",
      listArg(parseContextList),
    )
    .option(
      "--adherence-floor <r>",
      "lowest acceptable adherence (0: none)",
      floatArg("--adherence-floor", 0, 1),
      0,
    )
    .option(
      "--first-token-ceiling <s>",
      "highest acceptable median first-token latency, seconds",
      floatArg("--first-token-ceiling", 0.001, 86_400),
    )
    .option(
      "--decode-floor <tps>",
      "lowest acceptable median decode speed, tokens per second",
      floatArg("--decode-floor", 0, 1_000_000),
    );
  addCommonFlags(context).action(async (flags: ContextFlags) => {
    const { runContextSweep } = await import("../../index.js");
    await runAndPrint(flags, env, (common) =>
      runContextSweep({
        ...common,
        model: flags.model,
        contexts: flags.contexts,
        adherenceFloor: flags.adherenceFloor,
        firstTokenCeiling: flags.firstTokenCeiling ?? null,
        decodeFloor: flags.decodeFloor ?? null,
      }),
    );
  });

  const concurrency = sweep
    .command("concurrency")
    .description("load one server with 1, 2, 4 … concurrent clients: latency, throughput, goodput, the knee");
  addModelFlag(concurrency, "openai/<model> (with --base-url) or ollama/<model>", { required: true })
    .option("--levels <list>", "concurrent clients per level", "1,2,4,8,16")
    .option("--duration <time>", "how long each level runs, e.g. 60s or 2m (default 60s)")
    .option("--requests <n>", "requests per level, instead of a duration", intArg("--requests", 1))
    .option("--slo <limits>", "limits a request must meet to count as goodput, e.g. ttft:500ms,itl:50ms")
    .option("--max-tokens <n>", "most output tokens per request", intArg("--max-tokens", 1), 128)
    .option("--bank <bank>", "builtin, or a bank JSON file (its direct prompts are cycled)", "builtin")
    .option("--tasks <list>", "positions or ids, e.g. 1-10,12")
    .option("--seed <n>", "sampling seed", intArg("--seed", 0, 2 ** 31 - 1), 42)
    .option("--temperature <t>", "sampling temperature", floatArg("--temperature", 0, 5), 0)
    .option(
      "--warmup-requests <n>",
      "unmeasured requests before the first level",
      intArg("--warmup-requests", 0),
      1,
    )
    .option("--json", "print the sweep as JSON");
  addTimeoutFlag(concurrency);
  addOutFlag(
    concurrency,
    "where concurrency_sweep.json and its HTML report go (default orket-sweeps/concurrency-<time>)",
  );
  addProviderFlags(addReporterFlag(concurrency)).action(async (flags: ConcurrencyFlags) => {
    const { runConcurrencySweep, renderConcurrencyText, parseDuration, parseLevels, parseSlo } = await import(
      "../../index.js"
    );
    const parsed = <T>(parse: () => T): T => {
      try {
        return parse();
      } catch (error) {
        throw new CliUsageError((error as Error).message);
      }
    };
    if (flags.duration !== undefined && flags.requests !== undefined)
      throw new CliUsageError(
        "--duration and --requests: give one (a level runs for a time or a number of requests)",
      );
    const levels = parsed(() => parseLevels(flags.levels));
    const durationSeconds =
      flags.duration === undefined ? undefined : parsed(() => parseDuration(flags.duration as string));
    const slo = flags.slo === undefined ? null : parsed(() => parseSlo(flags.slo as string));
    noteNoTimeout(flags.timeout);
    await runReported(env, {
      reporter: flags.reporter,
      json: flags.json,
      onInterrupt: "stopping after the requests in flight and writing the levels done",
      run: ({ stream, signal }) =>
        runConcurrencySweep({
          model: flags.model,
          providers: providerSettings(flags, env),
          levels,
          durationSeconds,
          requests: flags.requests,
          slo,
          maxOutputTokens: flags.maxTokens,
          bank: flags.bank,
          tasks: flags.tasks,
          seed: flags.seed,
          temperature: flags.temperature,
          warmupRequests: flags.warmupRequests,
          timeoutMs: flags.timeout,
          out: flags.out,
          signal,
          reporter: stream,
        }),
      record: ({ sweep }) => sweep,
      text: ({ sweep, path, htmlPath }) =>
        `${renderConcurrencyText(sweep)}\n\nsweep: ${path}\nreport: ${htmlPath}\n`,
      failed: ({ sweep }) => sweep.interrupted,
    });
  });

  sweep
    .command("report")
    .description("render a sweep summary as sweep_report.md and sweep_report.html")
    .requiredOption("--summary <file>", "a sweep_summary.json")
    .option("--out <dir>", "where the report files go (default: the summary's folder)")
    .option("--include-invalid", "show invalid rows in the frontier and comparison views")
    .action(async (flags: { summary: string; out?: string; includeInvalid?: boolean }) => {
      const { readFile } = await import("node:fs/promises");
      const { dirname, join } = await import("node:path");
      const { SweepSummarySchema } = await import("../../spec/lab.js");
      const { renderSweepReport, writeFileAtomic } = await import("../../index.js");
      let value: unknown;
      try {
        value = JSON.parse(await readFile(flags.summary, "utf8"));
      } catch (error) {
        throw new CliUsageError(
          `${flags.summary}: cannot read a JSON sweep summary (${(error as Error).message})`,
        );
      }
      const parsed = SweepSummarySchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CliUsageError(
          `${flags.summary}: not an Orket sweep summary: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
        );
      }
      const { markdown, html } = renderSweepReport(parsed.data, {
        includeInvalid: flags.includeInvalid ?? parsed.data.settings.include_invalid,
      });
      const dir = flags.out ?? dirname(flags.summary);
      const md = join(dir, "sweep_report.md");
      const page = join(dir, "sweep_report.html");
      await writeFileAtomic(md, markdown);
      await writeFileAtomic(page, html);
      process.stdout.write(`wrote ${md}\nwrote ${page}\n`);
    });
}

type Common = Parameters<typeof import("../../index.js").runQuantSweep>[0];
type Result = Awaited<ReturnType<typeof import("../../index.js").runQuantSweep>>;

async function runAndPrint(
  flags: CommonFlags,
  env: CliEnvironment,
  run: (common: Common) => Promise<Result>,
): Promise<void> {
  const { renderSweepText, projectDatabasePath, runQueuedBenchmark } = await import("../../index.js");
  if (flags.mixedHardware && flags.queue === undefined)
    throw new CliUsageError("--mixed-hardware is for --queue: a local sweep runs on one machine");
  const queue = flags.queue;
  if (flags.resume !== undefined && flags.out !== undefined && resolve(flags.out) !== resolve(flags.resume)) {
    throw new CliUsageError(
      `--resume ${flags.resume} and --out ${flags.out} name different folders; give one`,
    );
  }
  noteNoTimeout(flags.timeout);
  await runReported(env, {
    reporter: flags.reporter,
    otel: flags.otel,
    json: flags.json,
    onInterrupt: "stopping after the current test run and writing the summary (--resume continues it)",
    run: ({ stream, signal }) =>
      run({
        home: env.home,
        history: projectDatabasePath(flags.project),
        out: flags.resume ?? flags.out,
        ...(flags.resume !== undefined ? { resume: true } : {}),
        bank: flags.bank,
        tasks: flags.tasks,
        runs: flags.runs,
        seed: flags.seed,
        temperature: flags.temperature,
        maxOutputTokens: flags.maxTokens,
        timeoutMs: flags.timeout,
        lane: flags.lane,
        vramProfile: flags.vramProfile,
        adherenceThreshold: flags.adherenceThreshold,
        latencyCeiling: flags.latencyCeiling ?? null,
        includeInvalid: flags.includeInvalid === true,
        skipCanary: flags.skipCanary === true,
        canaryTasks: flags.canaryTasks,
        canaryRuns: flags.canaryRuns,
        warmup: flags.warmup,
        ...(flags.coldPrefill ? { promptCache: false } : {}),
        providers: providerSettings(flags, env),
        signal,
        reporter: stream,
        ...(queue !== undefined
          ? {
              runBench: (options) =>
                runQueuedBenchmark({ ...options, queue, mixedHardware: flags.mixedHardware }),
            }
          : {}),
      }),
    record: ({ summary }) => summary,
    text: ({ summary, path, historyPath }) =>
      `${renderSweepText(summary)}\n\nsummary: ${path}${historyPath ? `\nhistory: ${historyPath}` : ""}\n`,
    failed: ({ summary }) => summary.interrupted === true,
  });
}
