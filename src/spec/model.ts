/**
 * The model adapter contract. Every backend (Ollama, OpenAI-compatible servers, the embedded llama.cpp
 * engine, cassette replay) implements `ModelAdapter`; nothing above `providers/` knows which one it has.
 * Types only: no runtime code lives here.
 */
import type { ModelCallError } from "./errors.js";
import type { ToolDefinition } from "./tools.js";

export type ProviderId = "ollama" | "openai" | "gguf" | "replay";

export type MessageRole = "system" | "user" | "assistant" | "tool";

export interface ModelMessage {
  role: MessageRole;
  content: string;
}

/** Sampling and context settings. Every field that is set must reach the backend. */
export interface CallSettings {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /** Context window (tokens) to load or request the model with, where the backend lets the client choose. */
  contextSize?: number;
}

export interface ModelRequest extends CallSettings {
  messages: ModelMessage[];
  /** Tools offered for native tool calling, on backends that support it; others ignore them. */
  tools?: ToolDefinition[];
  /** Aborts the call. The caller combines its own cancellation and the per-call timeout into this one signal. */
  signal?: AbortSignal;
}

/** Token counts as the backend reported them. Unknown is `undefined`, never 0. */
export interface Usage {
  promptTokens: number | undefined;
  outputTokens: number | undefined;
  /** Prompt tokens served from a cache (llama.cpp `cache_n`, OpenAI `prompt_tokens_details.cached_tokens`). */
  cachedPromptTokens?: number | undefined;
}

export type TimingSource = "ollama" | "llama.cpp" | "embedded" | "replay";

/**
 * Durations as measured by the inference engine itself (a server's own report, or the embedded engine's
 * in-process clock). They sit beside the client's timings, never in place of them.
 */
export interface ServerTimings {
  source: TimingSource;
  loadSeconds: number | undefined;
  prefillSeconds: number | undefined;
  decodeSeconds: number | undefined;
  /**
   * Tokens the decode window produced, when it is not every output token: llama.cpp (server and
   * embedded) times from the first sampled token to the last, so the first token, drawn from the
   * prefill's logits, is outside it. Undefined: all output tokens (Ollama's eval_count / eval_duration).
   */
  decodeTokens?: number | undefined;
  /** The backend's own fields, unchanged (Ollama's ns durations, llama.cpp's `timings`). */
  raw?: Record<string, unknown>;
}

export const UNIFIED_FINISH_REASONS = [
  "stop",
  "length",
  "content-filter",
  "tool-calls",
  "error",
  "other",
  "unknown",
] as const;
export type UnifiedFinishReason = (typeof UNIFIED_FINISH_REASONS)[number];

export interface FinishReason {
  unified: UnifiedFinishReason;
  /** What the backend said, verbatim (`done_reason`, `finish_reason`, ...); undefined when it said nothing. */
  raw: string | undefined;
}

export interface TextDeltaPart {
  type: "text-delta";
  text: string;
}

/**
 * A request setting the backend did not apply, said by the adapter instead of silently dropped (the AI
 * SDK's `unsupported-setting` warning). Reports then record `applied: false` with this reason in place of
 * the asked value.
 */
export interface CallWarning {
  type: "unsupported-setting";
  /** The `CallSettings` field, or an experimental control such as `promptCache`. */
  setting: string;
  details: string;
}

export interface FinishPart {
  type: "finish";
  finishReason: FinishReason;
  usage: Usage;
  timings: ServerTimings | undefined;
  /** The model name the backend answered with, when it said. */
  responseModel?: string | undefined;
  /** Settings of the request that did not reach the backend. */
  warnings?: CallWarning[] | undefined;
}

/** A native tool call from the backend. `arguments` is the JSON text as the backend sent it. */
export interface ToolCallPart {
  type: "tool-call";
  toolCallId: string | undefined;
  toolName: string;
  arguments: string;
}

export interface ErrorPart {
  type: "error";
  error: ModelCallError;
}

/** A stream is an async iterable of these parts. A malformed chunk becomes an `error` part, not a throw. */
export type StreamPart = TextDeltaPart | ToolCallPart | FinishPart | ErrorPart;

export interface GenerateResult {
  text: string;
  /** Native tool calls, when the backend returned any. */
  toolCalls?: ToolCallPart[];
  finishReason: FinishReason;
  usage: Usage;
  timings: ServerTimings | undefined;
  responseModel?: string | undefined;
  warnings?: CallWarning[] | undefined;
}

/**
 * What it takes to reproduce a run, as the backend reports it: the model's identity (file sha256 or the
 * server's digest), its quantization as the engine names it, the engine build, and the settings in
 * effect. Unknown is null, with a reason in `null_reasons`.
 */
export interface EngineRecord {
  model: {
    /** sha256 of the GGUF file, when Orket can read the file. */
    file_sha256: string | null;
    file_bytes: number | null;
    /** The server's own identity for the model (Ollama's digest). */
    digest: string | null;
    /** As the engine names it (`Q4_K_M`, llama.cpp's `model_ftype`, Ollama's `quantization_level`). */
    quantization: string | null;
    path: string | null;
  };
  engine: {
    name: string;
    /** llama.cpp's `build_info` (`b1234-abcdef0`), node-llama-cpp's llama.cpp release, Ollama's version. */
    build: string | null;
    /** The engine's library version (node-llama-cpp), when it has one of its own. */
    version: string | null;
  };
  /** The context window the engine runs with (tokens). */
  context_size: number | null;
  threads: number | null;
  gpu_layers: number | null;
  /** Sampler defaults the server applies to fields a request leaves unset. */
  server_sampler_defaults: Record<string, unknown> | null;
  /** The server's own flags and settings, where it reports them (`/props`, `/slots`). */
  server_settings: Record<string, unknown> | null;
  null_reasons: Record<string, string>;
}

/** Where inference runs, which decides whose memory `peak_memory_rss` measures. */
export type InferenceProcess =
  | { kind: "self" }
  | { kind: "pid"; pid: number }
  | { kind: "unknown"; reason: string };

export interface AdapterCapabilities {
  /**
   * True only when `stream()` yields text as the backend produces tokens. An adapter that can only emit a
   * whole answer at once says false, and `init_latency` is then null. Never inferred from content.
   */
  trueStreaming: boolean;
  inferenceProcess: InferenceProcess;
}

export interface ModelAdapter {
  /** The `provider/model` reference this adapter was made for. */
  readonly ref: string;
  readonly provider: ProviderId;
  readonly modelId: string;
  /** The server's base URL for an HTTP backend; absent for the embedded engine and recordings. */
  readonly endpoint?: string | undefined;
  readonly capabilities: AdapterCapabilities;
  /** One request, one whole answer, no streaming on the wire. Throws `ModelCallError`. */
  generate(request: ModelRequest): Promise<GenerateResult>;
  /**
   * One request, streamed. Failures before the first part may throw `ModelCallError`; failures after it
   * arrive as an `error` part, after which the stream ends. A stream that ends without `finish` or
   * `error` is a defect of the adapter.
   */
  stream(request: ModelRequest): AsyncIterable<StreamPart>;
  /**
   * Readies the client side before the first call (an HTTP client's lazy start-up, a keep-alive
   * connection), so that dispatch-to-first-token measures the backend and not Orket's own cold start.
   * It must not load the model: model load is part of the call. Failures are ignored by the caller.
   */
  prepare?(): Promise<void>;
  /**
   * The reproducibility record of the model and engine behind this adapter (see `EngineRecord`). May ask
   * the server; never loads a model that is not loaded. Failures become nulls with reasons, not throws.
   */
  describe?(signal?: AbortSignal): Promise<EngineRecord>;
  /** Releases engines, sockets or files the adapter holds. Safe to call twice. */
  close?(): Promise<void>;
}

/** A monotonic clock in milliseconds (`performance.now()` in production; injected in tests). */
export interface Clock {
  now(): number;
}
