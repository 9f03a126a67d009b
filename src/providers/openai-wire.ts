/**
 * The wire format of OpenAI-compatible chat servers (llama.cpp server, vLLM, LM Studio) as zod schemas,
 * and the mapping from it to the adapter contract. The schemas are loose on purpose: real servers leave
 * out fields, send `null` where OpenAI sends `[]`, and add their own (`timings`, `stop_reason`, `meta`).
 */
import { z } from "zod";
import type { FinishReason, ServerTimings, UnifiedFinishReason, Usage } from "../spec/model.js";

/** A count or duration some servers send as `null` (nlohmann/json writes NaN as null) or leave out. */
const OptionalNumber = z.number().nullish();

export const UsageSchema = z.looseObject({
  prompt_tokens: OptionalNumber,
  completion_tokens: OptionalNumber,
  total_tokens: OptionalNumber,
  prompt_tokens_details: z.looseObject({ cached_tokens: OptionalNumber }).nullish(),
});
export type WireUsage = z.infer<typeof UsageSchema>;

/** llama.cpp server's own report of the call, in milliseconds. `prompt_n` excludes the `cache_n` reused tokens. */
export const TimingsSchema = z.looseObject({
  cache_n: OptionalNumber,
  prompt_n: OptionalNumber,
  prompt_ms: OptionalNumber,
  prompt_per_token_ms: OptionalNumber,
  prompt_per_second: OptionalNumber,
  predicted_n: OptionalNumber,
  predicted_ms: OptionalNumber,
  predicted_per_token_ms: OptionalNumber,
  predicted_per_second: OptionalNumber,
});
export type WireTimings = z.infer<typeof TimingsSchema>;

/**
 * One fragment of a streamed tool call. The first fragment of a call brings its `id` and `function.name`;
 * later ones with the same `index` bring more of `function.arguments`, a JSON text cut anywhere. `index`
 * is optional because some servers leave it out when they send each call whole.
 */
export const ToolCallDeltaSchema = z.looseObject({
  index: OptionalNumber,
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z
    .looseObject({
      name: z.string().nullish(),
      /** A string per OpenAI; any JSON is accepted so that a server sending an object is still read. */
      arguments: z.json().optional(),
    })
    .nullish(),
});
export type WireToolCallDelta = z.infer<typeof ToolCallDeltaSchema>;

/** A whole tool call in a non-streamed message. */
const ToolCallSchema = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({
    name: z.string().nullish(),
    arguments: z.json().optional(),
  }),
});
export type WireToolCall = z.infer<typeof ToolCallSchema>;

const ChunkChoiceSchema = z.looseObject({
  index: OptionalNumber,
  delta: z
    .looseObject({ content: z.string().nullish(), tool_calls: z.array(ToolCallDeltaSchema).nullish() })
    .nullish(),
  finish_reason: z.string().nullish(),
});

/** One `data:` event of a streamed chat completion. A usage-only chunk has `choices: []` or `choices: null`. */
export const ChatChunkSchema = z.looseObject({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z.array(ChunkChoiceSchema).nullish(),
  usage: UsageSchema.nullish(),
  timings: TimingsSchema.nullish(),
});
export type ChatChunk = z.infer<typeof ChatChunkSchema>;

/** A whole (non-streamed) chat completion. `choices` is nullable here so that its absence is our error, not zod's. */
export const ChatCompletionSchema = z.looseObject({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.looseObject({
        index: OptionalNumber,
        message: z
          .looseObject({ content: z.string().nullish(), tool_calls: z.array(ToolCallSchema).nullish() })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: UsageSchema.nullish(),
  timings: TimingsSchema.nullish(),
});

export const ModelListSchema = z.looseObject({
  data: z.array(z.looseObject({ id: z.string(), owned_by: z.string().nullish() })),
});

const ErrorObjectSchema = z.looseObject({
  message: z.string().nullish(),
  type: z.string().nullish(),
  code: z.union([z.number(), z.string()]).nullish(),
});

/**
 * The shapes in which servers report an error inside a 200 answer: `{"error": {...}}` (OpenAI, llama.cpp,
 * current vLLM), `{"error": "text"}`, and vLLM's older bare `{"object": "error", "message": ...}`.
 */
const ErrorEnvelopeSchema = z.looseObject({ error: z.union([z.string(), ErrorObjectSchema]) });
const BareErrorSchema = ErrorObjectSchema.extend({ object: z.literal("error") });

export interface WireError {
  detail: string;
  /** A numeric `code` the server gave, when it gave one (llama.cpp and vLLM mirror an HTTP status there). */
  code: number | undefined;
}

/** The server-reported error in a parsed JSON value, or undefined when the value is not an error. */
export function readWireError(value: unknown): WireError | undefined {
  const envelope = ErrorEnvelopeSchema.safeParse(value);
  if (envelope.success) {
    const error = envelope.data.error;
    return typeof error === "string" ? { detail: error, code: undefined } : describeError(error);
  }
  const bare = BareErrorSchema.safeParse(value);
  return bare.success ? describeError(bare.data) : undefined;
}

function describeError(error: z.infer<typeof ErrorObjectSchema>): WireError {
  const labels = [error.type, error.code].filter((label) => label !== undefined && label !== null);
  const message = error.message ?? "no message";
  return {
    detail: labels.length > 0 ? `${message} (${labels.join(", ")})` : message,
    code: typeof error.code === "number" ? error.code : undefined,
  };
}

const FINISH_REASONS: Record<string, UnifiedFinishReason> = {
  stop: "stop",
  length: "length",
  content_filter: "content-filter",
  tool_calls: "tool-calls",
  function_call: "tool-calls",
};

export function toFinishReason(raw: string | null | undefined): FinishReason {
  if (raw === undefined || raw === null) return { unified: "unknown", raw: undefined };
  return { unified: FINISH_REASONS[raw] ?? "other", raw };
}

/** Tool-call arguments as JSON text: a string as sent, anything else serialized, nothing as `{}`. */
export function argumentsText(value: z.infer<ReturnType<typeof z.json>> | undefined): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value ?? {});
}

/**
 * Token counts from `usage`, falling back to llama.cpp's `timings` when a server sent no usage. The
 * fallback adds `cache_n` to `prompt_n`: llama.cpp counts only the tokens it evaluated in `prompt_n`,
 * while `usage.prompt_tokens` (what every other path reports) is the whole prompt.
 */
export function toUsage(usage: WireUsage | null | undefined, timings: WireTimings | null | undefined): Usage {
  const cached = count(usage?.prompt_tokens_details?.cached_tokens) ?? count(timings?.cache_n);
  const evaluated = count(timings?.prompt_n);
  const fromTimings = evaluated === undefined ? undefined : evaluated + (count(timings?.cache_n) ?? 0);
  return {
    promptTokens: count(usage?.prompt_tokens) ?? fromTimings,
    outputTokens: count(usage?.completion_tokens) ?? count(timings?.predicted_n),
    cachedPromptTokens: cached,
  };
}

/** llama.cpp's `timings` as engine timings. It reports no load time: loading happens at server start. */
export function toServerTimings(timings: WireTimings | null | undefined): ServerTimings | undefined {
  if (!timings) return undefined;
  const predicted = count(timings.predicted_n);
  return {
    source: "llama.cpp",
    loadSeconds: undefined,
    prefillSeconds: seconds(timings.prompt_ms),
    decodeSeconds: seconds(timings.predicted_ms),
    // llama.cpp's decode window runs from the first generated token to the last: the first token comes
    // from the prefill's logits, so the window holds predicted_n - 1 decode steps (its predicted_per_second).
    decodeTokens: predicted === undefined ? undefined : Math.max(0, predicted - 1),
    raw: { ...timings },
  };
}

/** A count the server reported, or undefined; llama.cpp writes -1 for "not measured". */
function count(value: number | null | undefined): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function seconds(milliseconds: number | null | undefined): number | undefined {
  return typeof milliseconds === "number" && Number.isFinite(milliseconds) && milliseconds >= 0
    ? milliseconds / 1000
    : undefined;
}

/** A short description of why zod rejected a value, for an error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}
