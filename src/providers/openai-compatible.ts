/**
 * The adapter for OpenAI-compatible chat servers: llama.cpp server, LM Studio, vLLM. It speaks
 * `POST /chat/completions` (SSE when streaming) and `GET /models`, maps each server's dialect (usage-only
 * chunks with `choices: []` or `null`, llama.cpp's `timings`, errors sent after HTTP 200) to the adapter
 * contract, and never retries: retries belong to the layer above, which sees `isRetryable`.
 */
import { createParser, ParseError } from "eventsource-parser";
import { z } from "zod";
import {
  ContextExceededError,
  HttpStatusError,
  MalformedStreamError,
  type ModelCallError,
  ModelNotFoundError,
  ServerReportedError,
} from "../spec/errors.js";
import type {
  AdapterCapabilities,
  CallWarning,
  FinishPart,
  GenerateResult,
  ModelAdapter,
  ModelRequest,
  StreamPart,
  ToolCallPart,
} from "../spec/model.js";
import {
  type FetchFn,
  type HttpSettings,
  joinUrl,
  lineTooLong,
  MAX_STREAM_LINE_CHARS,
  sendRequest,
  toModelError,
  warmUpOnce,
} from "./http.js";
import { describeOpenAIServer } from "./openai-describe.js";
import {
  argumentsText,
  ChatChunkSchema,
  ChatCompletionSchema,
  describeIssues,
  ModelListSchema,
  readWireError,
  toFinishReason,
  toServerTimings,
  toUsage,
  type WireError,
  type WireTimings,
  type WireToolCallDelta,
  type WireUsage,
} from "./openai-wire.js";

const ContextErrorSchema = z.looseObject({
  error: z.looseObject({
    type: z.string().optional(),
    n_prompt_tokens: z.number().int().nullish(),
    n_ctx: z.number().int().nullish(),
  }),
});

export interface OpenAICompatibleSettings {
  /** The server's API root, `/v1` included: `http://127.0.0.1:8080/v1` (llama.cpp), `:1234/v1` (LM Studio). */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set (vLLM `--api-key`, llama.cpp `--api-key`). */
  apiKey?: string;
  fetch?: FetchFn;
  headers?: Record<string, string>;
  /** PID of the server process, so that memory is measured where inference runs. */
  serverPid?: number;
  /**
   * Experimental control: `false` asks the server not to reuse a cached prompt prefix (llama.cpp's
   * `cache_prompt: false`), for cold prefill figures. Undefined: the server's default (llama.cpp caches).
   */
  promptCache?: boolean;
}

/** What it takes to reach a server, without the facts about its process. */
export type OpenAIConnection = Omit<OpenAICompatibleSettings, "serverPid" | "promptCache">;

export interface OpenAIModelInfo {
  id: string;
  owned_by?: string;
}

const CHAT_PATH = "chat/completions";
const MODELS_PATH = "models";

/**
 * Makes the adapter for `openai/<modelId>` on the server at `settings.baseURL`. The servers stream
 * tokens as they decode them, so `trueStreaming` is true; inference runs in the server process, which
 * is measurable only when its PID is given.
 */
export function createOpenAICompatibleAdapter(
  modelId: string,
  settings: OpenAICompatibleSettings,
): ModelAdapter {
  const http = toHttpSettings(settings);
  const capabilities: AdapterCapabilities = {
    trueStreaming: true,
    inferenceProcess: settings.serverPid
      ? { kind: "pid", pid: settings.serverPid }
      : {
          kind: "unknown",
          reason: "inference runs inside the server process; pass --server-pid to measure its memory",
        },
  };
  return {
    ref: `openai/${modelId}`,
    provider: "openai",
    modelId,
    endpoint: http.baseURL,
    capabilities,
    prepare: warmUpOnce(http, MODELS_PATH),
    generate: (request) => generate(http, modelId, request, settings.promptCache),
    stream: (request) => streamChat(http, modelId, request, settings.promptCache),
    describe: (signal) => describeOpenAIServer(http, modelId, signal),
  };
}

/** The models the server offers (`GET /models`), as it names them. */
export async function listOpenAIModels(
  settings: OpenAIConnection,
  signal?: AbortSignal,
): Promise<OpenAIModelInfo[]> {
  const http = toHttpSettings(settings);
  const url = joinUrl(http.baseURL, MODELS_PATH);
  const response = await sendRequest(http, MODELS_PATH, { method: "GET", signal });
  const { data } = await readJsonBody(response, url, signal, ModelListSchema, "model list");
  return data.data.map(({ id, owned_by }) => (owned_by ? { id, owned_by } : { id }));
}

function toHttpSettings(settings: OpenAIConnection): HttpSettings {
  return {
    baseURL: settings.baseURL,
    fetch: settings.fetch,
    headers: {
      ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
      ...settings.headers,
    },
  };
}

interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream: boolean;
  stream_options?: { include_usage: boolean };
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
  /** llama.cpp only: reuse the KV cache's common prompt prefix (its default: true). */
  cache_prompt?: boolean;
  tools?: Array<{
    type: "function";
    function: { name: string; description: string; parameters: Record<string, unknown> };
  }>;
}

function chatBody(
  modelId: string,
  request: ModelRequest,
  stream: boolean,
  promptCache: boolean | undefined,
): ChatRequestBody {
  const body: ChatRequestBody = {
    model: modelId,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    stream,
  };
  if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.stop !== undefined) body.stop = request.stop;
  if (promptCache === false) body.cache_prompt = false;
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map(({ name, description, parameters }) => ({
      type: "function",
      function: { name, description, parameters },
    }));
  }
  // Without it vLLM and OpenAI send no usage at all when streaming; llama.cpp then sends a usage chunk too.
  if (stream) body.stream_options = { include_usage: true };
  // `contextSize` is not sent: these servers fix the context window when they load the model (llama.cpp
  // `-c`, vLLM `--max-model-len`, LM Studio's load settings) and have no per-request field for it, so any
  // field we sent would be ignored or rejected, never applied. The call says so (`callWarnings`).
  return body;
}

/**
 * What the request asked for that this adapter could not apply. `timings` is what the server reported:
 * only llama.cpp reports them, and only llama.cpp knows `cache_prompt`.
 */
function callWarnings(
  request: ModelRequest,
  promptCache: boolean | undefined,
  timings: WireTimings | undefined,
): CallWarning[] {
  const warnings: CallWarning[] = [];
  if (request.contextSize !== undefined) {
    warnings.push({
      type: "unsupported-setting",
      setting: "contextSize",
      details: `an OpenAI-compatible server fixes its context window when it loads the model (llama-server -c, vLLM --max-model-len); ${request.contextSize} was not sent`,
    });
  }
  if (promptCache === false && !timings) {
    warnings.push({
      type: "unsupported-setting",
      setting: "promptCache",
      details:
        "cache_prompt: false was sent, but the server reported no llama.cpp timings: it may not be llama.cpp, and may have ignored it",
    });
  } else if (promptCache === false && (timings?.cache_n ?? 0) > 0) {
    warnings.push({
      type: "unsupported-setting",
      setting: "promptCache",
      details: `cache_prompt: false was sent, but the server reused ${timings?.cache_n} cached prompt tokens`,
    });
  }
  return warnings;
}

async function postChat(
  http: HttpSettings,
  modelId: string,
  request: ModelRequest,
  stream: boolean,
  promptCache: boolean | undefined,
) {
  try {
    return await sendRequest(http, CHAT_PATH, {
      method: "POST",
      body: chatBody(modelId, request, stream, promptCache),
      signal: request.signal,
    });
  } catch (error) {
    throw asContextExceeded(asModelNotFound(error, modelId, http.baseURL));
  }
}

/**
 * llama.cpp answers a request that does not fit its context with HTTP 400 and
 * `{"error": {"type": "exceed_context_size_error", "n_prompt_tokens", "n_ctx"}}` instead of cutting it.
 */
function asContextExceeded(error: unknown): unknown {
  if (!(error instanceof HttpStatusError) || error.statusCode !== 400) return error;
  const json = parseJson(error.responseBody ?? "");
  const parsed = ContextErrorSchema.safeParse(json?.value);
  if (!parsed.success || parsed.data.error.type !== "exceed_context_size_error") return error;
  const { n_prompt_tokens, n_ctx } = parsed.data.error;
  return new ContextExceededError(n_prompt_tokens ?? undefined, n_ctx ?? undefined, {
    url: error.url,
    statusCode: 400,
    responseBody: error.responseBody,
    cause: error,
  });
}

/**
 * A 404 that talks about the model (vLLM: "The model `x` does not exist.") or an OpenAI-style
 * `model_not_found` code means the server does not serve this model. Any other 404 (a base URL without
 * `/v1`, say) stays an HTTP status error: it is the address that is wrong, not the model.
 */
function asModelNotFound(error: unknown, modelId: string, baseURL: string): unknown {
  if (!(error instanceof HttpStatusError)) return error;
  const body = error.responseBody ?? "";
  const status = error.statusCode;
  const mentionsModel = body.includes(modelId) || /\bmodel\b/i.test(body);
  const notFound =
    (status === 404 && mentionsModel) ||
    ((status === 400 || status === 404) && body.includes("model_not_found"));
  if (!notFound) return error;
  return new ModelNotFoundError(modelId, {
    url: error.url,
    statusCode: status,
    responseBody: body,
    cause: error,
    hint: `GET ${joinUrl(baseURL, MODELS_PATH)} lists the models this server offers`,
  });
}

async function generate(
  http: HttpSettings,
  modelId: string,
  request: ModelRequest,
  promptCache: boolean | undefined,
): Promise<GenerateResult> {
  const url = joinUrl(http.baseURL, CHAT_PATH);
  const response = await postChat(http, modelId, request, false, promptCache);
  const { data: completion, text } = await readJsonBody(
    response,
    url,
    request.signal,
    ChatCompletionSchema,
    "completion",
  );
  const choice = completion.choices?.find((c) => (c.index ?? 0) === 0) ?? completion.choices?.[0];
  if (!choice) {
    throw new MalformedStreamError(
      `the completion has no choices (choices: ${JSON.stringify(completion.choices)})`,
      {
        url,
        responseBody: text,
      },
    );
  }
  const toolCalls: ToolCallPart[] = (choice.message?.tool_calls ?? []).map((call) => ({
    type: "tool-call",
    toolCallId: call.id || undefined,
    toolName: call.function.name ?? "",
    arguments: argumentsText(call.function.arguments),
  }));
  // A message that only calls tools has `content: null`.
  const content = choice.message?.content ?? (toolCalls.length > 0 ? "" : undefined);
  if (typeof content !== "string") {
    throw new MalformedStreamError("the completion's message has no content", { url, responseBody: text });
  }
  return {
    text: content,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    finishReason: toFinishReason(choice.finish_reason),
    usage: toUsage(completion.usage, completion.timings),
    timings: toServerTimings(completion.timings),
    responseModel: completion.model || undefined,
    warnings: callWarnings(request, promptCache, completion.timings ?? undefined),
  };
}

/** Reads a whole JSON body, turning an error object inside a 200 answer into `ServerReportedError`. */
async function readJsonBody<T>(
  response: Response,
  url: string,
  signal: AbortSignal | undefined,
  schema: z.ZodType<T>,
  what: string,
): Promise<{ data: T; text: string }> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw toModelError(error, url, signal);
  }
  const json = parseJson(text);
  if (!json) throw new MalformedStreamError(`the ${what} is not valid JSON`, { url, responseBody: text });
  const wireError = readWireError(json.value);
  if (wireError) throw serverReported(wireError, url, text);
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) {
    throw new MalformedStreamError(`unexpected ${what} shape: ${describeIssues(parsed.error)}`, {
      url,
      responseBody: text,
    });
  }
  return { data: parsed.data, text };
}

/** One server-sent event: a `data:` event, or an error the server sent outside of `data:`. */
type SseEvent = { kind: "data" | "error"; data: string };

async function* streamChat(
  http: HttpSettings,
  modelId: string,
  request: ModelRequest,
  promptCache: boolean | undefined,
): AsyncGenerator<StreamPart, void, undefined> {
  const url = joinUrl(http.baseURL, CHAT_PATH);
  const response = await postChat(http, modelId, request, true, promptCache);
  if (!response.body) {
    yield { type: "error", error: new MalformedStreamError("the response has no body", { url }) };
    return;
  }
  const events: SseEvent[] = [];
  const parser = createParser({
    onEvent: (event) => events.push({ kind: event.event === "error" ? "error" : "data", data: event.data }),
    onError: (error) => {
      // llama.cpp builds before autumn 2025 send a mid-stream failure as a non-standard `error:` field.
      if (error instanceof ParseError && error.type === "unknown-field" && error.field === "error") {
        events.push({ kind: "error", data: error.value ?? "" });
      }
    },
  });
  const state = new ChatStreamState(url, (timings) => callWarnings(request, promptCache, timings));
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  // Characters since the last newline: eventsource-parser buffers a line whole before it parses it.
  let lineLength = 0;
  try {
    while (true) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        yield* state.interrupted(toModelError(error, url, request.signal));
        return;
      }
      // At the end, a blank line completes an event the server left open (some end on `data: [DONE]\n`).
      const text = chunk.done ? `${decoder.decode()}\n\n` : decoder.decode(chunk.value, { stream: true });
      const lines = scanLines(text, lineLength);
      lineLength = lines.open;
      if (lines.longest > MAX_STREAM_LINE_CHARS) {
        yield* state.interrupted(lineTooLong(url, MAX_STREAM_LINE_CHARS));
        return;
      }
      parser.feed(text);
      for (const event of events.splice(0)) {
        const step = state.accept(event, chunk.done);
        yield* step.parts;
        if (step.done) return;
      }
      if (chunk.done) {
        yield* state.ended();
        return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

interface Step {
  parts: StreamPart[];
  /** Nothing may follow these parts: the stream finished or failed. */
  done: boolean;
}

/** A streamed tool call being put together from its fragments. */
interface ToolCallSlot {
  id: string | undefined;
  name: string;
  /** The fragments of `function.arguments`, joined once the call is complete. */
  fragments: string[];
}

/**
 * What a stream has said so far. The finish reason and the usage arrive in different chunks (OpenAI and
 * vLLM send usage in a chunk of its own after the one with `finish_reason`), so the single finish part
 * is built only when `[DONE]` or the end of the body says nothing more is coming. Tool calls arrive in
 * fragments too, and are passed on whole, in the order they began, just before that finish part.
 */
class ChatStreamState {
  private finishReason: string | undefined;
  private usage: WireUsage | undefined;
  private timings: WireTimings | undefined;
  private responseModel: string | undefined;
  private readonly toolCalls: ToolCallSlot[] = [];
  private readonly toolCallsByIndex = new Map<number, ToolCallSlot>();

  constructor(
    private readonly url: string,
    private readonly warningsFor: (timings: WireTimings | undefined) => CallWarning[],
  ) {}

  /** `atEnd`: the event was left open when the body ended, so bad JSON in it means a cut-off stream. */
  accept(event: SseEvent, atEnd: boolean): Step {
    if (event.kind === "error") return this.fail(this.errorEvent(event.data));
    if (event.data.trim() === "[DONE]") return { parts: this.finish(), done: true };
    const json = parseJson(event.data);
    if (!json) {
      const detail = atEnd ? "the stream ended inside an event" : "a chunk is not valid JSON";
      return this.fail(
        new MalformedStreamError(detail, { url: this.url, responseBody: event.data, isRetryable: atEnd }),
      );
    }
    const wireError = readWireError(json.value);
    if (wireError) return this.fail(serverReported(wireError, this.url, event.data));
    const parsed = ChatChunkSchema.safeParse(json.value);
    if (!parsed.success) {
      const detail = `unexpected chunk shape: ${describeIssues(parsed.error)}`;
      return this.fail(new MalformedStreamError(detail, { url: this.url, responseBody: event.data }));
    }
    const chunk = parsed.data;
    if (chunk.model) this.responseModel = chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    // llama.cpp sends timings on the last chunk (on every chunk with `timings_per_token`): the last one wins.
    if (chunk.timings) this.timings = chunk.timings;
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    if (choice?.delta?.tool_calls) this.acceptToolCallDeltas(choice.delta.tool_calls);
    const text = choice?.delta?.content;
    return { parts: text ? [{ type: "text-delta", text }] : [], done: false };
  }

  /** The body ended without `[DONE]`: complete if a finish reason came, cut off otherwise. */
  ended(): StreamPart[] {
    if (this.finishReason !== undefined) return this.finish();
    const error = new MalformedStreamError("the stream ended without [DONE] or a finish_reason", {
      url: this.url,
      isRetryable: true,
    });
    return [{ type: "error", error }];
  }

  /** Reading the body failed. After a finish reason the answer is whole; only a late usage chunk is lost. */
  interrupted(error: ModelCallError): StreamPart[] {
    if (error.code !== "ABORTED" && this.finishReason !== undefined) return this.finish();
    return [{ type: "error", error }];
  }

  /**
   * Fragments are keyed by `index`. Ollama's OpenAI-compatible endpoint gives every call of a parallel
   * batch index 0 and tells them apart by `id` only, so a new id at an index already in use starts a new
   * call. The first name a call gets is kept: servers that repeat it in later fragments do not double it.
   */
  private acceptToolCallDeltas(deltas: WireToolCallDelta[]): void {
    deltas.forEach((delta, position) => {
      const index = delta.index ?? position;
      let slot = this.toolCallsByIndex.get(index);
      if (slot && delta.id && slot.id && delta.id !== slot.id) slot = undefined;
      if (!slot) {
        slot = { id: undefined, name: "", fragments: [] };
        this.toolCallsByIndex.set(index, slot);
        this.toolCalls.push(slot);
      }
      if (delta.id && !slot.id) slot.id = delta.id;
      if (delta.function?.name && !slot.name) slot.name = delta.function.name;
      const fragment = delta.function?.arguments;
      if (fragment !== undefined && fragment !== null) {
        slot.fragments.push(typeof fragment === "string" ? fragment : argumentsText(fragment));
      }
    });
  }

  /** The complete tool calls, then the one finish part. */
  private finish(): [...ToolCallPart[], FinishPart] {
    const calls = this.toolCalls.map(
      (slot): ToolCallPart => ({
        type: "tool-call",
        toolCallId: slot.id,
        toolName: slot.name,
        arguments: slot.fragments.length > 0 ? slot.fragments.join("") : "{}",
      }),
    );
    return [
      ...calls,
      {
        type: "finish",
        finishReason: toFinishReason(this.finishReason),
        usage: toUsage(this.usage, this.timings),
        timings: toServerTimings(this.timings),
        responseModel: this.responseModel,
        warnings: this.warningsFor(this.timings),
      },
    ];
  }

  private fail(error: ModelCallError): Step {
    return { parts: [{ type: "error", error }], done: true };
  }

  /** An `error:` field or `event: error`: an envelope (`{"error": {...}}`) or a bare error object. */
  private errorEvent(data: string): ModelCallError {
    const json = parseJson(data);
    const wireError = json && (readWireError(json.value) ?? readWireError({ error: json.value }));
    return serverReported(wireError ?? { detail: data || "no message", code: undefined }, this.url, data);
  }
}

/** A numeric code of 429 or 5xx (llama.cpp and vLLM mirror HTTP statuses there) is worth a retry. */
function serverReported(error: WireError, url: string, body: string): ServerReportedError {
  const code = error.code;
  const isRetryable = code !== undefined && (code === 429 || code >= 500);
  return new ServerReportedError(error.detail, { url, responseBody: body, isRetryable });
}

/**
 * Scans `text` once, given `open` characters of a line already fed before it: the longest line it ends or
 * holds, and the length of the line still open after it.
 */
function scanLines(text: string, open: number): { longest: number; open: number } {
  let longest = 0;
  let current = open;
  let start = 0;
  for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
    longest = Math.max(longest, current + newline - start);
    current = 0;
    start = newline + 1;
  }
  current += text.length - start;
  return { longest: Math.max(longest, current), open: current };
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
