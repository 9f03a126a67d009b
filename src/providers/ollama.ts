/**
 * The Ollama adapter: Ollama's native `/api/chat` (NDJSON when streaming), which reports token counts and
 * the engine's own load, prefill and decode durations on its last object. Retries belong to the layer
 * above; this module makes one request per call and says, through `isRetryable`, whether another may help.
 */
import type { z } from "zod";
import {
  AbortedError,
  HttpStatusError,
  MalformedStreamError,
  ModelCallError,
  ModelNotFoundError,
  ServerReportedError,
} from "../spec/errors.js";
import type {
  FinishPart,
  FinishReason,
  ModelAdapter,
  ModelRequest,
  ServerTimings,
  StreamPart,
  ToolCallPart,
} from "../spec/model.js";
import {
  type FetchFn,
  type HttpSettings,
  joinUrl,
  readLines,
  sendRequest,
  toModelError,
  warmUpOnce,
} from "./http.js";
import {
  chatChunkSchema,
  describeIssues,
  errorBodySchema,
  errorText,
  type OllamaChatChunk,
  type OllamaToolCall,
  RAW_METRIC_KEYS,
  tagsResponseSchema,
} from "./ollama-wire.js";

export interface OllamaSettings {
  /** The server's base URL, e.g. `http://127.0.0.1:11434`. */
  host: string;
  fetch?: FetchFn;
  headers?: Record<string, string>;
  /** The Ollama server's process id, when known: its memory is the inference memory. */
  serverPid?: number;
  /** Ollama's `keep_alive` (`"5m"`, `"0"`, `"-1"`): how long the server keeps the model loaded afterwards. */
  keepAlive?: string;
}

/** One installed model, as `GET /api/tags` lists it. `size` is in bytes. */
export interface OllamaModelInfo {
  name: string;
  model: string;
  size: number;
  modified_at: string;
  digest: string;
  details?: {
    family?: string | undefined;
    parameter_size?: string | undefined;
    quantization_level?: string | undefined;
    format?: string | undefined;
  };
}

const CHAT_PATH = "/api/chat";
const TAGS_PATH = "/api/tags";

/**
 * Makes an adapter for one Ollama model (`qwen2.5-coder:7b`). Nothing is sent until the first call; a
 * model that is not pulled surfaces then as `ModelNotFoundError`.
 */
export function createOllamaAdapter(modelId: string, settings: OllamaSettings): ModelAdapter {
  const http = httpSettings(settings);
  const url = joinUrl(settings.host, CHAT_PATH);

  async function postChat(request: ModelRequest, stream: boolean): Promise<Response> {
    try {
      return await sendRequest(http, CHAT_PATH, {
        body: chatBody(modelId, request, stream, settings.keepAlive),
        signal: request.signal,
      });
    } catch (error) {
      throw asModelNotFound(error, modelId) ?? error;
    }
  }

  return {
    ref: `ollama/${modelId}`,
    provider: "ollama",
    modelId,
    endpoint: settings.host,
    prepare: warmUpOnce(http, "api/version"),
    capabilities: {
      trueStreaming: true,
      inferenceProcess: settings.serverPid
        ? { kind: "pid", pid: settings.serverPid }
        : {
            kind: "unknown",
            reason: "inference runs inside the Ollama server; pass --server-pid to measure its memory",
          },
    },

    async generate(request) {
      const response = await postChat(request, false);
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw toModelError(error, url, request.signal);
      }
      const chunk = decodeChatObject(text, url);
      if (chunk instanceof ModelCallError) throw chunk;
      if (!chunk.done) {
        throw new MalformedStreamError("the answer to a non-streaming request is not marked `done: true`", {
          url,
          responseBody: text,
        });
      }
      const { finishReason, usage, timings, responseModel } = finishPart(chunk);
      const toolCalls = toolCallParts(chunk);
      return {
        text: chunk.message?.content ?? "",
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        finishReason,
        usage,
        timings,
        responseModel,
      };
    },

    async *stream(request) {
      // Failures of the request itself (refused, 404, 5xx, aborted before the answer) throw before the
      // first part; everything after the 200 arrives as an `error` part.
      const response = await postChat(request, true);
      if (!response.body) {
        yield { type: "error", error: new MalformedStreamError("the response has no body", { url }) };
        return;
      }
      yield* decodeChatStream(readLines(response.body, url, request.signal), url, request.signal);
    },
  };
}

/**
 * Lists the models installed on an Ollama server (`GET /api/tags`). Throws `ModelCallError`: the HTTP
 * errors of any call, or `MalformedStreamError` naming the offending field when the answer has the wrong
 * shape.
 */
export async function listOllamaModels(
  settings: OllamaSettings,
  signal?: AbortSignal,
): Promise<OllamaModelInfo[]> {
  const parsed = await getOllamaJson(settings, TAGS_PATH, tagsResponseSchema, signal);
  return parsed.models.map((entry) => ({
    name: entry.name,
    model: entry.model ?? entry.name,
    size: entry.size,
    modified_at: entry.modified_at,
    digest: entry.digest,
    ...(entry.details
      ? {
          details: {
            family: entry.details.family,
            parameter_size: entry.details.parameter_size,
            quantization_level: entry.details.quantization_level,
            format: entry.details.format,
          },
        }
      : {}),
  }));
}

/**
 * `GET <path>` on the Ollama server, parsed as JSON and checked against `schema`. Throws `ModelCallError`:
 * the HTTP errors of any call, or `MalformedStreamError` naming the offending field.
 */
export async function getOllamaJson<T>(
  settings: OllamaSettings,
  path: string,
  schema: z.ZodType<T>,
  signal?: AbortSignal,
): Promise<T> {
  const url = joinUrl(settings.host, path);
  const response = await sendRequest(httpSettings(settings), path, { method: "GET", signal });
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw toModelError(error, url, signal);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedStreamError(`${path} did not answer JSON: ${excerpt(text)}`, {
      url,
      responseBody: text,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new MalformedStreamError(`${path} answered an unexpected shape (${describeIssues(parsed.error)})`, {
      url,
      responseBody: text,
    });
  }
  return parsed.data;
}

function httpSettings(settings: OllamaSettings): HttpSettings {
  return { baseURL: settings.host, fetch: settings.fetch, headers: settings.headers };
}

/**
 * The `/api/chat` body. Settings that are not set are left out, so Ollama's (or the Modelfile's) apply;
 * `tools` is sent only when the request offers some.
 */
function chatBody(
  modelId: string,
  request: ModelRequest,
  stream: boolean,
  keepAlive: string | undefined,
): Record<string, unknown> {
  const options = definedOnly({
    temperature: request.temperature,
    top_p: request.topP,
    seed: request.seed,
    num_predict: request.maxOutputTokens,
    stop: request.stop,
    num_ctx: request.contextSize,
  });
  return {
    model: modelId,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    stream,
    ...(request.tools && request.tools.length > 0
      ? {
          tools: request.tools.map(({ name, description, parameters }) => ({
            type: "function",
            function: { name, description, parameters },
          })),
        }
      : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }),
  };
}

async function* decodeChatStream(
  lines: AsyncIterable<string>,
  url: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<StreamPart> {
  try {
    for await (const line of lines) {
      // Lines already buffered would still be read after an abort; the caller asked to stop now.
      if (signal?.aborted) {
        yield { type: "error", error: new AbortedError(url) };
        return;
      }
      if (line.trim() === "") continue;
      const chunk = decodeChatObject(line, url);
      if (chunk instanceof ModelCallError) {
        yield { type: "error", error: chunk };
        return;
      }
      const content = chunk.message?.content;
      if (content) yield { type: "text-delta", text: content };
      // Ollama sends each call whole, in one object, so it can be passed on at once.
      yield* toolCallParts(chunk);
      if (chunk.done) {
        yield finishPart(chunk);
        return;
      }
    }
  } catch (error) {
    yield { type: "error", error: toModelError(error, url, signal) };
    return;
  }
  const error = signal?.aborted
    ? new AbortedError(url)
    : new MalformedStreamError("the stream ended without a final `done: true` object", {
        url,
        isRetryable: true,
      });
  yield { type: "error", error };
}

/** One `/api/chat` object from its text: the chunk, or the error it is or shows. */
function decodeChatObject(text: string, url: string): OllamaChatChunk | ModelCallError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new MalformedStreamError(`not JSON: ${excerpt(text)}`, { url, responseBody: text });
  }
  const failure = errorBodySchema.safeParse(value);
  if (failure.success) return new ServerReportedError(errorText(failure.data), { url, responseBody: text });
  const chunk = chatChunkSchema.safeParse(value);
  if (!chunk.success) {
    return new MalformedStreamError(`unexpected chat object (${describeIssues(chunk.error)})`, {
      url,
      responseBody: text,
    });
  }
  return chunk.data;
}

function toolCallParts(chunk: OllamaChatChunk): ToolCallPart[] {
  return (chunk.message?.tool_calls ?? []).map((call: OllamaToolCall) => ({
    type: "tool-call",
    toolCallId: call.id ?? undefined,
    toolName: call.function.name,
    arguments: argumentsText(call.function.arguments),
  }));
}

/** The arguments as JSON text: Ollama's object serialized; a string is taken to be JSON text already. */
function argumentsText(value: OllamaToolCall["function"]["arguments"]): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value ?? {});
}

function finishPart(chunk: OllamaChatChunk): FinishPart {
  return {
    type: "finish",
    finishReason: finishReason(chunk.done_reason),
    usage: { promptTokens: chunk.prompt_eval_count, outputTokens: chunk.eval_count },
    timings: serverTimings(chunk),
    responseModel: chunk.model,
  };
}

/** Kept as Ollama says it, also after tool calls: Ollama then says "stop", not a tool-call reason. */
function finishReason(raw: string | undefined): FinishReason {
  if (raw === undefined) return { unified: "unknown", raw };
  if (raw === "stop" || raw === "length") return { unified: raw, raw };
  return { unified: "other", raw };
}

/** Ollama's durations (ns) in seconds; undefined when Ollama reported none of them. */
function serverTimings(chunk: OllamaChatChunk): ServerTimings | undefined {
  const raw: Record<string, unknown> = {};
  for (const key of RAW_METRIC_KEYS) {
    if (chunk[key] !== undefined) raw[key] = chunk[key];
  }
  const durations = [
    chunk.total_duration,
    chunk.load_duration,
    chunk.prompt_eval_duration,
    chunk.eval_duration,
  ];
  if (durations.every((value) => value === undefined)) return undefined;
  return {
    source: "ollama",
    loadSeconds: seconds(chunk.load_duration),
    prefillSeconds: seconds(chunk.prompt_eval_duration),
    decodeSeconds: seconds(chunk.eval_duration),
    raw,
  };
}

function seconds(nanoseconds: number | undefined): number | undefined {
  return nanoseconds === undefined ? undefined : nanoseconds / 1e9;
}

/** Ollama answers 404 `{"error":"model \"x\" not found, try pulling it first"}` for a model not pulled. */
function asModelNotFound(error: unknown, modelId: string): ModelNotFoundError | undefined {
  if (!(error instanceof HttpStatusError) || error.statusCode !== 404 || !error.responseBody)
    return undefined;
  let value: unknown;
  try {
    value = JSON.parse(error.responseBody);
  } catch {
    return undefined;
  }
  const body = errorBodySchema.safeParse(value);
  if (!body.success || !/not found/i.test(errorText(body.data))) return undefined;
  return new ModelNotFoundError(modelId, {
    hint: `pull it with: ollama pull ${modelId}`,
    url: error.url,
    statusCode: 404,
    responseBody: error.responseBody,
    cause: error,
  });
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}
