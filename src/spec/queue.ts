/**
 * What travels through the queue (`orket bench|sweep --queue`, `orket worker`): a job is one
 * self-contained test run (task by id in a bank named by its sha256, model by its key, settings); its
 * result is the same per-run record as a local bench's, with the worker that made it. Nothing in a job
 * carries an address or an API key: each worker uses its own.
 */
import { z } from "zod";
import { ExecutionLaneSchema, VramProfileSchema } from "./common.js";
import { HardwareFingerprintSchema } from "./lab.js";
import { TestRunSchema } from "./report.js";

export const QUEUE_JOB_VERSION = 1;

/** A model as the fleet knows it: a GGUF file by its sha256, a server's model by its name. */
export const QueueModelSchema = z.object({
  /** `gguf-<sha256>`, `replay-<sha256>`, `openai-<name>` or `ollama-<name>`. */
  key: z.string().min(1).max(300),
  provider: z.enum(["gguf", "replay", "openai", "ollama"]),
  /** The file's name or the server's model name (for messages; workers match on `key`). */
  name: z.string().min(1).max(300),
});
export type QueueModel = z.infer<typeof QueueModelSchema>;

export const QueueJobSchema = z.object({
  v: z.literal(QUEUE_JOB_VERSION),
  batch_id: z.string().min(1).max(100),
  test_id: z.string().min(1),
  task_id: z.string().min(1),
  run_index: z.number().int().nonnegative(),
  bank_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  model: QueueModelSchema,
  settings: z.object({
    mode: z.enum(["direct", "agent"]),
    seed: z.number().int(),
    temperature: z.number(),
    max_output_tokens: z.number().int().positive().nullable(),
    timeout_ms: z.number().int().positive().nullable(),
    context_size: z.number().int().positive().nullable(),
    lane: ExecutionLaneSchema,
    vram_profile: VramProfileSchema,
    prompt_cache: z.boolean().nullable(),
  }),
});
export type QueueJob = z.infer<typeof QueueJobSchema>;

export const QueueResultSchema = z.object({ run: TestRunSchema });
export type QueueResult = z.infer<typeof QueueResultSchema>;

/** What a worker says of itself while it runs (`orket:workers:<id>`, refreshed, expiring when it dies). */
export const WorkerInfoSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  started_at: z.string(),
  hardware: HardwareFingerprintSchema,
  models: z.array(QueueModelSchema),
});
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;
