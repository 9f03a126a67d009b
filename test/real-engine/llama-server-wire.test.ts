/**
 * The OpenAI-compatible adapter on llama.cpp's own llama-server: what the real server sends (its SSE,
 * `timings`, `cache_n`, usage chunk, `/props`, `/slots`, `/metrics`, the error for a prompt that does not
 * fit) is what the hand-written wire fixtures in src/providers/openai-compatible.test.ts must match, and
 * what the adapter makes of it. The structural facts the fixtures rely on are asserted on the raw bytes.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBank } from "../../src/bench/bank/bank-loader.js";
import { directPrompt } from "../../src/bench/runner.js";
import { createOpenAICompatibleAdapter } from "../../src/providers/openai-compatible.js";
import { ContextExceededError, ModelCallError } from "../../src/spec/errors.js";
import type { FinishPart, ModelMessage, ModelRequest, StreamPart } from "../../src/spec/model.js";
import { collect, describeAdapterConformance } from "../support/conformance.js";
import { type LlamaServer, llamaBin, quantized, startLlamaServer } from "../support/llama-cpp.js";

const CONTEXT = 512;
/** The fields of llama.cpp's `timings`, in the order the server writes them. */
const TIMING_FIELDS = [
  "cache_n",
  "prompt_n",
  "prompt_ms",
  "prompt_per_token_ms",
  "prompt_per_second",
  "predicted_n",
  "predicted_ms",
  "predicted_per_token_ms",
  "predicted_per_second",
] as const;

type Json = Record<string, unknown>;
type Timings = Record<(typeof TIMING_FIELDS)[number], number>;

interface Props {
  build_info: string;
  model_path: string;
  model_alias: string;
  model_ftype: string;
  total_slots: number;
  default_generation_settings: { n_ctx: number };
}

async function task(): Promise<{ id: string; messages: ModelMessage[]; name: string }> {
  const bank = await loadBank("builtin");
  const clamp = bank.tasks.find((t) => t.id === "py/clamp") ?? bank.tasks[0];
  if (!clamp) throw new Error("the built-in bank has no tasks");
  const name = /def (\w+)\(/.exec(clamp.function_signature ?? "")?.[1] ?? "";
  return { id: clamp.id, messages: directPrompt(clamp), name };
}

function textOf(parts: StreamPart[]): string {
  return parts.map((p) => (p.type === "text-delta" ? p.text : "")).join("");
}

function finishOf(parts: StreamPart[]): FinishPart {
  expect(parts.filter((p) => p.type === "error")).toEqual([]);
  const last = parts.at(-1);
  if (last?.type !== "finish") throw new Error(`expected a finish part last, got ${JSON.stringify(last)}`);
  expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
  return last;
}

async function failure(promise: Promise<unknown>): Promise<ModelCallError> {
  try {
    await promise;
  } catch (error) {
    if (ModelCallError.is(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** The `data:` payloads of an SSE body, in order (llama-server writes `data: <json>\n\n` only). */
function sseData(body: string): string[] {
  const events = body.split("\n\n").filter((e) => e.length > 0);
  for (const event of events) expect(event).toMatch(/^data: /);
  return events.map((e) => e.slice("data: ".length));
}

/** The value of one Prometheus sample (a metric without labels). */
function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

describe("the OpenAI-compatible adapter on llama.cpp's llama-server (the facts the wire fixtures copy)", () => {
  let server: LlamaServer;
  let root: string;
  let props: Props;
  let prompt: { id: string; messages: ModelMessage[]; name: string };
  let request: ModelRequest;
  const adapter = (promptCache?: boolean) =>
    createOpenAICompatibleAdapter("memorizer", {
      baseURL: server.baseURL,
      serverPid: server.pid,
      ...(promptCache === undefined ? {} : { promptCache }),
    });
  const post = (body: Json) =>
    fetch(`${root}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "memorizer",
        messages: prompt.messages,
        temperature: 0,
        seed: 42,
        ...body,
      }),
    });

  beforeAll(async () => {
    server = await startLlamaServer({ model: quantized("Q8_0"), contextSize: CONTEXT });
    root = server.baseURL.replace(/\/v1$/, "");
    props = (await (await fetch(`${root}/props`)).json()) as Props;
    prompt = await task();
    request = { messages: prompt.messages, temperature: 0, seed: 42 };
  });
  afterAll(async () => server?.stop());

  it("streams the direct prompt's answer; one finish part with usage and llama.cpp's timings", async () => {
    // Cold first: nothing of this prompt is in the slot yet.
    const parts = await collect(adapter(false).stream(request));
    const text = textOf(parts);
    expect(text).toContain("```python");
    expect(text).toContain(`def ${prompt.name}(`);
    const finish = finishOf(parts);
    expect(finish.finishReason).toEqual({ unified: "stop", raw: "stop" });
    expect(finish.responseModel).toBe(props.model_alias);
    expect(finish.warnings).toEqual([]);
    const raw = finish.timings?.raw as Timings;
    expect(Object.keys(raw)).toEqual(TIMING_FIELDS);
    expect(finish.usage).toEqual({
      promptTokens: raw.prompt_n + raw.cache_n,
      outputTokens: raw.predicted_n,
      cachedPromptTokens: 0,
    });
    expect(finish.usage.promptTokens).toBeGreaterThan(50);
    expect(finish.usage.outputTokens).toBeGreaterThan(10);
    expect(finish.timings).toMatchObject({
      source: "llama.cpp",
      loadSeconds: undefined,
      prefillSeconds: raw.prompt_ms / 1000,
      decodeSeconds: raw.predicted_ms / 1000,
      decodeTokens: raw.predicted_n - 1,
    });
    expect(raw.prompt_ms).toBeGreaterThan(0);
    expect(raw.predicted_ms).toBeGreaterThan(0);
    // llama.cpp's decode convention, which the adapter's decodeTokens copies: the first token is free.
    expect(raw.predicted_per_second).toBeCloseTo((raw.predicted_n - 1) / (raw.predicted_ms / 1000), 6);
    expect(raw.predicted_per_token_ms).toBeCloseTo(raw.predicted_ms / (raw.predicted_n - 1), 9);
    // The prompt's figures count every evaluated token.
    expect(raw.prompt_per_second).toBeCloseTo(raw.prompt_n / (raw.prompt_ms / 1000), 6);
  });

  it("generate returns the same answer (temperature 0, seed 42) with usage and timings", async () => {
    const streamed = textOf(await collect(adapter(false).stream(request)));
    const result = await adapter(false).generate(request);
    expect(result.text).toBe(streamed);
    expect(result.finishReason).toEqual({ unified: "stop", raw: "stop" });
    expect(result.responseModel).toBe(props.model_alias);
    const raw = result.timings?.raw as Timings;
    expect(Object.keys(raw)).toEqual(TIMING_FIELDS);
    expect(result.usage).toEqual({
      promptTokens: raw.prompt_n + raw.cache_n,
      outputTokens: raw.predicted_n,
      cachedPromptTokens: 0,
    });
    expect(result.timings?.decodeTokens).toBe(raw.predicted_n - 1);
    expect(result.warnings).toEqual([]);
  });

  it("reuses the cached prompt on a second identical request; promptCache: false (cache_prompt: false) does not", async () => {
    await adapter().generate(request);
    const warm = await adapter().generate(request);
    const promptTokens = warm.usage.promptTokens ?? 0;
    expect(warm.usage.cachedPromptTokens).toBeGreaterThan(0);
    // Everything but the last prompt token: llama.cpp evaluates at least one token to get the logits.
    expect(warm.usage.cachedPromptTokens).toBe(promptTokens - 1);
    expect(warm.timings?.raw).toMatchObject({ cache_n: promptTokens - 1, prompt_n: 1 });

    const warmStream = finishOf(await collect(adapter().stream(request)));
    expect(warmStream.usage.cachedPromptTokens).toBe(promptTokens - 1);

    const cold = finishOf(await collect(adapter(false).stream(request)));
    expect(cold.usage).toMatchObject({ promptTokens, cachedPromptTokens: 0 });
    expect(cold.timings?.raw).toMatchObject({ cache_n: 0, prompt_n: promptTokens });
    expect(cold.warnings).toEqual([]);
    const coldWhole = await adapter(false).generate(request);
    expect(coldWhole.usage.cachedPromptTokens).toBe(0);
  });

  it("describe() records the quantization, the build, the context and the file's sha256", async () => {
    const path = quantized("Q8_0");
    const record = await adapter().describe?.();
    expect(record).toBeDefined();
    expect(record?.model).toEqual({
      file_sha256: createHash("sha256").update(readFileSync(path)).digest("hex"),
      file_bytes: statSync(path).size,
      digest: null,
      quantization: "Q8_0",
      path,
    });
    expect(record?.engine).toEqual({ name: "llama.cpp server", build: props.build_info, version: null });
    // llama.cpp built from a source bundle has no git history: build number 1, then the commit.
    expect(record?.engine.build).toMatch(/^b\d+-[0-9a-f]{7,}$/);
    const commit = /[0-9a-f]{40}/.exec(llamaBin())?.[0];
    if (commit) expect(commit.startsWith(record?.engine.build?.split("-")[1] ?? "-")).toBe(true);
    expect(record?.context_size).toBe(CONTEXT);
    expect(record?.server_sampler_defaults).toMatchObject({ top_k: 40, repeat_penalty: 1 });
    expect(record?.server_settings).toMatchObject({
      total_slots: 1,
      endpoint_slots: true,
      endpoint_metrics: true,
      slots: [{ id: 0, n_ctx: CONTEXT }],
      model_meta: { n_ctx: CONTEXT, ftype: "Q8_0" },
    });
  });

  it("a prompt longer than the context is CONTEXT_EXCEEDED with the token counts, streamed or not", async () => {
    const long = prompt.messages.map((m) =>
      m.role === "user" ? { ...m, content: `${m.content}\n`.repeat(12) } : m,
    );
    const tooLong: ModelRequest = { ...request, messages: long };

    const response = await post({ messages: long, stream: true });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: Json };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(body.error)).toEqual(["code", "message", "type", "n_prompt_tokens", "n_ctx"]);
    const promptTokens = body.error.n_prompt_tokens as number;
    expect(body.error).toEqual({
      code: 400,
      message: `request (${promptTokens} tokens) exceeds the available context size (${CONTEXT} tokens), try increasing it`,
      type: "exceed_context_size_error",
      n_prompt_tokens: promptTokens,
      n_ctx: CONTEXT,
    });
    expect(promptTokens).toBeGreaterThan(CONTEXT);

    for (const call of [() => collect(adapter().stream(tooLong)), () => adapter().generate(tooLong)]) {
      const error = await failure(call());
      expect(error).toBeInstanceOf(ContextExceededError);
      expect(error).toMatchObject({
        code: "CONTEXT_EXCEEDED",
        statusCode: 400,
        isRetryable: false,
        promptTokens,
        contextSize: CONTEXT,
      });
      expect(error.message).toContain(`${promptTokens} tokens; the server's context holds ${CONTEXT}`);
    }
  });

  it("answers GET /slots (one slot of the -c context) and GET /metrics (Prometheus text)", async () => {
    const slots = (await (await fetch(`${root}/slots`)).json()) as Json[];
    expect(slots).toHaveLength(1);
    expect(slots[0]).toMatchObject({ id: 0, n_ctx: CONTEXT, is_processing: false });

    const scrape = async () => {
      const response = await fetch(`${root}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4");
      return response.text();
    };
    const before = await scrape();
    expect(before).toContain("# TYPE llamacpp:prompt_tokens_total counter");
    expect(before).toContain("# TYPE llamacpp:tokens_predicted_total counter");
    expect(before).toContain("# TYPE llamacpp:prompt_tokens_cached_total counter");
    expect(before).toContain("# TYPE llamacpp:requests_processing gauge");
    expect(metric(before, "llamacpp:tokens_predicted_total")).toBeGreaterThan(0);
    const result = await adapter(false).generate(request);
    const after = await scrape();
    const raw = result.timings?.raw as Timings;
    // The counters move by exactly what the call's timings say.
    expect(
      metric(after, "llamacpp:prompt_tokens_total") - metric(before, "llamacpp:prompt_tokens_total"),
    ).toBe(raw.prompt_n);
    expect(
      metric(after, "llamacpp:tokens_predicted_total") - metric(before, "llamacpp:tokens_predicted_total"),
    ).toBe(raw.predicted_n);
    expect(metric(after, "llamacpp:requests_processing")).toBe(0);
  });

  it("serves the API without /v1 too; an unknown path is a 404 not_found_error, HTTP_STATUS to the adapter", async () => {
    const bare = createOpenAICompatibleAdapter("memorizer", { baseURL: root });
    expect((await bare.generate({ ...request, maxOutputTokens: 2 })).text.length).toBeGreaterThan(0);

    const response = await fetch(`${root}/v1/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { message: "File Not Found", type: "not_found_error", code: 404 },
    });
    const doubled = createOpenAICompatibleAdapter("memorizer", { baseURL: `${server.baseURL}/v1` });
    expect(await failure(doubled.generate(request))).toMatchObject({ code: "HTTP_STATUS", statusCode: 404 });
  });

  it("the raw SSE: role chunk with content null, finish chunk, usage chunk with `choices: []` and timings, [DONE]", async () => {
    const response = await post({ stream: true, stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("server")).toBe("llama.cpp");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const data = sseData(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Json);
    const [role, ...rest] = chunks;
    const usageChunk = rest.at(-1) as Json;
    const finishChunk = rest.at(-2) as Json;
    const contentChunks = rest.slice(0, -2);

    // Every chunk: the same id, the server's model alias (not the requested name), the build as fingerprint.
    const id = role?.id as string;
    expect(id).toMatch(/^chatcmpl-[A-Za-z0-9]{32}$/);
    for (const chunk of chunks) {
      expect(Object.keys(chunk).slice(0, 6)).toEqual([
        "choices",
        "created",
        "id",
        "model",
        "system_fingerprint",
        "object",
      ]);
      expect(chunk).toMatchObject({
        id,
        model: props.model_alias,
        system_fingerprint: props.build_info,
        object: "chat.completion.chunk",
      });
      expect(Number.isInteger(chunk.created)).toBe(true);
    }
    expect(props.model_alias).toBe(props.model_path);

    expect(role?.choices).toEqual([
      { finish_reason: null, index: 0, delta: { role: "assistant", content: null } },
    ]);
    expect(role).not.toHaveProperty("usage");
    expect(role).not.toHaveProperty("timings");
    expect(contentChunks.length).toBeGreaterThan(10);
    for (const chunk of contentChunks) {
      expect(Object.keys(chunk)).toHaveLength(6);
      const choices = chunk.choices as Json[];
      expect(choices).toHaveLength(1);
      expect(Object.keys(choices[0] ?? {})).toEqual(["finish_reason", "index", "delta"]);
      expect(choices[0]).toMatchObject({ finish_reason: null, index: 0 });
      expect(Object.keys(choices[0]?.delta as Json)).toEqual(["content"]);
    }
    // The finish chunk has an empty delta and, when usage was asked for, neither usage nor timings.
    expect(finishChunk.choices).toEqual([{ finish_reason: "stop", index: 0, delta: {} }]);
    expect(Object.keys(finishChunk)).toHaveLength(6);
    // The usage chunk: `choices: []`, usage with prompt_tokens_details.cached_tokens, then timings.
    expect(usageChunk.choices).toEqual([]);
    expect(Object.keys(usageChunk).slice(6)).toEqual(["usage", "timings"]);
    const usage = usageChunk.usage as Json;
    expect(Object.keys(usage)).toEqual([
      "completion_tokens",
      "prompt_tokens",
      "total_tokens",
      "prompt_tokens_details",
    ]);
    const timings = usageChunk.timings as Timings;
    expect(Object.keys(timings)).toEqual(TIMING_FIELDS);
    expect(usage).toEqual({
      completion_tokens: timings.predicted_n,
      prompt_tokens: timings.prompt_n + timings.cache_n,
      total_tokens: timings.predicted_n + timings.prompt_n + timings.cache_n,
      prompt_tokens_details: { cached_tokens: timings.cache_n },
    });
    // One content chunk per generated token but the end-of-generation token, which has no text.
    expect(contentChunks.length).toBe(timings.predicted_n - 1);
  });

  it("without include_usage: no usage chunk, and the timings ride on the finish chunk", async () => {
    const response = await post({ stream: true, max_tokens: 3 });
    const data = sseData(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Json);
    expect(chunks.filter((c) => "usage" in c)).toEqual([]);
    const last = chunks.at(-1) as Json;
    expect(last.choices).toEqual([{ finish_reason: "length", index: 0, delta: {} }]);
    expect(Object.keys(last).slice(6)).toEqual(["timings"]);
    expect(Object.keys(last.timings as Json)).toEqual(TIMING_FIELDS);
    expect((last.timings as Timings).predicted_n).toBe(3);
    expect(chunks.slice(0, -1).filter((c) => "timings" in c)).toEqual([]);
  });

  it("the raw non-streamed completion: message, usage with cached_tokens, id after usage, timings last", async () => {
    const response = await post({ stream: false });
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = (await response.json()) as Json;
    expect(Object.keys(body)).toEqual([
      "choices",
      "created",
      "model",
      "system_fingerprint",
      "object",
      "usage",
      "id",
      "timings",
    ]);
    expect(body).toMatchObject({
      model: props.model_alias,
      system_fingerprint: props.build_info,
      object: "chat.completion",
    });
    const choices = body.choices as Json[];
    expect(choices).toHaveLength(1);
    expect(Object.keys(choices[0] ?? {})).toEqual(["finish_reason", "index", "message"]);
    expect(choices[0]).toMatchObject({ finish_reason: "stop", index: 0, message: { role: "assistant" } });
    expect(Object.keys(choices[0]?.message as Json)).toEqual(["role", "content"]);
    const timings = body.timings as Timings;
    expect(Object.keys(timings)).toEqual(TIMING_FIELDS);
    expect(body.usage).toEqual({
      completion_tokens: timings.predicted_n,
      prompt_tokens: timings.prompt_n + timings.cache_n,
      total_tokens: timings.predicted_n + timings.prompt_n + timings.cache_n,
      prompt_tokens_details: { cached_tokens: timings.cache_n },
    });
  });

  it("GET /v1/models: the model alias as id, owned_by llamacpp, meta with n_ctx and ftype", async () => {
    const body = (await (await fetch(`${server.baseURL}/models`)).json()) as Json;
    expect(Object.keys(body)).toEqual(["models", "object", "data"]);
    expect(body.object).toBe("list");
    const data = body.data as Json[];
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      id: props.model_alias,
      aliases: [props.model_alias],
      object: "model",
      owned_by: "llamacpp",
      meta: { n_ctx: CONTEXT, ftype: "Q8_0" },
    });
    expect(Object.keys((data[0]?.meta ?? {}) as Json)).toEqual([
      "vocab_type",
      "n_vocab",
      "n_ctx",
      "n_ctx_train",
      "n_embd",
      "n_params",
      "size",
      "ftype",
    ]);
  });
});

let conformanceServer: LlamaServer | undefined;
describeAdapterConformance("openai-compatible (llama.cpp's llama-server)", async () => {
  conformanceServer = await startLlamaServer({ model: quantized("Q8_0"), contextSize: CONTEXT });
  const { messages } = await task();
  return {
    adapter: createOpenAICompatibleAdapter("memorizer", { baseURL: conformanceServer.baseURL }),
    trueStreaming: true,
    reportsUsage: true,
    request: { messages, temperature: 0, seed: 42 },
    close: async () => conformanceServer?.stop(),
  };
});
