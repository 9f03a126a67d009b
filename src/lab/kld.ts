/**
 * Quantization quality by KL divergence (`orket sweep quant --kld`): each quantization's next-token
 * distributions against those of the highest-precision file of the sweep, teacher-forced over the same
 * tokens, with the embedded engine's probabilities (the full vocabulary at every scored position).
 *
 * Two sources of tokens:
 * - the bank: each task's direct prompt, as the chat template renders it, followed by the task's
 *   reference solution in its fenced block and the end-of-turn token; the positions that predict the
 *   answer are scored (what the model is asked to write, not the prompt it is given);
 * - a text file (`--kld-text`, `--kld-ctx n`), scored exactly as `llama-perplexity --kl-divergence`
 *   does: the text tokenized with the model's BOS, cut into windows of n tokens (the remainder dropped,
 *   each window's first token a BOS), and the second half of each window scored. On the same file and n
 *   the figures agree with llama.cpp's own tool (test/real-engine/kld.test.ts).
 *
 * The reference's distributions are held in memory as float32 log-probabilities: positions × vocabulary
 * × 4 bytes (for a 150 k vocabulary, 600 KB a position), refused above `MAX_REFERENCE_BYTES`.
 */
import { readFile } from "node:fs/promises";
import type { LlamaModel, Token } from "node-llama-cpp";
import { directPrompt } from "../bench/runner.js";
import {
  type KldSummary,
  positionDivergence,
  type ReferencePosition,
  referencePosition,
  summarizeKld,
  textWindows,
} from "../core/lab/kl-divergence.js";
import { toChatHistory } from "../providers/gguf/gguf-adapter.js";
import {
  acquireLlama,
  checkGgufHeader,
  type LlamaLease,
  loadGgufModel,
  stderrLog,
} from "../providers/gguf/shared-llama.js";
import type { Task } from "../spec/bank.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";

export const MAX_REFERENCE_BYTES = 4 * 2 ** 30;

export class KldError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = {
    BAD_KLD_INPUT: "usage",
    KLD_VOCAB_MISMATCH: "usage",
  };
  override readonly code: "BAD_KLD_INPUT" | "KLD_VOCAB_MISMATCH";
  constructor(code: "BAD_KLD_INPUT" | "KLD_VOCAB_MISMATCH", message: string) {
    super(message);
    this.code = code;
  }
}

export type KldSource =
  | { kind: "bank"; bank: string; tasks: readonly Task[] }
  | { kind: "text"; file: string; ctx: number };

export type KldSourceRecord = {
  kind: "bank" | "text";
  /** The bank's name, or the text file's path. */
  name: string;
  /** Tasks (bank) or windows (text) scored. */
  sequences: number;
  /** The window size (text); null for the bank. */
  ctx: number | null;
  positions: number;
};

export interface KldMeasurement {
  reference: string;
  source: KldSourceRecord;
  /** One per candidate, in the order given; the reference is not among them. */
  rows: Array<{ model_path: string; summary: KldSummary }>;
}

export interface KldOptions {
  /** The highest-precision file: the distributions the others are measured against. */
  reference: string;
  candidates: readonly string[];
  source: KldSource;
  threads?: number | undefined;
  gpu?: "auto" | false;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

interface ScoredSequence {
  tokens: Token[];
  /** Positions whose next-token distribution is compared, inclusive. */
  from: number;
  to: number;
}

export async function measureKld(options: KldOptions): Promise<KldMeasurement> {
  const text = options.source.kind === "text" ? await readText(options.source.file) : undefined;
  const lease = await acquireLlama(options.gpu ?? false, stderrLog, options.reference);
  try {
    options.onProgress?.(`kld: reference distributions from ${options.reference}`);
    const reference = await withModel(lease, options.reference, options.signal, async (model) => {
      const sequences =
        options.source.kind === "bank"
          ? bankSequences(lease, model, options.source.tasks)
          : textSequences(model, text ?? "", options.source.ctx, options.source.file);
      const positions: ReferencePosition[] = [];
      const vocabulary = await evaluate(model, sequences, options, (probabilities) => {
        if (positions.length === 0) checkSize(sequences, probabilities.length);
        positions.push(referencePosition(probabilities));
      });
      return { sequences, positions, vocabulary };
    });
    const source: KldSourceRecord = {
      kind: options.source.kind,
      name: options.source.kind === "bank" ? options.source.bank : options.source.file,
      sequences: reference.sequences.length,
      ctx: options.source.kind === "text" ? options.source.ctx : null,
      positions: reference.positions.length,
    };
    const rows: KldMeasurement["rows"] = [];
    for (const candidate of options.candidates) {
      options.onProgress?.(`kld: ${candidate} against the reference (${source.positions} positions)`);
      const summary = await withModel(lease, candidate, options.signal, async (model) => {
        const values: number[] = [];
        let sameTop = 0;
        const vocabulary = await evaluate(model, reference.sequences, options, (probabilities) => {
          const position = reference.positions[values.length] as ReferencePosition;
          if (probabilities.length !== reference.vocabulary) {
            throw new KldError(
              "KLD_VOCAB_MISMATCH",
              `${candidate} has a vocabulary of ${probabilities.length} tokens, the reference ${options.reference} ${reference.vocabulary}: KL divergence compares quantizations of one model`,
            );
          }
          const { kld, sameTop: same } = positionDivergence(position, probabilities);
          values.push(kld);
          if (same) sameTop++;
        });
        void vocabulary;
        return summarizeKld(values, sameTop);
      });
      if (summary) rows.push({ model_path: candidate, summary });
    }
    return { reference: options.reference, source, rows };
  } finally {
    lease.release();
  }
}

/**
 * Checks a `--kld-text` run before a sweep spends its time: the file is readable, and long enough for
 * two windows in the reference's own tokens (only its vocabulary is loaded, not its weights).
 */
export async function checkKldText(reference: string, file: string, ctx: number): Promise<void> {
  const text = await readText(file);
  const lease = await acquireLlama(false, stderrLog, reference);
  try {
    await checkGgufHeader(reference);
    const model = await lease.llama.loadModel({ modelPath: reference, vocabOnly: true });
    try {
      textSequences(model, text, ctx, file);
    } finally {
      await model.dispose();
    }
  } finally {
    lease.release();
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "file not found"
        : code === "EISDIR"
          ? "a folder, not a text file"
          : error instanceof Error
            ? error.message
            : String(error);
    throw new KldError("BAD_KLD_INPUT", `--kld-text ${file}: ${why}`);
  }
}

async function withModel<T>(
  lease: LlamaLease,
  path: string,
  signal: AbortSignal | undefined,
  use: (model: LlamaModel) => Promise<T>,
): Promise<T> {
  const model = await loadGgufModel(lease, path, signal);
  try {
    return await use(model);
  } finally {
    await model.dispose();
  }
}

/** Each task's prompt as the chat template renders it, then its fenced reference solution and the end of turn. */
function bankSequences(lease: LlamaLease, model: LlamaModel, tasks: readonly Task[]): ScoredSequence[] {
  const chatWrapper = lease.lib.resolveChatWrapper(model);
  const end = model.tokens.eos;
  return tasks.map((task) => {
    const state = chatWrapper.generateContextState({ chatHistory: toChatHistory(directPrompt(task)) });
    const prompt = state.contextText.tokenize(model.tokenizer);
    const answer = model.tokenize(fencedAnswer(task), false);
    const tokens = [...prompt, ...answer, ...(end === null ? [] : [end])];
    return { tokens, from: prompt.length - 1, to: tokens.length - 2 };
  });
}

/** The answer the model is asked for: the reference solution in one fenced block of its language. */
export function fencedAnswer(task: Task): string {
  return `\`\`\`${task.language}\n${task.reference_solution.replace(/\s+$/, "")}\n\`\`\``;
}

/** llama-perplexity's windows: BOS-led windows of `ctx` tokens, the second half of each scored. */
function textSequences(model: LlamaModel, text: string, ctx: number, file: string): ScoredSequence[] {
  if (!Number.isInteger(ctx) || ctx < 4) {
    throw new KldError("BAD_KLD_INPUT", `--kld-ctx ${ctx}: a window needs at least 4 tokens`);
  }
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  const tokens = [...(bos === null ? [] : [bos]), ...model.tokenize(text, false)];
  if (tokens.length < 2 * ctx) {
    throw new KldError(
      "BAD_KLD_INPUT",
      `--kld-text ${file}: ${tokens.length} tokens, and a window of ${ctx} needs at least ${2 * ctx} (as llama-perplexity does)`,
    );
  }
  const { windows, first } = textWindows(tokens.length, ctx);
  const sequences: ScoredSequence[] = [];
  for (let w = 0; w < windows; w++) {
    const window = tokens.slice(w * ctx, (w + 1) * ctx);
    if (bos !== null) window[0] = bos;
    sequences.push({ tokens: window, from: first, to: ctx - 2 });
  }
  return sequences;
}

function checkSize(sequences: readonly ScoredSequence[], vocabulary: number): void {
  const positions = sequences.reduce((n, s) => n + s.to - s.from + 1, 0);
  const bytes = positions * vocabulary * 4;
  if (bytes > MAX_REFERENCE_BYTES) {
    throw new KldError(
      "BAD_KLD_INPUT",
      `the reference's distributions would take ${(bytes / 2 ** 30).toFixed(1)} GiB (${positions} positions × ${vocabulary} tokens); score fewer tasks (--tasks) or a shorter --kld-text`,
    );
  }
}

/**
 * Teacher-forces every sequence through the model, one at a time in a fresh history, and hands over the
 * full next-token distribution (index = token id) at each scored position, in order. Returns the
 * vocabulary size.
 */
async function evaluate(
  model: LlamaModel,
  sequences: readonly ScoredSequence[],
  options: KldOptions,
  onPosition: (probabilities: Float64Array) => void,
): Promise<number> {
  const longest = Math.max(...sequences.map((s) => s.tokens.length));
  const context = await model.createContext({
    contextSize: longest,
    batchSize: longest,
    sequences: 1,
    // node-llama-cpp's default oversubscribes a small machine (measured: 540 ms for a 128-token window on
    // 2 cores against 30 ms with 2 threads); llama-perplexity's default is the cores it has.
    threads: options.threads ?? Math.max(1, model.llama.cpuMathCores),
  });
  let vocabulary = 0;
  try {
    const sequence = context.getSequence();
    for (const s of sequences) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
      await sequence.clearHistory();
      const input = s.tokens.map((token, i) =>
        i >= s.from && i <= s.to ? ([token, { generateNext: { probabilities: true } }] as const) : token,
      );
      const output = await sequence.controlledEvaluate(
        input as Parameters<typeof sequence.controlledEvaluate>[0],
      );
      for (let i = s.from; i <= s.to; i++) {
        const map = output[i]?.next.probabilities;
        if (!map) throw new Error(`the engine gave no distribution at position ${i}`);
        let size = vocabulary;
        if (size === 0) {
          for (const token of map.keys()) size = Math.max(size, token + 1);
          vocabulary = size;
        }
        const dense = new Float64Array(Math.max(size, map.size));
        for (const [token, p] of map) dense[token] = p;
        onPosition(dense);
      }
    }
  } finally {
    await context.dispose();
  }
  return vocabulary;
}
