/**
 * `orket.call_telemetry.v1`: one record per model call, written on success, failure and exception.
 * Field names follow docs/telemetry.md. Unknown values are null, and `null_reasons` says why for each.
 */
import { z } from "zod";
import { ExecutionLaneSchema, MeasureSchema, UtcTimestampSchema, VramProfileSchema } from "./common.js";
import { MODEL_ERROR_CODES } from "./errors.js";

export const CALL_TELEMETRY_SCHEMA_VERSION = "orket.call_telemetry.v1";

export const TokenStatusSchema = z.enum([
  "OK",
  "TOKEN_COUNT_UNAVAILABLE",
  "TIMING_UNAVAILABLE",
  "TOKEN_AND_TIMING_UNAVAILABLE",
]);
export type TokenStatus = z.infer<typeof TokenStatusSchema>;

const Count = z.number().int().nonnegative().nullable();
const Seconds = MeasureSchema.nullable();

export const TokenMetricsSchema = z.looseObject({
  status: TokenStatusSchema,
  counts: z.looseObject({
    prompt_tokens: Count,
    output_tokens: Count,
    total_tokens: Count,
    /** Tokens inside the decode window (llama.cpp: output tokens less the first); what the tok/s is over. */
    decode_tokens: Count.optional(),
  }),
  /** Engine-side durations (server report or embedded engine clock); null when the engine did not say. */
  latencies: z.looseObject({ load_seconds: Seconds, prefill_seconds: Seconds, decode_seconds: Seconds }),
  throughput: z.looseObject({
    prompt_tokens_per_second: Seconds,
    generation_tokens_per_second: Seconds,
  }),
  timing_source: z.enum(["ollama", "llama.cpp", "embedded", "replay"]).nullable(),
  cached_prompt_tokens: Count,
  /** The engine's own printed rates (llama.cpp `predicted_per_second`, `prompt_per_second`); null: none. */
  engine_reported: z
    .looseObject({ generation_tokens_per_second: Seconds, prompt_tokens_per_second: Seconds })
    .nullable()
    .optional(),
});
export type TokenMetrics = z.infer<typeof TokenMetricsSchema>;

export const ClientTimingsSchema = z.looseObject({
  /** Seconds from dispatch to the first content token; null when not truly streamed or no token came. */
  first_token_seconds: Seconds,
  /** Seconds from dispatch to the last content token. */
  last_token_seconds: Seconds,
  /** Seconds between the first and the last content token, as seen by the client. */
  stream_seconds: Seconds,
  text_deltas: z.number().int().nonnegative(),
  /** Text deltas after the first, per second of `stream_seconds`: the client's view of decode speed. */
  deltas_per_second: Seconds.optional(),
});

export const AttemptSchema = z.looseObject({
  attempt: z.number().int().positive(),
  started_at_seconds: MeasureSchema,
  duration_seconds: MeasureSchema,
  error_code: z.enum(MODEL_ERROR_CODES as [string, ...string[]]).nullable(),
});

export const CallTelemetrySchema = z.looseObject({
  schema_version: z.literal(CALL_TELEMETRY_SCHEMA_VERSION),
  call_id: z.string().min(1),
  model_ref: z.string().min(1),
  provider: z.enum(["ollama", "openai", "gguf", "replay"]),
  /** Whether the client asked for a streamed answer. */
  streaming: z.boolean(),
  /** Whether the adapter truly streams tokens (its capability flag, never inferred from content). */
  true_streaming: z.boolean(),
  dispatched_at: UtcTimestampSchema,
  init_latency: Seconds,
  total_latency: MeasureSchema,
  client_timings: ClientTimingsSchema,
  token_metrics: TokenMetricsSchema,
  finish_reason: z.looseObject({ unified: z.string(), raw: z.string().nullable() }).nullable(),
  retries: z.number().int().nonnegative(),
  attempts: z.array(AttemptSchema),
  outcome: z.enum(["ok", "error"]),
  error: z
    .looseObject({
      code: z.enum(MODEL_ERROR_CODES as [string, ...string[]]),
      message: z.string(),
      status_code: z.number().int().nullable(),
      retryable: z.boolean(),
    })
    .nullable(),
  peak_memory_rss: Seconds,
  /** How `peak_memory_rss` was measured: `vmhwm:self`, `vmhwm:pid:123`, `sampled:pid:123`, ... */
  memory_method: z.string().nullable(),
  output_chars: z.number().int().nonnegative(),
  execution_lane: ExecutionLaneSchema,
  vram_profile: VramProfileSchema,
  /** Request settings the backend did not apply, as the adapter said (its `unsupported-setting` warnings). */
  settings_not_applied: z.array(z.looseObject({ setting: z.string(), details: z.string() })).optional(),
  /** For every null measure above: the field name and why it is unknown. */
  null_reasons: z.record(z.string(), z.string()),
});
export type CallTelemetry = z.infer<typeof CallTelemetrySchema>;
