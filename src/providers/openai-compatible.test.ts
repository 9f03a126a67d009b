import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, describeAdapterConformance } from "../../test/support/conformance.js";
import {
  type RecordedRequest,
  refusedUrl,
  type ScriptedChunk,
  type ScriptedResponse,
  sse,
  startWireServer,
  type WireServer,
} from "../../test/support/wire-server.js";
import { ContextExceededError, ModelCallError } from "../spec/errors.js";
import type { ModelRequest, StreamPart } from "../spec/model.js";
import { createOpenAICompatibleAdapter, listOpenAIModels } from "./openai-compatible.js";
import { toFinishReason } from "./openai-wire.js";

const CHAT = "POST /v1/chat/completions";
const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
};
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

const request: ModelRequest = {
  messages: [
    { role: "system", content: "You write Python." },
    { role: "user", content: "Write add(a, b)." },
  ],
};

// --- llama.cpp server (b1-de3ff81), checked against the real llama-server by
// test/real-engine/llama-server-wire.test.ts: headers without cache-control; `model` is the server's own
// alias (the `-m` path when there is no `--alias`), whatever the request named; the build as
// `system_fingerprint`; a role chunk with `content: null`; a finish chunk with an empty delta; a usage
// chunk with `choices: []`, `prompt_tokens_details.cached_tokens` (= `cache_n`) and the timings on it.
const LLAMA_MODEL = "qwen2.5-coder-7b-instruct-q4_k_m.gguf";
const LLAMA_ALIAS = "/models/qwen2.5-coder-7b-instruct-q4_k_m.gguf";
const LLAMA_BUILD = "b1-de3ff81";
const LLAMA_SSE_HEADERS = {
  server: "llama.cpp",
  "access-control-allow-origin": "",
  "x-accel-buffering": "no",
  "content-type": "text/event-stream",
};
const LLAMA_JSON_HEADERS = {
  server: "llama.cpp",
  "access-control-allow-origin": "",
  "content-type": "application/json; charset=utf-8",
};
// `predicted_n` counts the end-of-generation token, which streams no text: one more than the deltas.
// The decode figures leave out the first token (it comes from the prefill): per token = ms / (n - 1).
const LLAMA_TIMINGS = {
  cache_n: 12,
  prompt_n: 19,
  prompt_ms: 48.213,
  prompt_per_token_ms: 2.537526315789474,
  prompt_per_second: 394.0845829962873,
  predicted_n: 10,
  predicted_ms: 151.372,
  predicted_per_token_ms: 16.819111111111113,
  predicted_per_second: 59.4561741933779,
};
const LLAMA_USAGE = {
  completion_tokens: 10,
  prompt_tokens: 31,
  total_tokens: 41,
  prompt_tokens_details: { cached_tokens: 12 },
};

function llamaChunk(choices: unknown[], extra: Record<string, unknown> = {}) {
  return {
    choices,
    created: 1750271648,
    id: "chatcmpl-PZ5ZD8fqMnhPYSsPlrOieSvbLMKUCe69",
    model: LLAMA_ALIAS,
    system_fingerprint: LLAMA_BUILD,
    object: "chat.completion.chunk",
    ...extra,
  };
}

function llamaDelta(content: string | null, role?: "assistant") {
  return llamaChunk([{ finish_reason: null, index: 0, delta: role ? { role, content } : { content } }]);
}

const LLAMA_TEXT = ["def", " add", "(a", ", b", "):\n", "    return", " a", " +", " b"];

function llamaStream(): ScriptedResponse {
  return {
    headers: LLAMA_SSE_HEADERS,
    chunks: sse(
      [
        llamaDelta(null, "assistant"),
        ...LLAMA_TEXT.map((t) => llamaDelta(t)),
        llamaChunk([{ finish_reason: "stop", index: 0, delta: {} }]),
        llamaChunk([], { usage: LLAMA_USAGE, timings: LLAMA_TIMINGS }),
        "[DONE]",
      ],
      3,
    ),
  };
}

function llamaCompletion(): ScriptedResponse {
  const body = {
    choices: [
      { finish_reason: "stop", index: 0, message: { role: "assistant", content: LLAMA_TEXT.join("") } },
    ],
    created: 1750271648,
    model: LLAMA_ALIAS,
    system_fingerprint: LLAMA_BUILD,
    object: "chat.completion",
    usage: LLAMA_USAGE,
    id: "chatcmpl-Xq2u1M9bV7c8Jt0WkR4eYh6sLpN3aZ5d",
    timings: LLAMA_TIMINGS,
  };
  return { headers: LLAMA_JSON_HEADERS, chunks: [{ delayMs: 20, data: JSON.stringify(body) }] };
}

/** llama-server's answer to a prompt that does not fit its `-c` context, streamed or not: HTTP 400. */
function llamaContextExceeded(nPrompt: number, nCtx: number): ScriptedResponse {
  const error = {
    code: 400,
    message: `request (${nPrompt} tokens) exceeds the available context size (${nCtx} tokens), try increasing it`,
    type: "exceed_context_size_error",
    n_prompt_tokens: nPrompt,
    n_ctx: nCtx,
  };
  return {
    status: 400,
    headers: { ...LLAMA_JSON_HEADERS, connection: "close" },
    chunks: [{ data: JSON.stringify({ error }) }],
  };
}

function llamaServer(req: RecordedRequest): ScriptedResponse {
  return (req.body as { stream?: boolean }).stream ? llamaStream() : llamaCompletion();
}

// --- vLLM (0.8): empty-content role chunk, finish chunk, usage chunk with `choices: []`.
const VLLM_MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct";

function vllmChunk(choices: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-9f3c1a6e2b7d4c0f8a5e3d2b1c0a9f8e",
    object: "chat.completion.chunk",
    created: 1736951234,
    model: VLLM_MODEL,
    choices,
    ...extra,
  };
}

function vllmDelta(content: string, finish: string | null = null) {
  return vllmChunk([
    { index: 0, delta: { content }, logprobs: null, finish_reason: finish, stop_reason: null },
  ]);
}

// --- LM Studio (0.2.x): no usage at all, even with include_usage.
function lmStudioChunk(delta: Record<string, unknown>, finish: string | null = null) {
  return {
    id: "chatcmpl-h4l0x2j8k9q7w3e5r1t6yb",
    object: "chat.completion.chunk",
    created: 1736951290,
    model: "qwen2.5-coder-7b-instruct",
    system_fingerprint: "qwen2.5-coder-7b-instruct",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

function streamOf(values: Array<unknown | string>, extra: Partial<ScriptedResponse> = {}): ScriptedResponse {
  return { headers: SSE_HEADERS, chunks: sse(values, 2), ...extra };
}

function texts(parts: StreamPart[]): string {
  return parts.map((p) => (p.type === "text-delta" ? p.text : "")).join("");
}

function finishOf(parts: StreamPart[]) {
  const finishes = parts.filter((p) => p.type === "finish");
  expect(finishes).toHaveLength(1);
  expect(parts.at(-1)?.type).toBe("finish");
  const finish = finishes[0];
  if (finish?.type !== "finish") throw new Error("no finish part");
  return finish;
}

function errorOf(parts: StreamPart[]) {
  expect(parts.filter((p) => p.type === "finish")).toEqual([]);
  const last = parts.at(-1);
  if (last?.type !== "error") throw new Error(`expected an error part last, got ${JSON.stringify(last)}`);
  return last.error;
}

async function rejection(promise: Promise<unknown>): Promise<ModelCallError> {
  try {
    await promise;
  } catch (error) {
    if (ModelCallError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describeAdapterConformance("openai-compatible (llama.cpp server)", async () => {
  const server = await startWireServer();
  server.route(CHAT, llamaServer);
  return {
    adapter: createOpenAICompatibleAdapter(LLAMA_MODEL, { baseURL: `${server.baseUrl}/v1` }),
    trueStreaming: true,
    reportsUsage: true,
    request,
    close: () => server.close(),
  };
});

describe("openai-compatible adapter", () => {
  let server: WireServer;
  let baseURL: string;

  beforeAll(async () => {
    server = await startWireServer();
    baseURL = `${server.baseUrl}/v1`;
  });
  afterAll(async () => {
    await server.close();
  });

  function adapter(modelId = LLAMA_MODEL, extra: { apiKey?: string; serverPid?: number } = {}) {
    return createOpenAICompatibleAdapter(modelId, { baseURL, ...extra });
  }

  function lastRequestBody(): Record<string, unknown> {
    return server.requests.at(-1)?.body as Record<string, unknown>;
  }

  it("declares provider, ref and where inference runs", () => {
    const plain = adapter("my-model");
    expect(plain.ref).toBe("openai/my-model");
    expect(plain.provider).toBe("openai");
    expect(plain.capabilities.trueStreaming).toBe(true);
    expect(plain.capabilities.inferenceProcess).toMatchObject({ kind: "unknown" });
    expect(adapter("my-model", { serverPid: 4242 }).capabilities.inferenceProcess).toEqual({
      kind: "pid",
      pid: 4242,
    });
  });

  it("sends the set settings, stream_options.include_usage and the bearer key; never contextSize", async () => {
    server.route(CHAT, llamaServer);
    const keyed = createOpenAICompatibleAdapter(LLAMA_MODEL, {
      baseURL: `${baseURL}/`,
      apiKey: "sk-local-123",
      headers: { "x-orket-run": "r1" },
    });
    await collect(
      keyed.stream({
        ...request,
        maxOutputTokens: 256,
        temperature: 0.2,
        topP: 0.9,
        seed: 42,
        stop: ["\n\n\n"],
        contextSize: 8192,
      }),
    );
    const recorded = server.requests.at(-1);
    expect(recorded?.url).toBe("/v1/chat/completions");
    expect(recorded?.headers.authorization).toBe("Bearer sk-local-123");
    expect(recorded?.headers["x-orket-run"]).toBe("r1");
    expect(recorded?.body).toEqual({
      model: LLAMA_MODEL,
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      seed: 42,
      stop: ["\n\n\n"],
    });

    await adapter().generate({ ...request, temperature: 0 });
    expect(lastRequestBody()).toEqual({
      model: LLAMA_MODEL,
      messages: request.messages,
      stream: false,
      temperature: 0,
    });
    expect(server.requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  it("maps llama.cpp's timings (ms to s) and cache_n, and merges finish and usage into one finish part", async () => {
    server.route(CHAT, llamaServer);
    const parts = await collect(adapter().stream(request));
    expect(
      parts.filter((p) => p.type === "text-delta").map((p) => (p.type === "text-delta" ? p.text : "")),
    ).toEqual(LLAMA_TEXT);
    const finish = finishOf(parts);
    expect(finish.finishReason).toEqual({ unified: "stop", raw: "stop" });
    expect(finish.usage).toEqual({ promptTokens: 31, outputTokens: 10, cachedPromptTokens: 12 });
    expect(finish.timings).toEqual({
      source: "llama.cpp",
      loadSeconds: undefined,
      prefillSeconds: 0.048213,
      decodeSeconds: 0.151372,
      decodeTokens: 9,
      raw: LLAMA_TIMINGS,
    });
    // llama.cpp answers with its own alias for the model, not the name the request gave.
    expect(finish.responseModel).toBe(LLAMA_ALIAS);
  });

  it("counts tokens from llama.cpp's timings when there is no usage (prompt_n + cache_n, predicted_n)", async () => {
    // Without include_usage, llama-server sends no usage chunk and puts the timings on the finish chunk
    // (recorded with max_tokens: 3 and cache_prompt: false).
    const timings = {
      cache_n: 0,
      prompt_n: 134,
      prompt_ms: 15.979,
      prompt_per_token_ms: 0.1192462686567164,
      prompt_per_second: 8386.00663370674,
      predicted_n: 3,
      predicted_ms: 1.033,
      predicted_per_token_ms: 0.5165,
      predicted_per_second: 1936.1084220716361,
    };
    server.route(
      CHAT,
      streamOf(
        [
          llamaDelta(null, "assistant"),
          llamaDelta("```"),
          llamaDelta("python"),
          llamaDelta("\n"),
          llamaChunk([{ finish_reason: "length", index: 0, delta: {} }], { timings }),
          "[DONE]",
        ],
        { headers: LLAMA_SSE_HEADERS },
      ),
    );
    const finish = finishOf(await collect(adapter().stream(request)));
    expect(finish.finishReason).toEqual({ unified: "length", raw: "length" });
    expect(finish.usage).toEqual({ promptTokens: 134, outputTokens: 3, cachedPromptTokens: 0 });
    expect(finish.timings?.decodeSeconds).toBeCloseTo(0.001033, 9);
    expect(finish.timings?.decodeTokens).toBe(2);
  });

  it("promptCache: false sends cache_prompt: false, and warns only when the server still reused a prefix", async () => {
    const cold = createOpenAICompatibleAdapter(LLAMA_MODEL, { baseURL, promptCache: false });
    // What llama-server reports when it honours cache_prompt: false: nothing cached, the whole prompt evaluated.
    const coldTimings = { ...LLAMA_TIMINGS, cache_n: 0, prompt_n: 31 };
    const coldUsage = { ...LLAMA_USAGE, prompt_tokens_details: { cached_tokens: 0 } };
    server.route(
      CHAT,
      streamOf(
        [
          llamaDelta(null, "assistant"),
          llamaDelta("pass"),
          llamaChunk([{ finish_reason: "stop", index: 0, delta: {} }]),
          llamaChunk([], { usage: coldUsage, timings: coldTimings }),
          "[DONE]",
        ],
        { headers: LLAMA_SSE_HEADERS },
      ),
    );
    const finish = finishOf(await collect(cold.stream(request)));
    expect(lastRequestBody()).toMatchObject({ stream: true, cache_prompt: false });
    expect(finish.usage).toEqual({ promptTokens: 31, outputTokens: 10, cachedPromptTokens: 0 });
    expect(finish.warnings).toEqual([]);

    server.route(CHAT, llamaServer);
    const warm = await cold.generate(request);
    expect(lastRequestBody()).toMatchObject({ stream: false, cache_prompt: false });
    expect(warm.warnings).toEqual([
      {
        type: "unsupported-setting",
        setting: "promptCache",
        details: "cache_prompt: false was sent, but the server reused 12 cached prompt tokens",
      },
    ]);
  });

  it("maps llama.cpp's HTTP 400 exceed_context_size_error to CONTEXT_EXCEEDED with the token counts", async () => {
    server.route(CHAT, llamaContextExceeded(1612, 512));
    for (const call of [() => collect(adapter().stream(request)), () => adapter().generate(request)]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(ContextExceededError);
      expect(error).toMatchObject({
        code: "CONTEXT_EXCEEDED",
        statusCode: 400,
        isRetryable: false,
        promptTokens: 1612,
        contextSize: 512,
        url: `${baseURL}/chat/completions`,
      });
      expect(error.message).toContain("1612 tokens; the server's context holds 512");
      expect(error.responseBody).toContain('"type":"exceed_context_size_error"');
    }
    // Any other 400 from llama-server stays an HTTP status error, not retried.
    server.route(CHAT, {
      status: 400,
      headers: { ...LLAMA_JSON_HEADERS, connection: "close" },
      chunks: [
        {
          data: JSON.stringify({
            error: {
              code: 400,
              message: "Expected 'messages' to be an array",
              type: "invalid_request_error",
            },
          }),
        },
      ],
    });
    expect(await rejection(adapter().generate(request))).toMatchObject({
      code: "HTTP_STATUS",
      statusCode: 400,
      isRetryable: false,
    });
  });

  it("reads vLLM's usage chunk with `choices: []` after the finish chunk", async () => {
    server.route(
      CHAT,
      streamOf([
        vllmChunk([
          { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
        ]),
        vllmDelta("Hello"),
        vllmDelta(" world"),
        vllmDelta("", "stop"),
        vllmChunk([], {
          usage: {
            prompt_tokens: 31,
            total_tokens: 33,
            completion_tokens: 2,
            prompt_tokens_details: { cached_tokens: 16 },
          },
        }),
        "[DONE]",
      ]),
    );
    const parts = await collect(adapter(VLLM_MODEL).stream(request));
    expect(parts.map((p) => p.type)).toEqual(["text-delta", "text-delta", "finish"]);
    expect(texts(parts)).toBe("Hello world");
    const finish = finishOf(parts);
    expect(finish.finishReason).toEqual({ unified: "stop", raw: "stop" });
    expect(finish.usage).toEqual({ promptTokens: 31, outputTokens: 2, cachedPromptTokens: 16 });
    expect(finish.timings).toBeUndefined();
    expect(finish.responseModel).toBe(VLLM_MODEL);
  });

  it("reads a usage chunk with `choices: null`, and a [DONE] without the closing blank line", async () => {
    const chunks: ScriptedChunk[] = [
      ...sse(
        [
          vllmDelta("ok"),
          vllmDelta("", "stop"),
          vllmChunk([], {
            choices: null,
            usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 },
          }),
        ],
        2,
      ),
      { delayMs: 2, data: "data: [DONE]\n" },
    ];
    server.route(CHAT, { headers: SSE_HEADERS, chunks });
    const parts = await collect(adapter(VLLM_MODEL).stream(request));
    const finish = finishOf(parts);
    expect(finish.usage).toEqual({ promptTokens: 12, outputTokens: 1, cachedPromptTokens: undefined });
  });

  it("leaves counts and timings undefined, never 0, when the server reports no usage (LM Studio)", async () => {
    server.route(CHAT, {
      headers: SSE_HEADERS,
      chunks: [
        ...sse([lmStudioChunk({ role: "assistant", content: "Sure" })], 2),
        { delayMs: 2, data: ": keep-alive\n\n" },
        ...sse([lmStudioChunk({ content: "!" }), lmStudioChunk({}, "stop"), "[DONE]"], 2),
      ],
    });
    const parts = await collect(adapter("qwen2.5-coder-7b-instruct").stream(request));
    expect(texts(parts)).toBe("Sure!");
    const finish = finishOf(parts);
    expect(finish.usage.promptTokens).toBeUndefined();
    expect(finish.usage.outputTokens).toBeUndefined();
    expect(finish.usage.cachedPromptTokens).toBeUndefined();
    expect(finish.timings).toBeUndefined();
  });

  it("finishes at the end of a body that had a finish_reason but no [DONE]", async () => {
    server.route(CHAT, streamOf([lmStudioChunk({ content: "x" }), lmStudioChunk({}, "content_filter")]));
    const finish = finishOf(await collect(adapter().stream(request)));
    expect(finish.finishReason).toEqual({ unified: "content-filter", raw: "content_filter" });
  });

  it("turns an invalid JSON chunk into a MALFORMED_STREAM error part after the text before it", async () => {
    server.route(
      CHAT,
      streamOf([llamaDelta("def"), '{"choices":[{"delta":{"content":" add"', llamaDelta("x")]),
    );
    const parts = await collect(adapter().stream(request));
    expect(texts(parts)).toBe("def");
    const error = errorOf(parts);
    expect(error.code).toBe("MALFORMED_STREAM");
    expect(error.isRetryable).toBe(false);
    expect(error.responseBody).toContain('"content":" add"');
  });

  it("turns an error object sent after HTTP 200 into a SERVER_ERROR part (llama.cpp, vLLM, old llama.cpp)", async () => {
    server.route(
      CHAT,
      streamOf([
        llamaDelta("def"),
        { error: { code: 500, message: "failed to decode the batch, n_batch = 2048", type: "server_error" } },
        "[DONE]",
      ]),
    );
    let parts = await collect(adapter().stream(request));
    expect(texts(parts)).toBe("def");
    let error = errorOf(parts);
    expect(error.code).toBe("SERVER_ERROR");
    expect(error.message).toContain("failed to decode the batch");
    expect(error.isRetryable).toBe(true);

    server.route(
      CHAT,
      streamOf([
        vllmDelta("He"),
        {
          object: "error",
          message: "Sampled token IDs exceed the max model length.",
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      ]),
    );
    parts = await collect(adapter(VLLM_MODEL).stream(request));
    error = errorOf(parts);
    expect(error.code).toBe("SERVER_ERROR");
    expect(error.message).toContain("exceed the max model length");
    expect(error.isRetryable).toBe(false);

    const legacy =
      'error: {"code":400,"message":"the request exceeds the available context size","type":"invalid_request_error"}\n\n';
    server.route(CHAT, {
      headers: SSE_HEADERS,
      chunks: [...sse([llamaDelta("a")], 2), { delayMs: 2, data: legacy }, ...sse(["[DONE]"], 2)],
    });
    error = errorOf(await collect(adapter().stream(request)));
    expect(error.code).toBe("SERVER_ERROR");
    expect(error.message).toContain("exceeds the available context size");
  });

  it("refuses an SSE line over 16 MiB instead of buffering it whole", async () => {
    const piece = "x".repeat(2 ** 20);
    server.route(CHAT, {
      headers: SSE_HEADERS,
      chunks: [
        ...sse([llamaDelta("def")], 2),
        { delayMs: 2, data: 'data: {"choices":[{"index":0,"delta":{"content":"' },
        ...Array.from({ length: 17 }, () => ({ delayMs: 0, data: piece })),
      ],
    });
    const parts = await collect(adapter().stream(request));
    expect(texts(parts)).toBe("def");
    const error = errorOf(parts);
    expect(error.code).toBe("MALFORMED_STREAM");
    expect(error.message).toBe(
      `malformed response from ${server.baseUrl}/v1/chat/completions: a line of the stream is over 16,777,216 characters (the limit of one streamed chunk)`,
    );
  });

  it("reports a stream cut off before [DONE] and finish_reason as a retryable MALFORMED_STREAM", async () => {
    server.route(CHAT, streamOf([llamaDelta("def"), llamaDelta(" add")], { destroy: true }));
    const parts = await collect(adapter().stream(request));
    // The socket is destroyed right after the last write, which may never leave the server.
    expect(texts(parts)).toMatch(/^def/);
    let error = errorOf(parts);
    expect(error.code).toBe("MALFORMED_STREAM");
    expect(error.isRetryable).toBe(true);

    server.route(CHAT, streamOf([llamaDelta("def")]));
    error = errorOf(await collect(adapter().stream(request)));
    expect(error.code).toBe("MALFORMED_STREAM");
    expect(error.isRetryable).toBe(true);

    server.route(CHAT, {
      headers: SSE_HEADERS,
      chunks: [...sse([llamaDelta("def")], 2), { delayMs: 2, data: 'data: {"choices":[{"fin' }],
    });
    error = errorOf(await collect(adapter().stream(request)));
    expect(error.code).toBe("MALFORMED_STREAM");
    expect(error.isRetryable).toBe(true);
  });

  it("throws MODEL_NOT_FOUND before the first part on vLLM's 404, HTTP_STATUS on a 404 about the path", async () => {
    const vllm404: ScriptedResponse = {
      status: 404,
      headers: JSON_HEADERS,
      chunks: [
        {
          data: JSON.stringify({
            object: "error",
            message: "The model `qwen-coder` does not exist.",
            type: "NotFoundError",
            param: null,
            code: 404,
          }),
        },
      ],
    };
    server.route(CHAT, vllm404);
    const streamError = await rejection(collect(adapter("qwen-coder").stream(request)));
    expect(streamError.code).toBe("MODEL_NOT_FOUND");
    expect(streamError.statusCode).toBe(404);
    expect(streamError.message).toContain(`${baseURL}/models`);
    expect((await rejection(adapter("qwen-coder").generate(request))).code).toBe("MODEL_NOT_FOUND");

    const wrongPath = createOpenAICompatibleAdapter("qwen-coder", { baseURL: server.baseUrl });
    const pathError = await rejection(wrongPath.generate(request));
    expect(pathError.code).toBe("HTTP_STATUS");
    expect(pathError.statusCode).toBe(404);

    // llama-server serves the API with and without /v1; any other path is its `not_found_error`.
    server.route("POST /v1/v1/chat/completions", {
      status: 404,
      headers: { ...LLAMA_JSON_HEADERS, connection: "close" },
      chunks: [{ data: '{"error":{"message":"File Not Found","type":"not_found_error","code":404}}' }],
    });
    const doubled = createOpenAICompatibleAdapter(LLAMA_MODEL, { baseURL: `${baseURL}/v1` });
    expect(await rejection(doubled.generate(request))).toMatchObject({
      code: "HTTP_STATUS",
      statusCode: 404,
    });
  });

  it.each([429, 500])("maps HTTP %i to a retryable HTTP_STATUS and does not retry itself", async (status) => {
    server.route(CHAT, {
      status,
      headers: JSON_HEADERS,
      chunks: [{ data: JSON.stringify({ error: { code: status, message: "busy", type: "server_error" } }) }],
    });
    const before = server.requests.length;
    const error = await rejection(collect(adapter().stream(request)));
    expect(error).toMatchObject({ code: "HTTP_STATUS", statusCode: status, isRetryable: true });
    expect(server.requests.length - before).toBe(1);
    expect(await rejection(adapter().generate(request))).toMatchObject({
      code: "HTTP_STATUS",
      isRetryable: true,
    });
  });

  it("maps a refused connection to CONNECTION_REFUSED", async () => {
    const refused = createOpenAICompatibleAdapter(LLAMA_MODEL, { baseURL: `${await refusedUrl()}/v1` });
    expect((await rejection(collect(refused.stream(request)))).code).toBe("CONNECTION_REFUSED");
    expect((await rejection(refused.generate(request))).code).toBe("CONNECTION_REFUSED");
  });

  it("ends with an ABORTED error part when the signal fires mid-stream", async () => {
    server.route(CHAT, {
      headers: SSE_HEADERS,
      chunks: [...sse([llamaDelta("def"), llamaDelta(" add")], 2), ...sse([llamaDelta("never")], 5_000)],
    });
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    const started = performance.now();
    for await (const part of adapter().stream({ ...request, signal: controller.signal })) {
      parts.push(part);
      if (part.type === "text-delta" && part.text === " add") controller.abort();
    }
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(texts(parts)).toBe("def add");
    expect(errorOf(parts).code).toBe("ABORTED");
  });

  it("generate returns the message, finish reason, usage and timings of a whole completion", async () => {
    server.route(CHAT, llamaServer);
    const result = await adapter().generate(request);
    expect(result.text).toBe(LLAMA_TEXT.join(""));
    expect(result.finishReason).toEqual({ unified: "stop", raw: "stop" });
    expect(result.usage).toEqual({ promptTokens: 31, outputTokens: 10, cachedPromptTokens: 12 });
    expect(result.timings?.prefillSeconds).toBeCloseTo(0.048213, 9);
    expect(result.timings?.decodeTokens).toBe(9);
    expect(result.responseModel).toBe(LLAMA_ALIAS);
  });

  it("generate rejects `choices: null`, a missing content and an error in a 200 body", async () => {
    const completion = (choices: unknown) => ({
      id: "chatcmpl-5b1f0c8e9d7a4b3c",
      object: "chat.completion",
      created: 1736951234,
      model: VLLM_MODEL,
      choices,
      usage: { prompt_tokens: 31, total_tokens: 31, completion_tokens: 0 },
    });
    const reply = (body: unknown): ScriptedResponse => ({
      headers: JSON_HEADERS,
      chunks: [{ delayMs: 2, data: JSON.stringify(body) }],
    });

    server.route(CHAT, reply(completion(null)));
    expect(await rejection(adapter().generate(request))).toMatchObject({ code: "MALFORMED_STREAM" });
    server.route(
      CHAT,
      reply(completion([{ index: 0, message: { role: "assistant" }, finish_reason: "stop" }])),
    );
    expect(await rejection(adapter().generate(request))).toMatchObject({ code: "MALFORMED_STREAM" });
    server.route(CHAT, { headers: JSON_HEADERS, chunks: [{ data: '{"id":"chatcmpl-1","choices":[' }] });
    expect(await rejection(adapter().generate(request))).toMatchObject({ code: "MALFORMED_STREAM" });
    server.route(CHAT, reply({ error: { code: 500, message: "slot unavailable", type: "server_error" } }));
    const error = await rejection(adapter().generate(request));
    expect(error).toMatchObject({ code: "SERVER_ERROR" });
    expect(error.message).toContain("slot unavailable");
  });

  it("lists the served models with GET /models", async () => {
    // llama-server: an Ollama-style `models` list beside OpenAI's `data`, the alias as the id.
    const ollamaStyle = {
      name: LLAMA_ALIAS,
      model: LLAMA_ALIAS,
      modified_at: "",
      size: "",
      digest: "",
      type: "model",
      description: "",
      tags: [""],
      capabilities: ["completion"],
      parameters: "",
      details: {
        parent_model: "",
        format: "gguf",
        family: "",
        families: [""],
        parameter_size: "",
        quantization_level: "",
      },
    };
    server.route("GET /v1/models", {
      headers: LLAMA_JSON_HEADERS,
      chunks: [
        {
          data: JSON.stringify({
            models: [ollamaStyle],
            object: "list",
            data: [
              {
                id: LLAMA_ALIAS,
                aliases: [LLAMA_ALIAS],
                tags: [],
                object: "model",
                created: 1750271600,
                owned_by: "llamacpp",
                meta: {
                  vocab_type: 2,
                  n_vocab: 152064,
                  n_ctx: 8192,
                  n_ctx_train: 32768,
                  n_embd: 3584,
                  n_params: 7615616512,
                  size: 4677120000,
                  ftype: "Q4_K - Medium",
                },
              },
            ],
          }),
        },
      ],
    });
    const models = await listOpenAIModels({ baseURL, apiKey: "sk-local-123" });
    expect(models).toEqual([{ id: LLAMA_ALIAS, owned_by: "llamacpp" }]);
    expect(server.requests.at(-1)?.headers.authorization).toBe("Bearer sk-local-123");

    server.route("GET /v1/models", {
      headers: JSON_HEADERS,
      chunks: [
        { data: JSON.stringify({ object: "list", data: [{ id: "text-embedding-nomic-embed-text-v1.5" }] }) },
      ],
    });
    expect(await listOpenAIModels({ baseURL })).toEqual([{ id: "text-embedding-nomic-embed-text-v1.5" }]);

    server.route("GET /v1/models", {
      headers: JSON_HEADERS,
      chunks: [{ data: '{"object":"list","data":null}' }],
    });
    expect(await rejection(listOpenAIModels({ baseURL }))).toMatchObject({ code: "MALFORMED_STREAM" });
  });

  it("maps every OpenAI finish_reason to its unified value and keeps the raw one", () => {
    expect(toFinishReason("stop")).toEqual({ unified: "stop", raw: "stop" });
    expect(toFinishReason("length")).toEqual({ unified: "length", raw: "length" });
    expect(toFinishReason("content_filter")).toEqual({ unified: "content-filter", raw: "content_filter" });
    expect(toFinishReason("tool_calls")).toEqual({ unified: "tool-calls", raw: "tool_calls" });
    expect(toFinishReason("abort")).toEqual({ unified: "other", raw: "abort" });
    expect(toFinishReason(null)).toEqual({ unified: "unknown", raw: undefined });
  });
});

describe("openai-compatible native tool calls", () => {
  let server: WireServer;
  let baseURL: string;
  beforeAll(async () => {
    server = await startWireServer();
    baseURL = `${server.baseUrl}/v1`;
  });
  afterAll(async () => {
    await server.close();
  });

  const adapter = (modelId = VLLM_MODEL) => createOpenAICompatibleAdapter(modelId, { baseURL });
  const TOOLS = [
    {
      name: "write_file",
      description: "Write a file in the workspace.",
      parameters: {
        type: "object",
        properties: { path: { type: "string" }, content: { type: "string" } },
        required: ["path", "content"],
      },
    },
    { name: "run_tests", description: "Run the test suite.", parameters: { type: "object", properties: {} } },
  ];
  const WRITE_ARGS = { path: "add.py", content: 'def add(a, b):\n    return {"sum": a + b}\n' };
  const WRITE_JSON = JSON.stringify(WRITE_ARGS);

  /** vLLM (0.8, hermes parser) streams a call's arguments in fragments; parallel calls differ by index. */
  function toolDelta(call: Record<string, unknown>, finish: string | null = null) {
    return vllmChunk([{ index: 0, delta: { tool_calls: [call] }, logprobs: null, finish_reason: finish }]);
  }
  const cut = (text: string, pieces: number) => {
    const size = Math.ceil(text.length / pieces);
    return Array.from({ length: pieces }, (_, i) => text.slice(i * size, (i + 1) * size));
  };

  it("sends the offered tools in OpenAI's format, and no tools key without them", async () => {
    server.route(CHAT, llamaServer);
    await collect(adapter().stream({ ...request, tools: TOOLS }));
    expect(server.requests.at(-1)?.body).toMatchObject({
      stream: true,
      tools: TOOLS.map((tool) => ({ type: "function", function: tool })),
    });
    await adapter().generate({ ...request, tools: TOOLS });
    expect(server.requests.at(-1)?.body).toMatchObject({ stream: false, tools: [{ type: "function" }, {}] });
    for (const tools of [undefined, []]) {
      await adapter().generate({ ...request, ...(tools ? { tools } : {}) });
      expect(server.requests.at(-1)?.body).not.toHaveProperty("tools");
    }
  });

  it("puts streamed fragments together by index and emits whole calls before the finish", async () => {
    const [w0, w1, w2, w3] = cut(WRITE_JSON, 4);
    server.route(
      CHAT,
      streamOf([
        vllmChunk([
          { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
        ]),
        toolDelta({
          index: 0,
          id: "chatcmpl-tool-4b1e",
          type: "function",
          function: { name: "write_file", arguments: "" },
        }),
        toolDelta({ index: 0, function: { arguments: w0 } }),
        toolDelta({ index: 1, id: "chatcmpl-tool-9c27", type: "function", function: { name: "run_tests" } }),
        toolDelta({ index: 0, function: { arguments: w1 } }),
        toolDelta({ index: 1, function: { arguments: "{}" } }),
        toolDelta({ index: 0, function: { arguments: w2 } }),
        toolDelta({ index: 0, function: { arguments: w3 } }),
        vllmChunk([{ index: 0, delta: { content: "" }, logprobs: null, finish_reason: "tool_calls" }]),
        vllmChunk([], { usage: { prompt_tokens: 212, total_tokens: 251, completion_tokens: 39 } }),
        "[DONE]",
      ]),
    );
    const parts = await collect(adapter().stream({ ...request, tools: TOOLS }));
    expect(parts.map((p) => p.type)).toEqual(["tool-call", "tool-call", "finish"]);
    expect(parts[0]).toEqual({
      type: "tool-call",
      toolCallId: "chatcmpl-tool-4b1e",
      toolName: "write_file",
      arguments: WRITE_JSON,
    });
    expect(parts[1]).toEqual({
      type: "tool-call",
      toolCallId: "chatcmpl-tool-9c27",
      toolName: "run_tests",
      arguments: "{}",
    });
    const finish = finishOf(parts);
    expect(finish.finishReason).toEqual({ unified: "tool-calls", raw: "tool_calls" });
    expect(finish.usage).toMatchObject({ promptTokens: 212, outputTokens: 39 });
  });

  it("keeps text before a call, and emits the calls when the body ends after finish_reason without [DONE]", async () => {
    // llama.cpp (--jinja) sends the name with the first fragment and `content: null` around the calls.
    const llamaTool = (call: Record<string, unknown>) =>
      llamaChunk([{ finish_reason: null, index: 0, delta: { tool_calls: [call] } }]);
    server.route(
      CHAT,
      streamOf([
        llamaDelta("Writing the file.", "assistant"),
        llamaTool({
          index: 0,
          id: "1sxVlXhVvP2Z",
          type: "function",
          function: { name: "write_file", arguments: '{"pa' },
        }),
        llamaTool({ index: 0, function: { arguments: 'th":"add.py",' } }),
        llamaTool({ index: 0, function: { arguments: '"content":"pass\\n"}' } }),
        llamaChunk([{ finish_reason: "tool_calls", index: 0, delta: {} }], { timings: LLAMA_TIMINGS }),
      ]),
    );
    const parts = await collect(adapter(LLAMA_MODEL).stream(request));
    expect(parts.map((p) => p.type)).toEqual(["text-delta", "tool-call", "finish"]);
    expect(parts[1]).toMatchObject({
      toolName: "write_file",
      arguments: '{"path":"add.py","content":"pass\\n"}',
    });
    expect(JSON.parse(parts[1]?.type === "tool-call" ? parts[1].arguments : "")).toEqual({
      path: "add.py",
      content: "pass\n",
    });
    expect(finishOf(parts).finishReason.unified).toBe("tool-calls");
  });

  it("tells apart parallel calls that Ollama's OpenAI endpoint sends all with index 0", async () => {
    const ollamaChunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id: "chatcmpl-18",
      object: "chat.completion.chunk",
      created: 1744446075,
      model: "qwen2.5-coder:7b",
      system_fingerprint: "fp_ollama",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const call = (id: string, command: string) => ({
      id,
      index: 0,
      type: "function",
      function: { name: "run_command", arguments: JSON.stringify({ command }) },
    });
    server.route(
      CHAT,
      streamOf([
        ollamaChunk({ role: "assistant", content: "", tool_calls: [call("call_wteop8bt", "ls")] }),
        ollamaChunk({ role: "assistant", content: "", tool_calls: [call("call_rk2xye1l", "ls -l")] }),
        ollamaChunk({ role: "assistant", content: "" }, "tool_calls"),
        "[DONE]",
      ]),
    );
    const parts = await collect(adapter("qwen2.5-coder:7b").stream(request));
    expect(parts.filter((p) => p.type === "tool-call")).toEqual([
      {
        type: "tool-call",
        toolCallId: "call_wteop8bt",
        toolName: "run_command",
        arguments: '{"command":"ls"}',
      },
      {
        type: "tool-call",
        toolCallId: "call_rk2xye1l",
        toolName: "run_command",
        arguments: '{"command":"ls -l"}',
      },
    ]);
  });

  it("generate maps message.tool_calls (content null) to toolCalls and finish_reason to tool-calls", async () => {
    const completion = {
      id: "chatcmpl-7d2c1f0b8a9e4d6c",
      object: "chat.completion",
      created: 1736951234,
      model: VLLM_MODEL,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "chatcmpl-tool-4b1e",
                type: "function",
                function: { name: "write_file", arguments: WRITE_JSON },
              },
              {
                id: "chatcmpl-tool-9c27",
                type: "function",
                function: { name: "run_tests", arguments: "{}" },
              },
            ],
          },
          logprobs: null,
          finish_reason: "tool_calls",
          stop_reason: null,
        },
      ],
      usage: { prompt_tokens: 212, total_tokens: 251, completion_tokens: 39 },
    };
    server.route(CHAT, { headers: JSON_HEADERS, chunks: [{ data: JSON.stringify(completion) }] });
    const result = await adapter().generate({ ...request, tools: TOOLS });
    expect(result.text).toBe("");
    expect(result.toolCalls).toEqual([
      { type: "tool-call", toolCallId: "chatcmpl-tool-4b1e", toolName: "write_file", arguments: WRITE_JSON },
      { type: "tool-call", toolCallId: "chatcmpl-tool-9c27", toolName: "run_tests", arguments: "{}" },
    ]);
    expect(result.finishReason).toEqual({ unified: "tool-calls", raw: "tool_calls" });

    server.route(CHAT, llamaServer);
    expect(await adapter().generate(request)).not.toHaveProperty("toolCalls");
  });
});
