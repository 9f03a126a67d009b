/**
 * Ollama's native wire format (`/api/chat`, `/api/tags`) as zod schemas. Objects are loose: Ollama adds
 * fields between releases (`thinking`, `tool_calls`, `families`), and a reader that rejects them would
 * break on every upgrade. Only the fields Orket reads are declared.
 */
import { z } from "zod";

const count = z.number().int().nonnegative();
const nanoseconds = z.number().nonnegative();

/**
 * A native tool call in an `/api/chat` answer. Ollama sends `arguments` as an object (null when its map was
 * empty); any JSON is accepted here so that a call with odd arguments reaches the tool parser, which says
 * what is wrong with it, instead of failing the whole answer. `id` appeared in later releases.
 */
export const toolCallSchema = z.looseObject({
  id: z.string().nullish(),
  function: z.looseObject({
    name: z.string(),
    arguments: z.json().optional(),
  }),
});
export type OllamaToolCall = z.infer<typeof toolCallSchema>;

/**
 * One `/api/chat` object: a streamed line, or the whole answer when `stream: false`. The last one
 * (`done: true`) carries the counts and the engine's durations, in nanoseconds; `prompt_eval_count` is
 * absent when the whole prompt came from the cache.
 */
export const chatChunkSchema = z.looseObject({
  model: z.string().optional(),
  created_at: z.string().optional(),
  message: z
    .looseObject({
      role: z.string().optional(),
      content: z.string().optional(),
      tool_calls: z.array(toolCallSchema).nullish(),
    })
    .optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
  total_duration: nanoseconds.optional(),
  load_duration: nanoseconds.optional(),
  prompt_eval_count: count.optional(),
  prompt_eval_duration: nanoseconds.optional(),
  eval_count: count.optional(),
  eval_duration: nanoseconds.optional(),
});
export type OllamaChatChunk = z.infer<typeof chatChunkSchema>;

/**
 * What Ollama sends instead of a chunk when it fails, as an HTTP body or as a line after a 200. Ollama
 * sends a string; the object form is what OpenAI-style proxies in front of it send.
 */
export const errorBodySchema = z.looseObject({
  error: z.union([z.string(), z.looseObject({ message: z.string() })]),
});

const modelDetailsSchema = z.looseObject({
  family: z.string().optional(),
  parameter_size: z.string().optional(),
  quantization_level: z.string().optional(),
  format: z.string().optional(),
});

const tagEntrySchema = z.looseObject({
  name: z.string(),
  /** Absent before Ollama 0.1.3x, where `name` was the only identifier. */
  model: z.string().optional(),
  size: count,
  modified_at: z.string(),
  digest: z.string(),
  details: modelDetailsSchema.nullish(),
});

export const tagsResponseSchema = z.looseObject({ models: z.array(tagEntrySchema) });

/** The metric fields of a chat object, as sent (only those present), for `ServerTimings.raw`. */
export const RAW_METRIC_KEYS = [
  "total_duration",
  "load_duration",
  "prompt_eval_count",
  "prompt_eval_duration",
  "eval_count",
  "eval_duration",
] as const;

/** One line per zod issue, `path: message`, for error messages a user can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}

export function errorText(body: z.infer<typeof errorBodySchema>): string {
  return typeof body.error === "string" ? body.error : body.error.message;
}
