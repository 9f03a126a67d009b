/**
 * What `orket serve` speaks: the job a client asks for (a bench, a sweep or an epic run, run by the
 * server one at a time per backend), the job record it gets back, and the one error body every failed
 * request carries. The OpenAPI document (`/openapi.json`) is made from these schemas and the artifacts'
 * own (docs/serve.md).
 */
import { z } from "zod";

/** Ids the API names things by: letters, digits, `.`, `_`, `-`, `:` and `@`; never a path. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const IdSchema = z.string().regex(ID_PATTERN, "an id: letters, digits and . _ - : @, at most 128");

const ModelRef = z.string().min(3).max(2048).describe("a model reference: ollama/…, openai/…, gguf/<file>");
const Tasks = z.string().min(1).max(2000).describe("`--tasks` syntax: ids, 1-based ranges, tiers");

export const BenchJobRequestSchema = z.strictObject({
  kind: z.literal("bench"),
  model: ModelRef,
  bank: z.string().min(1).max(2048).optional(),
  tasks: Tasks.optional(),
  runs: z.number().int().min(1).max(100).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  role: z.string().min(1).max(100).optional(),
});

export const SweepJobRequestSchema = z.strictObject({
  kind: z.literal("sweep"),
  /** The rows: a quantization tag and its model reference each. */
  models: z
    .array(z.strictObject({ quant: z.string().min(1).max(100), model: ModelRef }))
    .min(1)
    .max(64),
  bank: z.string().min(1).max(2048).optional(),
  tasks: Tasks.optional(),
  runs: z.number().int().min(1).max(100).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  skip_canary: z.boolean().optional(),
  kld: z.boolean().optional(),
});

export const RunJobRequestSchema = z.strictObject({
  kind: z.literal("run"),
  epic: IdSchema,
  model: ModelRef.optional(),
  /** Record each turn's memory traces (`orket run --memory-trace`), for `/api/runs/:id/traces`. */
  memory_trace: z.boolean().optional(),
});

export const JobRequestSchema = z.discriminatedUnion("kind", [
  BenchJobRequestSchema,
  SweepJobRequestSchema,
  RunJobRequestSchema,
]);
export type JobRequest = z.infer<typeof JobRequestSchema>;

export const JOB_STATES = ["queued", "running", "done", "failed", "cancelled", "interrupted"] as const;
export const JobStateSchema = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobStateSchema>;

export const JobSchema = z.object({
  job_id: IdSchema,
  kind: z.enum(["bench", "sweep", "run"]),
  /** What the job runs on: `embedded`, or the server's base URL. One job at a time per backend. */
  backend: z.string(),
  request: JobRequestSchema,
  state: JobStateSchema,
  created_at: z.iso.datetime(),
  started_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
  /** Times it was started (a resume starts it again). */
  attempts: z.number().int().min(0),
  /** Jobs ahead of this one on its backend, while queued; null otherwise. */
  queue_position: z.number().int().min(0).nullable(),
  /** What it produced: the report, the sweep summary, the run. */
  result: z
    .object({
      report_path: z.string().nullable(),
      summary_path: z.string().nullable(),
      run_id: z.string().nullable(),
      history_ids: z.array(z.number().int()),
    })
    .nullable(),
  error: z.object({ code: z.string().nullable(), message: z.string() }).nullable(),
  /** Events so far (the last `seq` + 1). */
  events: z.number().int().min(0),
});
export type Job = z.infer<typeof JobSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({
    /** The same code the CLI prints (`BAD_REQUEST`, `UNKNOWN_ID`, `BAD_COMPARE_INPUT`, …). */
    code: z.string(),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const PageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int().min(0), offset: z.number().int().min(0) });

/** A row of `GET /api/leaderboard` (and `orket leaderboard --json`). */
export const LeaderboardRowSchema = z.object({
  rank: z.number().int().min(1),
  model_ref: z.string(),
  quantization: z.string().nullable(),
  bank: z.string(),
  reports: z.number().int().min(0),
  valid_runs: z.number().int().min(0),
  passes: z.number().int().min(0),
  pass_rate: z.number().min(0).max(1).nullable(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  median_init_latency: z.number().nullable(),
  median_generation_tps: z.number().nullable(),
  peak_memory_rss: z.number().nullable(),
  last_run: z.string(),
});
