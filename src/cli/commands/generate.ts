import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError, exitCodeFor } from "../errors.js";
import { listenForInterrupt } from "../interrupt.js";
import {
  addLaneFlags,
  addModelFlag,
  addOtelFlag,
  addTimeoutFlag,
  collect,
  floatArg,
  intArg,
  outputFileArg,
} from "../options.js";
import { addProviderFlags, type ProviderFlags, providerSettings } from "../provider-flags.js";
import { startExport } from "../with-reporter.js";

interface GenerateFlags extends ProviderFlags {
  model?: string;
  system?: string;
  stream: boolean;
  json?: boolean;
  telemetryOut?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  ctxSize?: number;
  timeout?: number;
  retries?: number;
  lane?: "ci" | "lab";
  vramProfile?: "safe" | "balanced" | "stress";
  otel?: boolean;
}

export function registerGenerate(program: Command, env: CliEnvironment): void {
  const command = program
    .command("generate")
    .description("send one prompt to a model, stream the answer, and print the call's telemetry record")
    .argument("[prompt...]", 'the prompt; "-" or nothing with piped input reads standard input');
  addModelFlag(
    command,
    "provider/model: ollama/<name>, openai/<name>, gguf/<file.gguf>, replay/<cassette.jsonl>",
  );
  addTimeoutFlag(command, "time limit of one attempt in ms (0: no limit)");
  command
    .option("--system <text>", "a system message")
    .option("--no-stream", "ask for the whole answer at once (init_latency is then null)")
    .option(
      "--json",
      "print one JSON object {model_ref, text, telemetry} instead of streaming text and a table",
    )
    .option(
      "--telemetry-out <file>",
      "also write the telemetry record to this file",
      outputFileArg("--telemetry-out"),
    )
    .option("--max-tokens <n>", "most tokens to generate", intArg("--max-tokens", 1))
    .option("--temperature <t>", "sampling temperature", floatArg("--temperature", 0, 5))
    .option("--top-p <p>", "nucleus sampling", floatArg("--top-p", 0, 1))
    .option("--seed <n>", "sampling seed", intArg("--seed", 0, 2 ** 31 - 1))
    .option("--stop <text>", "a stop sequence (repeatable)", collect)
    .option(
      "--ctx-size <n>",
      "context size in tokens (Ollama num_ctx, embedded engine context)",
      intArg("--ctx-size", 16),
    )
    .option(
      "--retries <n>",
      "retries for retryable errors (connection refused, 429, 5xx)",
      intArg("--retries", 0, 10),
      2,
    );
  addProviderFlags(addLaneFlags(addOtelFlag(command))).action(
    async (words: string[], flags: GenerateFlags) => {
      await runGenerate(words, flags, env);
    },
  );
}

async function runGenerate(words: string[], flags: GenerateFlags, env: CliEnvironment): Promise<void> {
  const prompt = await readPrompt(words);
  const { generate } = await import("../../index.js");
  const { formatTelemetry } = await import("../format-telemetry.js");
  const exporting = await startExport(flags.otel);
  const interrupt = listenForInterrupt();

  try {
    const outcome = await generate({
      prompt,
      system: flags.system,
      model: flags.model,
      stream: flags.stream,
      home: env.home,
      maxOutputTokens: flags.maxTokens,
      temperature: flags.temperature,
      topP: flags.topP,
      seed: flags.seed,
      stop: flags.stop,
      contextSize: flags.ctxSize,
      timeoutMs: flags.timeout,
      retry: { maxRetries: flags.retries ?? 2 },
      signal: interrupt.signal,
      lane: flags.lane,
      vramProfile: flags.vramProfile,
      providers: { ...providerSettings(flags, env), contextSize: flags.ctxSize },
      onTextDelta: flags.json ? undefined : (text) => process.stdout.write(text),
      onNotice: (message) => process.stderr.write(`orket: ${message}\n`),
    });
    const { result } = outcome;
    if (flags.telemetryOut) {
      const { writeFileAtomic } = await import("../../index.js");
      await writeFileAtomic(flags.telemetryOut, `${JSON.stringify(result.telemetry, null, 2)}\n`);
    }
    if (flags.json) {
      const record = {
        model_ref: outcome.modelRef,
        chosen_because: outcome.chosenBecause,
        text: result.text,
        telemetry: result.telemetry,
      };
      process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    } else {
      if (result.text.length > 0 && !result.text.endsWith("\n")) process.stdout.write("\n");
      process.stderr.write(`${formatTelemetry(result.telemetry)}\n`);
    }
    if (!result.ok) {
      process.stderr.write(`orket: ${result.error.code}: ${result.error.message}\n`);
      process.exitCode = exitCodeFor(result.error);
    }
  } finally {
    interrupt.dispose();
    await exporting?.stop();
  }
}

async function readPrompt(words: string[]): Promise<string> {
  const joined = words.join(" ");
  if (joined !== "" && joined !== "-") return joined;
  if (joined === "-" || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8").trim();
    if (text !== "") return text;
  }
  throw new CliUsageError('generate needs a prompt: orket generate "your prompt" (or pipe one in)');
}
