/**
 * One model call with its telemetry: dispatch, retries with backoff for retryable errors, a per-attempt
 * timeout, cancellation, and — in a `finally`, on success, failure and exception alike — one
 * `CallTelemetry` record built on the client's monotonic clock, with the engine's own timings beside it.
 */
import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { computeTokenMetrics } from "../core/bench/token-metrics.js";
import { round3 } from "../core/shared/rounding.js";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import {
  AbortedError,
  CallTimeoutError,
  InternalCallError,
  MalformedStreamError,
  ModelCallError,
} from "../spec/errors.js";
import type {
  CallWarning,
  Clock,
  FinishReason,
  ModelAdapter,
  ModelRequest,
  ServerTimings,
  ToolCallPart,
  Usage,
} from "../spec/model.js";
import { CALL_TELEMETRY_SCHEMA_VERSION, type CallTelemetry } from "../spec/telemetry.js";
import { type MemoryWindow, openMemoryWindow } from "./memory-window.js";
import { hasObservers, notifyCall } from "./observers.js";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 2, initialDelayMs: 250, maxDelayMs: 4000, factor: 2 };

export interface CallOptions {
  /** Ask for a streamed answer (default true). */
  stream?: boolean;
  /** Per-attempt limit in ms; 0 or undefined means none. */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal | undefined;
  /** Receives each text delta as it arrives (streaming) or the whole text once (non-streaming). */
  onTextDelta?: (text: string) => void;
  clock?: Clock;
  /** Wall clock for `dispatched_at`. */
  now?: () => Date;
  /** Waits between retries; injected by tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Measure peak RSS of the inference process (default true). */
  measureMemory?: boolean;
  lane?: ExecutionLane;
  vramProfile?: VramProfile;
  callId?: string;
}

interface CallAnswer {
  text: string;
  /** Native tool calls the backend returned (empty when none). */
  toolCalls: ToolCallPart[];
  finishReason: FinishReason;
  usage: Usage;
  timings: ServerTimings | undefined;
  /** The model name the backend answered with, when it said. */
  responseModel?: string | undefined;
  warnings?: CallWarning[] | undefined;
}

export type CallResult =
  | ({ ok: true; telemetry: CallTelemetry } & CallAnswer)
  | { ok: false; error: ModelCallError; text: string; telemetry: CallTelemetry };

const performanceClock: Clock = performance;

export async function callModel(
  adapter: ModelAdapter,
  request: ModelRequest,
  options: CallOptions = {},
): Promise<CallResult> {
  const clock = options.clock ?? performanceClock;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const streaming = options.stream ?? true;
  const sleep = options.sleep ?? abortableSleep;
  await adapter.prepare?.().catch(() => undefined);
  const dispatchedAt = (options.now ?? (() => new Date()))();
  const memory = options.measureMemory === false ? undefined : openWindow(adapter);

  const state = new CallState(clock);
  let answer: CallAnswer | undefined;
  let failure: ModelCallError | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const started = clock.now();
      try {
        answer = await runAttempt(adapter, request, options, streaming, state);
        state.attempts.push(attemptRecord(attempt, started, state, null));
        break;
      } catch (error) {
        const modelError = asModelError(error);
        state.attempts.push(attemptRecord(attempt, started, state, modelError.code));
        const canRetry =
          modelError.isRetryable &&
          attempt <= retry.maxRetries &&
          !state.deliveredText &&
          !options.signal?.aborted;
        if (!canRetry) throw modelError;
        const delay = Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** (attempt - 1));
        await sleep(delay, options.signal).catch(() => {
          throw new AbortedError();
        });
      }
    }
  } catch (error) {
    failure = asModelError(error);
  } finally {
    state.end = clock.now();
  }

  const peak = memory
    ? await memory.stop()
    : { peakMiB: null, method: null, reason: "memory measurement was off" };
  const telemetry = buildTelemetry({
    adapter,
    options,
    streaming,
    dispatchedAt,
    state,
    answer,
    failure,
    peak,
  });
  if (hasObservers()) {
    notifyCall({
      telemetry,
      // The embedded engine's model id is a file path: the file's name is the model's name.
      requestModel: adapter.provider === "gguf" ? basename(adapter.modelId) : adapter.modelId,
      responseModel: answer?.responseModel ?? null,
      endpoint: adapter.endpoint ?? null,
      chunkGapsSeconds: state.chunkGaps,
    });
  }
  if (failure || !answer) {
    return {
      ok: false,
      error: failure ?? new MalformedStreamError("no answer"),
      text: state.text,
      telemetry,
    };
  }
  return { ok: true, ...answer, telemetry };
}

class CallState {
  readonly start: number;
  end: number;
  firstToken: number | undefined;
  lastToken: number | undefined;
  textDeltas = 0;
  /** Seconds between consecutive text deltas of the last attempt (what `time_per_output_chunk` records). */
  chunkGaps: number[] = [];
  text = "";
  deliveredText = false;
  attempts: CallTelemetry["attempts"] = [];

  constructor(readonly clock: Clock) {
    this.start = clock.now();
    this.end = this.start;
  }
}

async function runAttempt(
  adapter: ModelAdapter,
  request: ModelRequest,
  options: CallOptions,
  streaming: boolean,
  state: CallState,
): Promise<CallAnswer> {
  // One controller per attempt, fed by the caller's signal and the timer (AbortSignal.any costs ~15 µs more).
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  const timer =
    options.timeoutMs && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, options.timeoutMs)
      : undefined;
  const attemptRequest: ModelRequest = { ...request, signal: controller.signal };
  const cap = answerCap(request);
  try {
    if (!streaming) {
      const result = await adapter.generate(attemptRequest);
      if (result.text.length > cap.chars) throw answerTooLong(cap, adapter);
      state.text = result.text;
      if (result.text.length > 0) {
        state.deliveredText = true;
        options.onTextDelta?.(result.text);
      }
      return { ...result, toolCalls: result.toolCalls ?? [] };
    }
    state.text = "";
    state.chunkGaps = [];
    const toolCalls: ToolCallPart[] = [];
    let finish: CallAnswer | undefined;
    for await (const part of adapter.stream(attemptRequest)) {
      if (part.type === "text-delta") {
        if (part.text.length === 0 || finish) continue;
        const now = state.clock.now();
        if (state.lastToken !== undefined && state.firstToken !== undefined) {
          state.chunkGaps.push((now - state.lastToken) / 1000);
        }
        state.firstToken ??= now;
        state.lastToken = now;
        state.textDeltas++;
        state.text += part.text;
        if (state.text.length > cap.chars) throw answerTooLong(cap, adapter);
        state.deliveredText = true;
        options.onTextDelta?.(part.text);
      } else if (part.type === "finish") {
        // Read on to the stream's own end instead of returning here: leaving early cancels the HTTP body,
        // and with it the keep-alive connection the next call would reuse.
        finish ??= {
          text: state.text,
          toolCalls,
          finishReason: part.finishReason,
          usage: part.usage,
          timings: part.timings,
          responseModel: part.responseModel,
          warnings: part.warnings,
        };
      } else if (part.type === "tool-call") {
        if (!finish) {
          toolCalls.push(part);
          state.deliveredText = true;
        }
      } else {
        throw part.error;
      }
    }
    if (finish) return finish;
    throw new MalformedStreamError(`the ${adapter.provider} stream ended without a finish part`);
  } catch (error) {
    if (timedOut && !options.signal?.aborted) throw new CallTimeoutError(options.timeoutMs ?? 0);
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
}

/** The longest answer a call may return without `maxOutputTokens`, in characters. */
export const MAX_ANSWER_CHARS = 64 * 2 ** 20;
/** Characters one token may stand for at most when `maxOutputTokens` bounds the answer (generous). */
export const MAX_CHARS_PER_TOKEN = 1024;

/**
 * How long an answer may be: `maxOutputTokens` tokens of at most 1024 characters each (no tokenizer has
 * longer tokens), else 64 MiB. A server that sends more is broken or hostile, and the answer is refused
 * instead of held in memory (a 327 MB answer to `--max-tokens 16` used to be accepted).
 */
function answerCap(request: ModelRequest): { chars: number; because: string } {
  const tokens = request.maxOutputTokens;
  if (tokens !== undefined && tokens > 0 && tokens * MAX_CHARS_PER_TOKEN < MAX_ANSWER_CHARS)
    return {
      chars: tokens * MAX_CHARS_PER_TOKEN,
      because: `${tokens} tokens (--max-tokens) × ${MAX_CHARS_PER_TOKEN} characters`,
    };
  return { chars: MAX_ANSWER_CHARS, because: "the 64 MiB limit of one answer" };
}

function answerTooLong(cap: { chars: number; because: string }, adapter: ModelAdapter): MalformedStreamError {
  return new MalformedStreamError(
    `the ${adapter.provider} answer passed ${cap.chars.toLocaleString("en-US")} characters, more than ${cap.because} allow`,
  );
}

function attemptRecord(attempt: number, started: number, state: CallState, errorCode: string | null) {
  return {
    attempt,
    started_at_seconds: seconds(started - state.start),
    duration_seconds: seconds(state.clock.now() - started),
    error_code: errorCode,
  } as CallTelemetry["attempts"][number];
}

interface TelemetryInput {
  adapter: ModelAdapter;
  options: CallOptions;
  streaming: boolean;
  dispatchedAt: Date;
  state: CallState;
  answer: CallAnswer | undefined;
  failure: ModelCallError | undefined;
  peak: { peakMiB: number | null; method: string | null; reason: string | null };
}

function buildTelemetry(input: TelemetryInput): CallTelemetry {
  const { adapter, options, streaming, state, answer, failure, peak } = input;
  const nullReasons: Record<string, string> = {};
  const trueStreaming = adapter.capabilities.trueStreaming;

  let initLatency: number | null = null;
  if (!streaming) nullReasons.init_latency = "the call was not streamed (--no-stream)";
  else if (!trueStreaming)
    nullReasons.init_latency = `the ${adapter.provider} adapter does not truly stream tokens`;
  else if (state.firstToken === undefined) nullReasons.init_latency = "no content token arrived";
  else initLatency = seconds(state.firstToken - state.start);

  const tokenMetrics = computeTokenMetrics(answer?.usage, answer?.timings);
  if (!answer)
    nullReasons.token_metrics = `the call failed (${failure?.code ?? "unknown"}) before the engine reported usage`;
  else if (tokenMetrics.status !== "OK")
    nullReasons.token_metrics = describeMissing(tokenMetrics.status, adapter);
  if (peak.peakMiB === null) nullReasons.peak_memory_rss = peak.reason ?? "unknown";

  const streamed =
    streaming && trueStreaming && state.firstToken !== undefined && state.lastToken !== undefined;
  return {
    schema_version: CALL_TELEMETRY_SCHEMA_VERSION,
    call_id: options.callId ?? randomUUID(),
    model_ref: adapter.ref,
    provider: adapter.provider,
    streaming,
    true_streaming: trueStreaming,
    dispatched_at: input.dispatchedAt.toISOString(),
    init_latency: initLatency,
    total_latency: seconds(state.end - state.start),
    client_timings: {
      first_token_seconds: initLatency,
      last_token_seconds: streamed ? seconds((state.lastToken ?? 0) - state.start) : null,
      stream_seconds: streamed ? seconds((state.lastToken ?? 0) - (state.firstToken ?? 0)) : null,
      text_deltas: state.textDeltas,
      deltas_per_second: streamed ? deltaRate(state) : null,
    },
    token_metrics: tokenMetrics,
    finish_reason: answer
      ? { unified: answer.finishReason.unified, raw: answer.finishReason.raw ?? null }
      : null,
    retries: Math.max(0, state.attempts.length - 1),
    attempts: state.attempts,
    outcome: failure ? "error" : "ok",
    error: failure
      ? {
          code: failure.code,
          message: failure.message,
          status_code: failure.statusCode ?? null,
          retryable: failure.isRetryable,
        }
      : null,
    peak_memory_rss: peak.peakMiB === null ? null : round3(peak.peakMiB),
    memory_method: peak.method,
    output_chars: state.text.length,
    execution_lane: options.lane ?? "ci",
    vram_profile: options.vramProfile ?? "safe",
    settings_not_applied: (answer?.warnings ?? []).map(({ setting, details }) => ({ setting, details })),
    null_reasons: nullReasons,
  };
}

function deltaRate(state: CallState): number | null {
  const window = (state.lastToken ?? 0) - (state.firstToken ?? 0);
  return window > 0 && state.textDeltas > 1 ? round3(((state.textDeltas - 1) * 1000) / window) : null;
}

function describeMissing(status: string, adapter: ModelAdapter): string {
  switch (status) {
    case "TIMING_UNAVAILABLE":
      return `${adapter.ref} reported token counts but no engine timings`;
    case "TOKEN_COUNT_UNAVAILABLE":
      return `${adapter.ref} reported engine timings but no token counts`;
    default:
      return `${adapter.ref} reported neither token counts nor engine timings`;
  }
}

function openWindow(adapter: ModelAdapter): MemoryWindow | undefined {
  try {
    return openMemoryWindow(adapter.capabilities.inferenceProcess);
  } catch {
    // Measuring memory must never fail the call; the record says the peak is unknown.
    return undefined;
  }
}

function seconds(ms: number): number {
  return round3(Math.max(0, ms) / 1000);
}

function asModelError(error: unknown): ModelCallError {
  if (ModelCallError.is(error)) return error;
  return new InternalCallError(error);
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
