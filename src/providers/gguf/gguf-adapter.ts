/**
 * The embedded adapter: runs a GGUF file in this process with llama.cpp through node-llama-cpp. The
 * library is imported lazily on the first call, so a CLI that never touches a GGUF starts without it.
 * The adapter drives the token loop itself (`LlamaContextSequence.evaluate`) instead of `LlamaChat`, so
 * that every count and timing it reports is observed directly: when a token was sampled, how many tokens
 * the prompt had, how many of them came from the KV cache.
 */
import type {
  ChatHistoryItem,
  ChatWrapper,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  LlamaText,
  Token,
} from "node-llama-cpp";
import { AbortedError, BadRequestError, ModelCallError, ModelLoadError } from "../../spec/errors.js";
import type {
  Clock,
  EngineRecord,
  FinishPart,
  GenerateResult,
  ModelAdapter,
  ModelMessage,
  ModelRequest,
  StreamPart,
} from "../../spec/model.js";
import { identifyModelFile, readGgufQuantization } from "../model-file.js";
import { PartQueue } from "./part-queue.js";
import {
  acquireLlama,
  firstLine,
  type LlamaLease,
  type LlamaLog,
  loadGgufModel,
  stderrLog,
} from "./shared-llama.js";
import { StopMatcher, type StopString } from "./stop-matcher.js";

export interface GgufSettings {
  path: string;
  /** `false` (default) runs on the CPU; `"auto"` uses a GPU when node-llama-cpp finds one. */
  gpu?: "auto" | false;
  /** Context window in tokens when a request does not ask for one. Default: the model's own, at most 4096. */
  contextSize?: number;
  /**
   * Threads for evaluation. Default: the CPU's math cores less one, at least one. llama.cpp's threads
   * spin while they wait for each other; given every core they fight Node's own thread for one, which on
   * a 2-core machine made decoding 20 times slower (108 tok/s with 2 threads, 2466 with 1, tiny model).
   */
  threads?: number;
  /**
   * Reuse the longest common prompt prefix from the previous call's KV cache (default true: a turn's
   * next step resends its history). The benchmark turns it off so every test run pays its own prefill.
   */
  promptCache?: boolean;
  /** Default `performance`. */
  clock?: Clock;
  /** Where llama.cpp's warnings and errors go. Default: one line each on stderr. */
  log?: LlamaLog;
}

const DEFAULT_MAX_CONTEXT = 4096;
/** Tokens held back at most while waiting for the rest of a split UTF-8 character. */
const MAX_PARTIAL_CHARACTER_TOKENS = 4;
/**
 * Tokens before a chunk given to the detokenizer, so that SentencePiece spacing sees the preceding text;
 * node-llama-cpp uses at most 3.
 */
const DETOKENIZER_CONTEXT_TOKENS = 3;

/**
 * Makes the embedded adapter for `settings.path`. Nothing loads until the first call; the model is then
 * loaded once and reused. `close()` disposes the context and the model, which hold the memory; the
 * process-wide llama.cpp engine stays up for the next model (see `shared-llama.ts`). Calls are served one
 * at a time on one context sequence, which keeps the longest common prompt prefix in its KV cache.
 * Sampling is exactly what the request sets: an unset temperature is node-llama-cpp's 0 (greedy), and
 * there is no repeat penalty.
 */
export function createGgufAdapter(settings: GgufSettings): ModelAdapter {
  return new GgufAdapter(settings);
}

interface Engine {
  lease: LlamaLease;
  model: LlamaModel;
  chatWrapper: ChatWrapper;
  context?: { requestedSize: number; context: LlamaContext; sequence: LlamaContextSequence };
}

/** node-llama-cpp's names for why a generation stopped, plus "contextFull" (LlamaChat would shift instead). */
type StopReason = "eogToken" | "stopGenerationTrigger" | "customStopTrigger" | "maxTokens" | "contextFull";

class GgufAdapter implements ModelAdapter {
  readonly ref: string;
  readonly provider = "gguf" as const;
  readonly modelId: string;
  readonly capabilities = { trueStreaming: true, inferenceProcess: { kind: "self" } } as const;

  private readonly clock: Clock;
  private readonly log: LlamaLog;
  private engine: Promise<Engine> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly settings: GgufSettings) {
    this.modelId = settings.path;
    this.ref = `gguf/${settings.path}`;
    this.clock = settings.clock ?? performance;
    this.log = settings.log ?? stderrLog;
  }

  async generate(request: ModelRequest): Promise<GenerateResult> {
    let text = "";
    let finish: FinishPart | undefined;
    try {
      await this.call(request, (part) => {
        if (part.type === "text-delta") text += part.text;
        else if (part.type === "finish") finish = part;
      });
    } catch (error) {
      throw toModelCallError(error);
    }
    if (!finish) throw new ModelCallError("SERVER_ERROR", "the embedded engine ended without a finish");
    return { text, finishReason: finish.finishReason, usage: finish.usage, timings: finish.timings };
  }

  /**
   * Generation runs on its own, pushing parts into a queue as tokens are sampled; the caller reads them
   * at its own pace. A slow reader therefore never slows the engine down or inflates its timings.
   */
  async *stream(request: ModelRequest): AsyncIterable<StreamPart> {
    const queue = new PartQueue();
    const readerGone = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, readerGone.signal]) : readerGone.signal;
    let emitted = false;
    const done = this.call({ ...request, signal }, (part) => {
      emitted = true;
      queue.push(part);
    }).then(
      () => queue.end(),
      (error: unknown) => {
        const failure = toModelCallError(error);
        if (emitted) queue.push({ type: "error", error: failure });
        else queue.fail(failure);
        queue.end();
      },
    );
    try {
      yield* queue;
    } finally {
      readerGone.abort();
      await done;
    }
  }

  /**
   * The reproducibility record: the file's sha256 and the quantization its header names, the llama.cpp
   * release node-llama-cpp runs (a prebuilt binary or one built on this machine), and the context,
   * threads and GPU layers in effect (those of the loaded model; before the first call, what will apply).
   */
  async describe(): Promise<EngineRecord> {
    const path = this.settings.path;
    const nullReasons: Record<string, string> = {};
    const [file, quantization] = await Promise.all([
      identifyModelFile(path).catch((error: NodeJS.ErrnoException) => {
        nullReasons.file_sha256 = `cannot read ${path} (${error.code ?? error.message})`;
        nullReasons.file_bytes = nullReasons.file_sha256;
        return null;
      }),
      readGgufQuantization(path).catch((error: Error) => {
        nullReasons.quantization = `cannot read the GGUF header (${firstLine(error)})`;
        return null;
      }),
    ]);
    if (quantization === null) nullReasons.quantization ??= "the GGUF header has no general.file_type";
    const engine = await this.engine?.catch(() => undefined);
    const llama = engine?.lease.llama;
    if (!engine) {
      nullReasons.build = "the model is not loaded yet";
      nullReasons.gpu_layers = nullReasons.build;
    }
    const contextSize = engine?.context?.context.contextSize ?? this.settings.contextSize ?? null;
    if (contextSize === null) nullReasons.context_size = "no context was created yet";
    nullReasons.digest = "a GGUF file has no digest of its own beyond its sha256";
    nullReasons.server_sampler_defaults =
      "the embedded engine has no sampler defaults of its own: it applies the request's fields (unset temperature: greedy)";
    return {
      model: {
        file_sha256: file?.sha256 ?? null,
        file_bytes: file?.bytes ?? null,
        digest: null,
        quantization,
        path,
      },
      engine: {
        name: "node-llama-cpp (embedded llama.cpp)",
        build: llama
          ? `${llama.llamaCppRelease.repo}@${llama.llamaCppRelease.release} (${llama.buildType})`
          : null,
        version: null,
      },
      context_size: contextSize,
      threads: llama
        ? (this.settings.threads ?? Math.max(1, llama.cpuMathCores - 1))
        : (this.settings.threads ?? null),
      gpu_layers: engine ? engine.model.gpuLayers : null,
      server_sampler_defaults: null,
      server_settings: {
        prompt_cache: this.settings.promptCache !== false,
        gpu: this.settings.gpu ?? false,
        ...(llama ? { gpu_backend: llama.gpu, system_info: llama.systemInfo } : {}),
      },
      null_reasons: nullReasons,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const engine = this.engine;
    this.engine = undefined;
    if (!engine) return;
    await this.queue;
    const loaded = await engine.catch(() => undefined);
    if (!loaded) return;
    await loaded.context?.context.dispose();
    await loaded.model.dispose();
    loaded.lease.release();
  }

  /** One call, start to finish, under the adapter's lock. Parts go to `emit` as they are made. */
  private async call(request: ModelRequest, emit: (part: StreamPart) => void): Promise<void> {
    const signal = request.signal;
    if (signal?.aborted) throw new AbortedError();
    if (this.closed) throw new BadRequestError(`the adapter for ${this.settings.path} is closed`);
    const previous = this.queue;
    let release = (): void => {};
    this.queue = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    // Engine work that must finish before the sequence is used again (an abandoned prefill) holds the
    // lock, not the caller.
    const holdLock: Promise<unknown>[] = [];
    try {
      if (signal?.aborted) throw new AbortedError();
      if (this.closed) throw new BadRequestError(`the adapter for ${this.settings.path} is closed`);
      await this.generateLocked(request, emit, holdLock);
    } finally {
      void Promise.allSettled(holdLock).then(release);
    }
  }

  private async generateLocked(
    request: ModelRequest,
    emit: (part: StreamPart) => void,
    holdLock: Promise<unknown>[],
  ): Promise<void> {
    const signal = request.signal;
    const loadStart = this.clock.now();
    let loaded = false;
    if (!this.engine) {
      loaded = true;
      const engine = this.load(signal);
      this.engine = engine;
      engine.catch(() => {
        if (this.engine === engine) this.engine = undefined;
      });
    }
    const engine = await this.engine;
    const contextSize =
      request.contextSize ??
      this.settings.contextSize ??
      Math.min(engine.model.trainContextSize, DEFAULT_MAX_CONTEXT);
    if (engine.context?.requestedSize !== contextSize) {
      loaded = true;
      await this.createContext(engine, contextSize);
    }
    const { context, sequence } = engine.context as NonNullable<Engine["context"]>;
    const loadSeconds = loaded ? (this.clock.now() - loadStart) / 1000 : 0;
    if (signal?.aborted) throw new AbortedError();

    const { model, chatWrapper } = engine;
    const state = chatWrapper.generateContextState({ chatHistory: toChatHistory(request.messages) });
    const prompt = state.contextText.tokenize(model.tokenizer);
    if (prompt.length === 0) throw new BadRequestError("the prompt rendered to no tokens");
    if (prompt.length >= context.contextSize) {
      throw new BadRequestError(
        `the prompt has ${prompt.length} tokens; the context holds ${context.contextSize}`,
      );
    }
    const stopTokens: Token[][] = [];
    const stopStrings: StopString[] = (request.stop ?? [])
      .filter((text) => text.length > 0)
      .map((text) => ({ text, reason: "customStopTrigger" }));
    for (const trigger of state.stopGenerationTriggers) addTrigger(trigger, model, stopTokens, stopStrings);
    const stops = new StopMatcher(stopStrings);

    // Generation never runs past the end of the context (llama.cpp would have to shift it); when that,
    // not maxOutputTokens, is the limit, the raw finish reason says "contextFull".
    const room = context.contextSize - prompt.length;
    const requested = request.maxOutputTokens;
    const maxTokens = requested === undefined ? room : Math.min(requested, room);
    let stopReason: StopReason = requested !== undefined && requested <= room ? "maxTokens" : "contextFull";

    const evalStart = this.clock.now();
    // Keep the longest common prefix of the cached tokens, but always evaluate at least the last prompt
    // token: its logits are what the first sampled token is drawn from.
    if (this.settings.promptCache === false) await sequence.clearHistory();
    else await sequence.adaptStateToTokens(prompt.slice(0, -1), false);
    const cachedPromptTokens = sequence.nextTokenIndex;
    const evaluation = sequence.evaluate(
      prompt.slice(cachedPromptTokens),
      definedOnly({
        temperature: request.temperature,
        topP: request.topP,
        seed: request.seed,
        yieldEogToken: true,
      }),
    );

    // Counting: every token `evaluate` yields was sampled by the engine from one set of logits, so
    // `outputTokens` is the number of tokens yielded, including a final end-of-generation token and the
    // tokens of a stop trigger (the model produced them; they are just not shown as text). `promptTokens`
    // is the whole rendered prompt and `cachedPromptTokens` the part of it reused from the KV cache, as
    // the OpenAI-compatible adapters report them; prefill time covers only the tokens evaluated.
    const generated: Token[] = [];
    let pending: Token[] = [];
    let firstTokenAt: number | undefined;
    let lastTokenAt: number | undefined;
    const emitText = (text: string): void => {
      if (text.length > 0) emit({ type: "text-delta", text });
    };
    const detokenize = (tokens: Token[]): string => {
      const before = generated.length - tokens.length;
      return model.detokenize(
        tokens,
        false,
        generated.slice(Math.max(0, before - DETOKENIZER_CONTEXT_TOKENS), before),
      );
    };

    let abandoned = false;
    try {
      while (generated.length < maxTokens) {
        const pendingNext = evaluation.next();
        const next = firstTokenAt === undefined ? await raceAbort(pendingNext, signal) : await pendingNext;
        if (next === ABORTED) {
          // A prefill cannot be interrupted inside llama.cpp: answer now; the lock waits for it to end.
          abandoned = true;
          pendingNext.catch(() => undefined);
          holdLock.push(evaluation.return());
          throw new AbortedError();
        }
        if (next.done) break;
        const now = this.clock.now();
        firstTokenAt ??= now;
        lastTokenAt = now;
        const token = next.value;
        generated.push(token);
        if (model.isEogToken(token)) {
          stopReason = "eogToken";
          break;
        }
        if (stopTokens.some((stop) => endsWith(generated, stop))) {
          stopReason = "stopGenerationTrigger";
          break;
        }
        pending.push(token);
        const text = detokenize(pending);
        if (text.endsWith("\uFFFD") && pending.length < MAX_PARTIAL_CHARACTER_TOKENS) continue;
        pending = [];
        const { text: visible, stop } = stops.push(text);
        emitText(visible);
        if (stop) {
          stopReason = stop;
          break;
        }
        if (signal?.aborted) throw new AbortedError();
      }
    } finally {
      // `return()` ends node-llama-cpp's generator (after a decode still in flight) and frees the sequence.
      if (!abandoned) await evaluation.return();
    }
    if (pending.length > 0) emitText(stops.push(detokenize(pending)).text);
    emitText(stops.flush());

    emit({
      type: "finish",
      finishReason: {
        unified: stopReason === "maxTokens" || stopReason === "contextFull" ? "length" : "stop",
        raw: stopReason,
      },
      usage: { promptTokens: prompt.length, outputTokens: generated.length, cachedPromptTokens },
      timings: {
        source: "embedded",
        loadSeconds,
        prefillSeconds: firstTokenAt === undefined ? undefined : (firstTokenAt - evalStart) / 1000,
        decodeSeconds:
          firstTokenAt === undefined || lastTokenAt === undefined
            ? undefined
            : (lastTokenAt - firstTokenAt) / 1000,
        // The window opens at the first sampled token, so it holds the decode steps after it (as llama.cpp
        // counts them in llama-server's and llama-bench's figures).
        decodeTokens: Math.max(0, generated.length - 1),
      },
    });
  }

  private async load(signal: AbortSignal | undefined): Promise<Engine> {
    const path = this.settings.path;
    const lease = await acquireLlama(this.settings.gpu ?? false, this.log, path);
    try {
      const model = await loadGgufModel(lease, path, signal);
      return { lease, model, chatWrapper: lease.lib.resolveChatWrapper(model) };
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  private async createContext(engine: Engine, contextSize: number): Promise<void> {
    await engine.context?.context.dispose();
    engine.context = undefined;
    try {
      const context = await engine.model.createContext({
        contextSize,
        sequences: 1,
        threads: this.settings.threads ?? Math.max(1, engine.lease.llama.cpuMathCores - 1),
      });
      engine.context = { requestedSize: contextSize, context, sequence: context.getSequence() };
    } catch (error) {
      throw new ModelLoadError(
        this.settings.path,
        `cannot create a context of ${contextSize} tokens (${firstLine(error)})`,
        error,
      );
    }
  }
}

/**
 * Chat history for node-llama-cpp's chat wrapper. A `tool` message becomes a user turn (the wrapper has
 * no tool-result turn without function definitions). When the last message is the assistant's, the model
 * continues it; otherwise an empty assistant turn is opened for the answer.
 */
export function toChatHistory(messages: readonly ModelMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    if (message.role === "system") return { type: "system", text: message.content };
    if (message.role === "assistant") return { type: "model", response: [message.content] };
    return { type: "user", text: message.content };
  });
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/** A trigger of plain text is matched on text; one with special tokens is matched on tokens. */
function addTrigger(trigger: LlamaText, model: LlamaModel, tokens: Token[][], strings: StopString[]): void {
  if (trigger.values.every((value) => typeof value === "string")) {
    const text = trigger.values.join("");
    if (text.length > 0) strings.push({ text, reason: "stopGenerationTrigger" });
    return;
  }
  const sequence = trigger.tokenize(model.tokenizer);
  if (sequence.length > 0) tokens.push(sequence);
}

function endsWith(tokens: readonly Token[], suffix: readonly Token[]): boolean {
  if (suffix.length > tokens.length) return false;
  const offset = tokens.length - suffix.length;
  return suffix.every((token, index) => tokens[offset + index] === token);
}

const ABORTED = Symbol("aborted");

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function toModelCallError(error: unknown): ModelCallError {
  if (ModelCallError.is(error)) return error;
  return new ModelCallError("SERVER_ERROR", `the embedded engine failed: ${firstLine(error)}`, {
    cause: error,
  });
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
