/**
 * Embedded decode throughput: Orket's gguf adapter against node-llama-cpp used directly, on the same
 * GGUF, prompt and settings (temperature 0, fixed seed, no repeat penalty, same context size and
 * threads). Runs alternate between the paths, in a rotating order, after one warm-up run each.
 *
 * Decode tok/s is, for every path alike, generated tokens / (time of the last token − time of the
 * first token), both times taken with `performance.now()` as the token arrives in JavaScript. For the
 * adapter these are the numbers it reports itself (`usage.outputTokens`, `timings.decodeSeconds`).
 * Target: adapter / `sequence.evaluate` doing the same work (text with detokenizer context) >= 0.97.
 * The bare loop and `LlamaChat` are printed beside it.
 *
 *   npx tsx perf/embedded-throughput.ts [model.gguf] [--tokens 128] [--reps 25] [--threads N]
 *
 * Without a path it writes the tiny random-weight model (its output is noise) to a temp dir and runs it
 * on 1 thread; a real GGUF runs on the CPU's math cores unless --threads says otherwise. All paths share
 * the process's one llama.cpp engine (see `shared-llama.ts`); each loads the model itself, so a real GGUF
 * is in memory twice.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatHistoryItem, LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { createGgufAdapter } from "../src/providers/gguf/gguf-adapter.js";
import { acquireLlama, disposeLlamaEngines } from "../src/providers/gguf/shared-llama.js";
import { writeTinyModel } from "../src/providers/gguf/tiny-model.js";
import type { ModelAdapter, ModelRequest } from "../src/spec/model.js";

const TARGET = 0.97;
const SEED = 1;
const PROMPT = "Write a TypeScript function that parses a CSV line into fields, handling quoted fields.";

interface Options {
  path: string | undefined;
  tokens: number;
  reps: number;
  threads: number | undefined;
}

interface Run {
  tokens: number;
  decodeSeconds: number;
}

type Path = { name: string; run: () => Promise<Run> };

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { path: undefined, tokens: 128, reps: 25, threads: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): number => {
      const parsed = Number(argv[++i]);
      if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${arg} needs a positive integer`);
      return parsed;
    };
    if (arg === "--tokens") options.tokens = value();
    else if (arg === "--reps") options.reps = value();
    else if (arg === "--threads") options.threads = value();
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else options.path = arg;
  }
  return options;
}

/** The adapter, read as a stream the way Orket's runner reads it. */
function adapterPath(adapter: ModelAdapter, request: ModelRequest): Path {
  return {
    name: "orket gguf adapter (stream)",
    run: async () => {
      for await (const part of adapter.stream(request)) {
        if (part.type === "error") throw part.error;
        if (part.type === "finish") {
          return {
            tokens: part.usage.outputTokens ?? 0,
            decodeSeconds: part.timings?.decodeSeconds ?? Number.NaN,
          };
        }
      }
      throw new Error("the stream ended without a finish part");
    },
  };
}

/**
 * The lowest level node-llama-cpp offers: the same token loop the adapter drives. `withContext` turns
 * each token into text as a correct stream must (and as `LlamaChat` does): with the 3 tokens before it,
 * so that SentencePiece spacing and llama.cpp's space clean-up see the preceding text. Without it, each
 * token is detokenized alone: the bare minimum.
 */
function evaluatePath(
  model: LlamaModel,
  context: LlamaContext,
  prompt: Token[],
  maxTokens: number,
  withContext: boolean,
): Path {
  const sequence = context.getSequence();
  return {
    name: `node-llama-cpp evaluate${withContext ? " + detok ctx" : " (bare)"}`,
    run: async () => {
      await sequence.clearHistory();
      const generated: Token[] = [];
      let first = 0;
      let last = 0;
      for await (const token of sequence.evaluate(prompt, {
        temperature: 0,
        seed: SEED,
        yieldEogToken: true,
      })) {
        last = performance.now();
        if (generated.length === 0) first = last;
        generated.push(token);
        model.detokenize([token], false, withContext ? generated.slice(-4, -1) : undefined);
        if (generated.length >= maxTokens || model.isEogToken(token)) break;
      }
      return { tokens: generated.length, decodeSeconds: (last - first) / 1000 };
    },
  };
}

/** node-llama-cpp's chat API, as an application would use it; tokens are timed as `onToken` hands them over. */
async function chatPath(context: LlamaContext, maxTokens: number): Promise<Path> {
  const { LlamaChat } = await import("node-llama-cpp");
  const chat = new LlamaChat({ contextSequence: context.getSequence() });
  const history: ChatHistoryItem[] = [
    { type: "user", text: PROMPT },
    { type: "model", response: [] },
  ];
  return {
    name: "node-llama-cpp LlamaChat",
    run: async () => {
      await chat.sequence.clearHistory();
      let tokens = 0;
      let first = 0;
      let last = 0;
      await chat.generateResponse(history, {
        maxTokens,
        temperature: 0,
        seed: SEED,
        repeatPenalty: false,
        onToken: (chunk) => {
          last = performance.now();
          if (tokens === 0) first = last;
          tokens += chunk.length;
        },
      });
      return { tokens, decodeSeconds: (last - first) / 1000 };
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const tempDir = options.path ? undefined : await mkdtemp(join(tmpdir(), "orket-bench-"));
  const path =
    options.path ?? (await writeTinyModel(join(tempDir as string, "tiny.gguf"), { seed: SEED })).path;
  const lease = await acquireLlama(false, () => {}, path);
  // The tiny model is fastest on one thread; a real model gets the adapter's default, the math cores.
  const threads = options.threads ?? (options.path ? lease.llama.cpuMathCores : 1);
  const model = await lease.llama.loadModel({ modelPath: path });
  const contextSize = Math.min(2048, model.trainContextSize);
  const contextOptions = { contextSize, sequences: 1, threads };
  const bareContext = await model.createContext(contextOptions);
  const evaluateContext = await model.createContext(contextOptions);
  const chatContext = await model.createContext(contextOptions);
  const adapter = createGgufAdapter({ path, contextSize, threads });
  const request: ModelRequest = {
    messages: [{ role: "user", content: PROMPT }],
    maxOutputTokens: options.tokens,
    temperature: 0,
    seed: SEED,
  };
  const chatWrapper = lease.lib.resolveChatWrapper(model);
  const prompt = chatWrapper
    .generateContextState({
      chatHistory: [
        { type: "user", text: PROMPT },
        { type: "model", response: [] },
      ],
    })
    .contextText.tokenize(model.tokenizer);

  const paths = [
    adapterPath(adapter, request),
    evaluatePath(model, evaluateContext, prompt, options.tokens, true),
    evaluatePath(model, bareContext, prompt, options.tokens, false),
    await chatPath(chatContext, options.tokens),
  ];
  const rates = new Map<string, number[]>(paths.map((p) => [p.name, []]));
  const tokenCounts = new Map<string, Set<number>>(paths.map((p) => [p.name, new Set()]));

  try {
    for (const p of paths) await p.run();
    for (let rep = 0; rep < options.reps; rep++) {
      // Rotate the order so that no path always runs first or last.
      for (let k = 0; k < paths.length; k++) {
        const p = paths[(rep + k) % paths.length] as Path;
        const run = await p.run();
        rates.get(p.name)?.push(run.tokens / run.decodeSeconds);
        tokenCounts.get(p.name)?.add(run.tokens);
      }
    }
  } finally {
    await adapter.close?.();
    await bareContext.dispose();
    await evaluateContext.dispose();
    await chatContext.dispose();
    await model.dispose();
    lease.release();
    await disposeLlamaEngines();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }

  const label = options.path ? path : "tiny random-weight model (output is noise)";
  console.log(`embedded decode throughput: ${label}`);
  console.log(
    `prompt ${prompt.length} tokens, up to ${options.tokens} generated, temperature 0, seed ${SEED}, ` +
      `${options.reps} alternating reps, threads ${threads}, context ${contextSize}`,
  );
  console.log("");
  console.log(
    `${"path".padEnd(36)}${"median tok/s".padStart(14)}${"min".padStart(10)}${"max".padStart(10)}  tokens/run`,
  );
  for (const p of paths) {
    const values = rates.get(p.name) ?? [];
    console.log(
      `${p.name.padEnd(36)}${median(values).toFixed(1).padStart(14)}${Math.min(...values)
        .toFixed(1)
        .padStart(10)}` +
        `${Math.max(...values)
          .toFixed(1)
          .padStart(10)}  ${[...(tokenCounts.get(p.name) ?? [])].join(",")}`,
    );
  }
  // Two ratios: of the medians, and the median of per-rep ratios (the runs of one rep are a fraction of a
  // second apart, so pairing them cancels most of the drift of a busy machine).
  const ours = rates.get(paths[0]?.name ?? "") ?? [];
  console.log("");
  for (const p of paths.slice(1)) {
    const theirs = rates.get(p.name) ?? [];
    const ratio = median(ours) / median(theirs);
    const paired = median(ours.map((value, i) => value / (theirs[i] ?? Number.NaN)));
    const target = p === paths[1] ? `  (target >= ${TARGET})` : "";
    console.log(`adapter / ${p.name}: ${ratio.toFixed(3)} of medians, ${paired.toFixed(3)} paired${target}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
