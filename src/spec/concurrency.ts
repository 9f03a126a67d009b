/**
 * `concurrency_sweep.json` (`orket.concurrency_sweep.v1`): how one server behaves from 1 to N concurrent
 * clients. One row per level: client-side TTFT, inter-token latency and end-to-end latency at
 * p50/p90/p99, output tokens/s, requests/s, goodput under the SLO; the server's own counters beside
 * them where it exposes them (llama-server `/metrics` and `/slots`); and the knee. Unknown is null with
 * a reason; times are milliseconds, 3 decimals.
 */
import { z } from "zod";
import { UtcTimestampSchema } from "./common.js";

export const CONCURRENCY_SWEEP_SCHEMA_VERSION = "orket.concurrency_sweep.v1";

const Ms = z.number().finite().nonnegative().nullable();

/** p50/p90/p99 of one latency over a level's successful requests; null: no sample. */
export const PercentilesSchema = z.looseObject({
  p50: Ms,
  p90: Ms,
  p99: Ms,
  samples: z.number().int().nonnegative(),
});
export type Percentiles = z.infer<typeof PercentilesSchema>;

export const ConcurrencyRowSchema = z.looseObject({
  concurrency: z.number().int().positive(),
  /** Requests sent at this level (all ended: answered or failed). */
  requests: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** The error codes of failed requests, with how many. */
  error_codes: z.record(z.string(), z.number().int().positive()),
  /** From the level's first dispatch to its last answer. */
  wall_seconds: z.number().nonnegative(),
  /** Dispatch to the first content token. */
  ttft_ms: PercentilesSchema,
  /** Gaps between consecutive content chunks of a stream (one token each on llama.cpp). */
  itl_ms: PercentilesSchema,
  /** Per request: (last token − first token) / (output tokens − 1). */
  tpot_ms: PercentilesSchema,
  /** Dispatch to the end of the answer. */
  e2e_ms: PercentilesSchema,
  /** Output tokens of the successful requests, as each response's usage gives them. */
  output_tokens: z.number().int().nonnegative().nullable(),
  prompt_tokens: z.number().int().nonnegative().nullable(),
  output_tokens_per_second: z.number().nonnegative().nullable(),
  requests_per_second: z.number().nonnegative().nullable(),
  /** Requests per second that met every SLO limit; null without an SLO. */
  goodput_rps: z.number().nonnegative().nullable(),
  /** Share of the level's requests that met the SLO; null without an SLO. */
  slo_met_share: z.number().min(0).max(1).nullable(),
  /** The level breaks the SLO: its p90 TTFT or p90 ITL is over the limit. Null without an SLO. */
  slo_broken: z.boolean().nullable(),
  /** The server's own counters over the level (llama-server `/metrics` deltas); null: not exposed. */
  server: z
    .looseObject({
      prompt_tokens: z.number().nonnegative().nullable(),
      predicted_tokens: z.number().nonnegative().nullable(),
      /** Requests the server counted as processed (its `n_decode_total`-style counters are not used). */
      requests_processing_peak: z.number().nonnegative().nullable(),
      requests_deferred_peak: z.number().nonnegative().nullable(),
    })
    .nullable(),
  null_reasons: z.record(z.string(), z.string()),
});
export type ConcurrencyRow = z.infer<typeof ConcurrencyRowSchema>;

export const ConcurrencySweepSchema = z.looseObject({
  schema_version: z.literal(CONCURRENCY_SWEEP_SCHEMA_VERSION),
  generated_at: UtcTimestampSchema,
  model_ref: z.string(),
  server: z.looseObject({
    /** The base URL with any credentials removed. */
    base_url: z.string(),
    /** `llama.cpp` when it serves `/slots`, `ollama`, or `openai` for another OpenAI-compatible server. */
    kind: z.enum(["llama.cpp", "ollama", "openai"]),
    /** Parallel slots (llama-server `--parallel`, from `/slots`); null: not exposed. */
    slots: z.number().int().positive().nullable(),
    null_reasons: z.record(z.string(), z.string()),
  }),
  settings: z.looseObject({
    levels: z.array(z.number().int().positive()).min(1),
    /** Seconds each level runs; null when the level is a number of requests. */
    duration_seconds: z.number().positive().nullable(),
    /** Requests per level; null when the level runs for a duration. */
    requests_per_level: z.number().int().positive().nullable(),
    max_output_tokens: z.number().int().positive().nullable(),
    temperature: z.number(),
    seed: z.number().int(),
    bank: z.looseObject({ name: z.string(), version: z.string(), sha256: z.string() }),
    /** The bank's direct prompts, cycled across requests. */
    prompts: z.number().int().positive(),
    slo: z.looseObject({
      ttft_ms: z.number().positive().nullable(),
      itl_ms: z.number().positive().nullable(),
    }),
    /** Unmeasured requests sent before the first level, to load the model. */
    warmup_requests: z.number().int().nonnegative(),
  }),
  rows: z.array(ConcurrencyRowSchema),
  knee: z.looseObject({
    /** The lowest level whose p90 TTFT is over twice level 1's, or that breaks the SLO; null: none. */
    concurrency: z.number().int().positive().nullable(),
    reason: z.string(),
  }),
  interrupted: z.boolean(),
  host: z.looseObject({
    platform: z.string(),
    arch: z.string(),
    cpu_model: z.string(),
    core_count: z.number().int(),
  }),
  orket_version: z.string(),
});
export type ConcurrencySweep = z.infer<typeof ConcurrencySweepSchema>;
