/**
 * Cassettes: recorded model calls in JSONL, so a run can be re-scored offline and tests get deterministic
 * model behaviour. Line 1 is a header; each further line is one call with its request, the parts it
 * produced and when (ms after dispatch), or the error it ended with.
 */
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { canonicalJson } from "../core/shared/canonical-json.js";
import { MODEL_ERROR_CODES, ModelCallError, type ModelErrorCode } from "../spec/errors.js";
import type { GenerateResult, ModelAdapter, ModelRequest, StreamPart } from "../spec/model.js";

/** The latest offset a recorded part may have. */
export const MAX_AT_MS = 86_400_000;

export const CASSETTE_VERSION = 1;

const UsageSchema = z.looseObject({
  promptTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  cachedPromptTokens: z.number().int().nonnegative().optional(),
});
const TimingsSchema = z.looseObject({
  source: z.enum(["ollama", "llama.cpp", "embedded", "replay"]),
  loadSeconds: z.number().optional(),
  prefillSeconds: z.number().optional(),
  decodeSeconds: z.number().optional(),
  raw: z.record(z.string(), z.unknown()).optional(),
});
const FinishReasonSchema = z.looseObject({ unified: z.string(), raw: z.string().optional() });
const RecordedErrorSchema = z.looseObject({
  code: z.enum(MODEL_ERROR_CODES as [ModelErrorCode, ...ModelErrorCode[]]),
  message: z.string(),
  isRetryable: z.boolean(),
  statusCode: z.number().int().optional(),
  url: z.string().optional(),
});
export type RecordedError = z.infer<typeof RecordedErrorSchema>;

const RecordedPartSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text-delta"), text: z.string() }),
  z.looseObject({
    type: z.literal("tool-call"),
    toolCallId: z.string().optional(),
    toolName: z.string(),
    arguments: z.string(),
  }),
  z.looseObject({
    type: z.literal("finish"),
    finishReason: FinishReasonSchema,
    usage: UsageSchema,
    timings: TimingsSchema.optional(),
    responseModel: z.string().optional(),
  }),
  z.looseObject({ type: z.literal("error"), error: RecordedErrorSchema }),
]);

export const CassetteHeaderSchema = z.looseObject({
  type: z.literal("header"),
  cassette_version: z.literal(CASSETTE_VERSION),
  recorded_at: z.string(),
  model_ref: z.string(),
  true_streaming: z.boolean(),
  /**
   * `request` (default): a call is found by its request's key. `sequence`: calls play in file order
   * whatever was asked, for hand-written scripts (tests, demos); their `request_key` may be omitted.
   * `cycle`: as `sequence`, starting over after the last call, so a script answers any number of
   * requests (an instant model for queue and load tests).
   */
  match: z.enum(["request", "sequence", "cycle"]).default("request"),
});
export type CassetteHeader = z.infer<typeof CassetteHeaderSchema>;

export const CassetteCallSchema = z.looseObject({
  type: z.literal("call"),
  index: z.number().int().nonnegative(),
  request_key: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  request: z
    .looseObject({ messages: z.array(z.looseObject({ role: z.string(), content: z.string() })) })
    .optional(),
  mode: z.enum(["stream", "generate"]),
  parts: z.array(
    z.looseObject({
      // Replay waits until each part's offset; past a day it is no recording (and past 2^31 ms no timer).
      at_ms: z.number().nonnegative().max(MAX_AT_MS, `at most ${MAX_AT_MS} ms (one day) into the call`),
      part: RecordedPartSchema,
    }),
  ),
  thrown: RecordedErrorSchema.optional(),
  duration_ms: z.number().nonnegative(),
});
export type CassetteCall = z.infer<typeof CassetteCallSchema>;
export type RecordedPart = CassetteCall["parts"][number]["part"];

/** The request fields that decide the answer; the key that a replay looks a recording up by. */
export function requestKey(request: ModelRequest): string {
  const { signal: _signal, ...rest } = request;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

export function serializeError(error: ModelCallError): RecordedError {
  return {
    code: error.code,
    message: error.message,
    isRetryable: error.isRetryable,
    ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    ...(error.url === undefined ? {} : { url: error.url }),
  };
}

/**
 * Wraps an adapter so that every call is appended to a cassette file. The wrapper is the same model to
 * everyone above it: same reference, capabilities and answers.
 */
export function recordCassette(
  adapter: ModelAdapter,
  path: string,
  now: () => Date = () => new Date(),
): ModelAdapter {
  mkdirSync(dirname(path), { recursive: true });
  const header: CassetteHeader = {
    type: "header",
    cassette_version: CASSETTE_VERSION,
    recorded_at: now().toISOString(),
    model_ref: adapter.ref,
    true_streaming: adapter.capabilities.trueStreaming,
    match: "request",
  };
  writeFileSync(path, `${JSON.stringify(header)}\n`);
  let index = 0;
  const append = (call: {
    request_key: string;
    request: CassetteCall["request"];
    mode: CassetteCall["mode"];
    parts: CassetteCall["parts"];
    thrown?: RecordedError;
    duration_ms: number;
  }) => {
    const line: CassetteCall = { type: "call", index: index++, ...call };
    appendFileSync(path, `${JSON.stringify(line)}\n`);
  };
  const recordedRequest = (request: ModelRequest) => {
    const { signal: _signal, ...rest } = request;
    return JSON.parse(JSON.stringify(rest)) as CassetteCall["request"];
  };

  return {
    ref: adapter.ref,
    provider: adapter.provider,
    modelId: adapter.modelId,
    capabilities: adapter.capabilities,
    close: adapter.close ? () => adapter.close?.() ?? Promise.resolve() : undefined,
    async generate(request) {
      const start = performance.now();
      const base = {
        request_key: requestKey(request),
        request: recordedRequest(request),
        mode: "generate" as const,
      };
      try {
        const result: GenerateResult = await adapter.generate(request);
        const at = performance.now() - start;
        const parts: CassetteCall["parts"] = [
          { at_ms: at, part: { type: "text-delta" as const, text: result.text } },
          ...(result.toolCalls ?? []).map((call) => ({ at_ms: at, part: toRecordedPart(call) })),
          { at_ms: at, part: finishPart(result) },
        ];
        append({ ...base, parts, duration_ms: at });
        return result;
      } catch (error) {
        if (ModelCallError.is(error) && error.code !== "ABORTED") {
          append({
            ...base,
            parts: [],
            thrown: serializeError(error),
            duration_ms: performance.now() - start,
          });
        }
        throw error;
      }
    },
    async *stream(request) {
      const start = performance.now();
      const base = {
        request_key: requestKey(request),
        request: recordedRequest(request),
        mode: "stream" as const,
      };
      const parts: CassetteCall["parts"] = [];
      let complete = false;
      try {
        for await (const part of adapter.stream(request)) {
          parts.push({ at_ms: performance.now() - start, part: toRecordedPart(part) });
          if (part.type === "error" && part.error.code === "ABORTED") return;
          // The answer is whole at its finish or error part; a consumer may stop reading right there.
          if (part.type === "finish" || part.type === "error") complete = true;
          yield part;
        }
      } catch (error) {
        if (ModelCallError.is(error) && error.code !== "ABORTED") {
          append({ ...base, parts, thrown: serializeError(error), duration_ms: performance.now() - start });
        }
        throw error;
      } finally {
        // A consumer that stops early (or an abort) leaves no recording: a partial answer would replay as a
        // whole one.
        if (complete) append({ ...base, parts, duration_ms: performance.now() - start });
      }
    },
  };
}

function finishPart(result: GenerateResult): RecordedPart {
  return toRecordedPart({
    type: "finish",
    finishReason: result.finishReason,
    usage: result.usage,
    timings: result.timings,
    responseModel: result.responseModel,
  });
}

function toRecordedPart(part: StreamPart): RecordedPart {
  if (part.type === "error") return { type: "error", error: serializeError(part.error) };
  // JSON drops undefined fields, which is how an unknown count stays unknown on disk.
  return JSON.parse(JSON.stringify(part)) as RecordedPart;
}
