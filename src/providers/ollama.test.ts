import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, describeAdapterConformance } from "../../test/support/conformance.js";
import {
  ndjson,
  refusedUrl,
  type ScriptedResponse,
  startWireServer,
  type WireServer,
} from "../../test/support/wire-server.js";
import type { ModelRequest, StreamPart } from "../spec/model.js";
import { createOllamaAdapter, listOllamaModels } from "./ollama.js";

// Fixtures follow Ollama's /api/chat and /api/tags as documented in docs/api.md and as a 0.5-era server
// sends them: one JSON object per line, durations in nanoseconds, `prompt_eval_count` left out when the
// whole prompt was served from the cache.
const MODEL = "qwen2.5-coder:7b";
const TOKENS = ["def", " add", "(a", ",", " b", "):\n", "   ", " return", " a", " +", " b"];
const ANSWER = TOKENS.join("");

function delta(content: string, index: number) {
  const micros = String(118_624 + index * 72_311).padStart(6, "0");
  return {
    model: MODEL,
    created_at: `2025-03-04T09:12:41.${micros}Z`,
    message: { role: "assistant", content },
    done: false,
  };
}

const METRICS = {
  total_duration: 912_345_678,
  load_duration: 18_234_567,
  prompt_eval_count: 31,
  prompt_eval_duration: 84_567_000,
  eval_count: 11,
  eval_duration: 801_234_000,
};

function final(overrides: Record<string, unknown> = {}, content = "") {
  return {
    model: MODEL,
    created_at: "2025-03-04T09:12:42.030969Z",
    message: { role: "assistant", content },
    done_reason: "stop",
    done: true,
    ...METRICS,
    ...overrides,
  };
}

const streamed = (last: unknown = final()): ScriptedResponse => ({
  chunks: ndjson([...TOKENS.map(delta), last], 3),
});
const whole = (body: unknown): ScriptedResponse => ({ chunks: [{ delayMs: 3, data: JSON.stringify(body) }] });

const REQUEST: ModelRequest = {
  messages: [
    { role: "system", content: "You write Python. Answer with code only." },
    { role: "user", content: "Write add(a, b)." },
  ],
};

function isStreaming(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true;
}

describeAdapterConformance("ollama", async () => {
  const server = await startWireServer();
  server.route("POST /api/chat", (req) => (isStreaming(req.body) ? streamed() : whole(final({}, ANSWER))));
  return {
    adapter: createOllamaAdapter(MODEL, { host: server.baseUrl }),
    trueStreaming: true,
    reportsUsage: true,
    request: REQUEST,
    close: () => server.close(),
  };
});

describe("ollama adapter", () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startWireServer();
  });
  afterAll(() => server.close());

  const adapter = () => createOllamaAdapter(MODEL, { host: server.baseUrl });
  const lastRequest = () => server.requests.at(-1);
  const errorOf = (parts: StreamPart[]) => {
    const last = parts.at(-1);
    return last?.type === "error" ? last.error : undefined;
  };

  it("declares where inference runs", () => {
    const plain = adapter();
    expect(plain.ref).toBe("ollama/qwen2.5-coder:7b");
    expect(plain.capabilities).toEqual({
      trueStreaming: true,
      inferenceProcess: { kind: "unknown", reason: expect.stringContaining("--server-pid") },
    });
    const withPid = createOllamaAdapter(MODEL, { host: server.baseUrl, serverPid: 4242 });
    expect(withPid.capabilities.inferenceProcess).toEqual({ kind: "pid", pid: 4242 });
  });

  it("sends every set call setting, keep_alive and the headers", async () => {
    server.route("POST /api/chat", whole(final({}, ANSWER)));
    const configured = createOllamaAdapter(MODEL, {
      host: `${server.baseUrl}/`,
      keepAlive: "10m",
      headers: { authorization: "Bearer local" },
    });
    await configured.generate({
      ...REQUEST,
      temperature: 0.2,
      topP: 0.9,
      seed: 42,
      maxOutputTokens: 256,
      stop: ["```\n\n"],
      contextSize: 8192,
    });
    expect(lastRequest()?.url).toBe("/api/chat");
    expect(lastRequest()?.headers.authorization).toBe("Bearer local");
    expect(lastRequest()?.body).toEqual({
      model: MODEL,
      messages: REQUEST.messages,
      stream: false,
      options: { temperature: 0.2, top_p: 0.9, seed: 42, num_predict: 256, stop: ["```\n\n"], num_ctx: 8192 },
      keep_alive: "10m",
    });
  });

  it("leaves out unset settings but keeps zero values", async () => {
    server.route("POST /api/chat", streamed());
    await collect(adapter().stream(REQUEST));
    expect(lastRequest()?.body).toEqual({ model: MODEL, messages: REQUEST.messages, stream: true });
    await collect(adapter().stream({ ...REQUEST, temperature: 0, seed: 0 }));
    expect(lastRequest()?.body).toMatchObject({ options: { temperature: 0, seed: 0 } });
  });

  it("streams text deltas, then one finish with usage and ns durations in seconds", async () => {
    server.route("POST /api/chat", streamed());
    const parts = await collect(adapter().stream(REQUEST));
    expect(parts.slice(0, -1)).toEqual(TOKENS.map((text) => ({ type: "text-delta", text })));
    const finish = parts.at(-1);
    expect(finish).toMatchObject({
      type: "finish",
      finishReason: { unified: "stop", raw: "stop" },
      usage: { promptTokens: 31, outputTokens: 11 },
      responseModel: MODEL,
      timings: { source: "ollama", raw: METRICS },
    });
    if (finish?.type !== "finish") throw new Error("no finish part");
    expect(finish.timings?.loadSeconds).toBeCloseTo(0.018234567, 9);
    expect(finish.timings?.prefillSeconds).toBeCloseTo(0.084567, 9);
    expect(finish.timings?.decodeSeconds).toBeCloseTo(0.801234, 9);
  });

  it("generate maps the single answer the same way", async () => {
    server.route("POST /api/chat", whole(final({}, ANSWER)));
    const result = await adapter().generate(REQUEST);
    expect(result).toMatchObject({
      text: ANSWER,
      finishReason: { unified: "stop", raw: "stop" },
      usage: { promptTokens: 31, outputTokens: 11 },
      timings: { source: "ollama", raw: METRICS },
      responseModel: MODEL,
    });
    expect(result.timings?.decodeSeconds).toBeCloseTo(0.801234, 9);
  });

  it("keeps promptTokens undefined when Ollama omits prompt_eval_count (prompt fully cached)", async () => {
    const cached = { prompt_eval_count: undefined, prompt_eval_duration: undefined };
    server.route("POST /api/chat", streamed(final(cached)));
    const finish = (await collect(adapter().stream(REQUEST))).at(-1);
    if (finish?.type !== "finish") throw new Error("no finish part");
    expect(finish.usage).toEqual({ promptTokens: undefined, outputTokens: 11 });
    expect(finish.timings?.prefillSeconds).toBeUndefined();
    expect(finish.timings?.raw).not.toHaveProperty("prompt_eval_count");

    server.route("POST /api/chat", whole(final(cached, ANSWER)));
    expect((await adapter().generate(REQUEST)).usage.promptTokens).toBeUndefined();
  });

  it.each([
    ["stop", "stop"],
    ["length", "length"],
    ["load", "other"],
    [undefined, "unknown"],
  ])("maps done_reason %s to %s", async (raw, unified) => {
    server.route("POST /api/chat", whole(final({ done_reason: raw }, ANSWER)));
    expect((await adapter().generate(REQUEST)).finishReason).toEqual({ unified, raw });
  });

  it("ends the stream with MALFORMED_STREAM on a line that is not JSON", async () => {
    server.route("POST /api/chat", {
      chunks: [
        ...ndjson([delta("def", 0)], 3),
        { delayMs: 3, data: '{"model":"qwen2.5-coder:7b","created_at":"2025-03-04T09:1\n' },
        ...ndjson([final()], 3),
      ],
    });
    const parts = await collect(adapter().stream(REQUEST));
    expect(parts.map((p) => p.type)).toEqual(["text-delta", "error"]);
    expect(errorOf(parts)).toMatchObject({
      code: "MALFORMED_STREAM",
      message: expect.stringContaining("not JSON"),
    });
  });

  it("ends the stream with MALFORMED_STREAM on a chunk of the wrong shape", async () => {
    server.route("POST /api/chat", streamed(final({ eval_count: "11" })));
    const parts = await collect(adapter().stream(REQUEST));
    expect(parts.filter((p) => p.type === "finish")).toEqual([]);
    expect(errorOf(parts)).toMatchObject({
      code: "MALFORMED_STREAM",
      message: expect.stringContaining("eval_count"),
    });
  });

  it("turns an error line after HTTP 200 into a SERVER_ERROR part", async () => {
    const failure = { error: "an error was encountered while running the model: unexpected EOF" };
    server.route("POST /api/chat", { chunks: ndjson([delta("def", 0), delta(" add", 1), failure], 3) });
    const parts = await collect(adapter().stream(REQUEST));
    expect(parts.map((p) => p.type)).toEqual(["text-delta", "text-delta", "error"]);
    expect(errorOf(parts)).toMatchObject({
      code: "SERVER_ERROR",
      message: expect.stringContaining("unexpected EOF"),
    });
  });

  it("reports a truncated stream as retryable MALFORMED_STREAM", async () => {
    // The pause before the cut lets both lines arrive first: a web stream that errors drops what it queued.
    const cut = [...ndjson([delta("def", 0), delta(" add", 1)], 3), { delayMs: 20, data: "" }];
    const cases = [
      { script: { chunks: cut, destroy: true }, detail: "connection closed" },
      { script: { chunks: cut }, detail: "without a final `done: true`" },
    ];
    for (const { script, detail } of cases) {
      server.route("POST /api/chat", script);
      const parts = await collect(adapter().stream(REQUEST));
      expect(parts.map((p) => p.type)).toEqual(["text-delta", "text-delta", "error"]);
      expect(errorOf(parts)).toMatchObject({
        code: "MALFORMED_STREAM",
        isRetryable: true,
        message: expect.stringContaining(detail),
      });
    }
  });

  it("throws MODEL_NOT_FOUND with the pull command, from generate and before the first stream part", async () => {
    const missing = "llama3.3:70b";
    server.route("POST /api/chat", {
      status: 404,
      chunks: [{ data: JSON.stringify({ error: `model "${missing}" not found, try pulling it first` }) }],
    });
    const notPulled = createOllamaAdapter(missing, { host: server.baseUrl });
    const expected = {
      code: "MODEL_NOT_FOUND",
      statusCode: 404,
      isRetryable: false,
      message: expect.stringContaining(`ollama pull ${missing}`),
    };
    await expect(notPulled.generate(REQUEST)).rejects.toMatchObject(expected);
    const parts: StreamPart[] = [];
    const consume = async () => {
      for await (const part of notPulled.stream(REQUEST)) parts.push(part);
    };
    await expect(consume()).rejects.toMatchObject(expected);
    expect(parts).toEqual([]);
  });

  it("keeps a 404 that is not Ollama's model-not-found as HTTP_STATUS", async () => {
    server.route("POST /api/chat", { status: 404, headers: {}, chunks: [{ data: "404 page not found" }] });
    await expect(adapter().generate(REQUEST)).rejects.toMatchObject({ code: "HTTP_STATUS", statusCode: 404 });
  });

  it.each([429, 500, 503])("throws retryable HTTP_STATUS on %i and does not retry itself", async (status) => {
    const body = JSON.stringify({ error: "llama runner process has terminated: signal: killed" });
    server.route("POST /api/chat", { status, chunks: [{ data: body }] });
    const before = server.requests.length;
    const expected = { code: "HTTP_STATUS", statusCode: status, isRetryable: true, responseBody: body };
    await expect(adapter().generate(REQUEST)).rejects.toMatchObject(expected);
    await expect(collect(adapter().stream(REQUEST))).rejects.toMatchObject(expected);
    expect(server.requests.length - before).toBe(2);
  });

  it("throws CONNECTION_REFUSED when nothing listens", async () => {
    const refused = createOllamaAdapter(MODEL, { host: await refusedUrl() });
    await expect(refused.generate(REQUEST)).rejects.toMatchObject({
      code: "CONNECTION_REFUSED",
      isRetryable: true,
    });
    await expect(collect(refused.stream(REQUEST))).rejects.toMatchObject({ code: "CONNECTION_REFUSED" });
    await expect(listOllamaModels({ host: await refusedUrl() })).rejects.toMatchObject({
      code: "CONNECTION_REFUSED",
    });
  });

  it("ends a stream aborted in the middle with an ABORTED part, promptly", async () => {
    server.route("POST /api/chat", {
      chunks: [...ndjson([delta("def", 0), delta(" add", 1)], 3), { delayMs: 1_000, data: "" }],
    });
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    const started = performance.now();
    for await (const part of adapter().stream({ ...REQUEST, signal: controller.signal })) {
      parts.push(part);
      if (part.type === "text-delta") controller.abort();
    }
    expect(performance.now() - started).toBeLessThan(500);
    expect(parts.map((p) => p.type)).toEqual(["text-delta", "error"]);
    expect(errorOf(parts)).toMatchObject({ code: "ABORTED" });
  });

  it("rejects a non-streaming answer that is not JSON, has the wrong shape, or reports an error", async () => {
    server.route("POST /api/chat", { chunks: [{ data: "<html>Bad Gateway</html>" }] });
    await expect(adapter().generate(REQUEST)).rejects.toMatchObject({ code: "MALFORMED_STREAM" });
    server.route("POST /api/chat", whole({ model: MODEL, message: { role: "assistant", content: ANSWER } }));
    await expect(adapter().generate(REQUEST)).rejects.toMatchObject({
      code: "MALFORMED_STREAM",
      message: expect.stringContaining("done"),
    });
    server.route("POST /api/chat", whole({ error: "unexpected server status: llm server loading model" }));
    await expect(adapter().generate(REQUEST)).rejects.toMatchObject({ code: "SERVER_ERROR" });
  });
});

describe("listOllamaModels", () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startWireServer();
  });
  afterAll(() => server.close());

  const TAGS = {
    models: [
      {
        name: "qwen2.5-coder:7b",
        model: "qwen2.5-coder:7b",
        modified_at: "2025-02-27T14:03:18.917219412+01:00",
        size: 4_683_087_332,
        digest: "2b0496514337a3d5901f1d253d01726c890b721e891335a56d6e08cedf3e2cb0",
        details: {
          parent_model: "",
          format: "gguf",
          family: "qwen2",
          families: ["qwen2"],
          parameter_size: "7.6B",
          quantization_level: "Q4_K_M",
        },
      },
      {
        name: "codellama:13b",
        modified_at: "2024-01-09T20:41:02.151427+01:00",
        size: 7_365_960_935,
        digest: "9f438cb9cd581fc025612d27f7c1a6669ff83a8bb0ed86c94fcf4c5440555697",
        details: {
          format: "gguf",
          family: "llama",
          families: null,
          parameter_size: "13B",
          quantization_level: "Q4_0",
        },
      },
    ],
  };

  it("parses /api/tags and ignores unknown fields", async () => {
    server.route("GET /api/tags", whole(TAGS));
    const models = await listOllamaModels({ host: server.baseUrl });
    expect(models).toEqual([
      {
        name: "qwen2.5-coder:7b",
        model: "qwen2.5-coder:7b",
        size: 4_683_087_332,
        modified_at: "2025-02-27T14:03:18.917219412+01:00",
        digest: "2b0496514337a3d5901f1d253d01726c890b721e891335a56d6e08cedf3e2cb0",
        details: { family: "qwen2", parameter_size: "7.6B", quantization_level: "Q4_K_M", format: "gguf" },
      },
      expect.objectContaining({ name: "codellama:13b", model: "codellama:13b", size: 7_365_960_935 }),
    ]);
    expect(lastMethod(server)).toBe("GET");
  });

  it("rejects a malformed answer with an error naming the field", async () => {
    const broken = { models: [{ ...TAGS.models[0], size: "4.7 GB" }] };
    server.route("GET /api/tags", whole(broken));
    await expect(listOllamaModels({ host: server.baseUrl })).rejects.toMatchObject({
      code: "MALFORMED_STREAM",
      message: expect.stringMatching(/\/api\/tags .*models\.0\.size/),
    });
    server.route("GET /api/tags", whole({ version: "0.5.7" }));
    await expect(listOllamaModels({ host: server.baseUrl })).rejects.toThrow(/models/);
  });
});

function lastMethod(server: WireServer): string | undefined {
  return server.requests.at(-1)?.method;
}

describe("ollama native tool calls", () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startWireServer();
  });
  afterAll(() => server.close());

  const adapter = () => createOllamaAdapter(MODEL, { host: server.baseUrl });
  const TOOLS = [
    {
      name: "write_file",
      description: "Write a file in the workspace, replacing it if it exists.",
      parameters: {
        type: "object",
        properties: { path: { type: "string" }, content: { type: "string" } },
        required: ["path", "content"],
      },
    },
    {
      name: "run_tests",
      description: "Run the test suite.",
      parameters: { type: "object", properties: {} },
    },
  ];
  const WRITE_ARGS = {
    path: "add.py",
    content: 'def add(a, b):\n    """Sum {a} and {b}."""\n    return a + b\n',
  };

  // As a 0.12-era server streams a tool call: the calls whole, in one object with empty content (with an
  // `id` and `function.index` in later releases), then the final object, whose done_reason stays "stop".
  function toolCallMessage(calls: unknown[], content = "") {
    return {
      model: MODEL,
      created_at: "2025-10-02T08:41:17.402154Z",
      message: { role: "assistant", content, tool_calls: calls },
      done: false,
    };
  }
  const writeCall = {
    id: "call_k2jd7x1o",
    function: { index: 0, name: "write_file", arguments: WRITE_ARGS },
  };
  const testsCall = { function: { index: 1, name: "run_tests", arguments: {} } };

  it("sends the offered tools in Ollama's function format, and no tools key without them", async () => {
    server.route("POST /api/chat", whole(final({}, ANSWER)));
    await adapter().generate({ ...REQUEST, tools: TOOLS });
    expect(lastRequestBody()).toMatchObject({
      tools: [
        { type: "function", function: TOOLS[0] },
        { type: "function", function: TOOLS[1] },
      ],
    });
    await adapter().generate(REQUEST);
    expect(lastRequestBody()).not.toHaveProperty("tools");
    await adapter().generate({ ...REQUEST, tools: [] });
    expect(lastRequestBody()).not.toHaveProperty("tools");
  });

  it("streams tool calls as tool-call parts with JSON-text arguments, before the finish", async () => {
    server.route("POST /api/chat", {
      chunks: ndjson([delta("I'll write it.", 0), toolCallMessage([writeCall, testsCall]), final()], 3),
    });
    const parts = await collect(adapter().stream({ ...REQUEST, tools: TOOLS }));
    expect(parts.map((p) => p.type)).toEqual(["text-delta", "tool-call", "tool-call", "finish"]);
    expect(parts[1]).toEqual({
      type: "tool-call",
      toolCallId: "call_k2jd7x1o",
      toolName: "write_file",
      arguments: JSON.stringify(WRITE_ARGS),
    });
    expect(parts[2]).toEqual({
      type: "tool-call",
      toolCallId: undefined,
      toolName: "run_tests",
      arguments: "{}",
    });
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: { unified: "stop", raw: "stop" } });
  });

  it("generate returns the calls in toolCalls, and leaves toolCalls out when there are none", async () => {
    const answer = { ...final(), message: { role: "assistant", content: "", tool_calls: [writeCall] } };
    server.route("POST /api/chat", whole(answer));
    const result = await adapter().generate({ ...REQUEST, tools: TOOLS });
    expect(result.text).toBe("");
    expect(result.toolCalls).toEqual([
      {
        type: "tool-call",
        toolCallId: "call_k2jd7x1o",
        toolName: "write_file",
        arguments: JSON.stringify(WRITE_ARGS),
      },
    ]);
    expect(result.finishReason).toEqual({ unified: "stop", raw: "stop" });

    server.route("POST /api/chat", whole(final({}, ANSWER)));
    expect(await adapter().generate(REQUEST)).not.toHaveProperty("toolCalls");
  });

  it("passes odd arguments on as JSON text for the tool parser to judge, and null as {}", async () => {
    const odd = [
      { function: { name: "run_tests", arguments: null } },
      { function: { name: "write_file", arguments: ["add.py"] } },
    ];
    server.route(
      "POST /api/chat",
      whole({ ...final(), message: { role: "assistant", content: "", tool_calls: odd } }),
    );
    const result = await adapter().generate(REQUEST);
    expect(result.toolCalls?.map((call) => call.arguments)).toEqual(["{}", '["add.py"]']);
  });

  it("ends the stream with MALFORMED_STREAM when a tool call has no function name", async () => {
    server.route("POST /api/chat", {
      chunks: ndjson([toolCallMessage([{ function: { arguments: {} } }])], 3),
    });
    const parts = await collect(adapter().stream(REQUEST));
    expect(parts.map((p) => p.type)).toEqual(["error"]);
    expect(parts[0]).toMatchObject({
      error: { code: "MALFORMED_STREAM", message: expect.stringContaining("name") },
    });
  });

  function lastRequestBody(): unknown {
    return server.requests.at(-1)?.body;
  }
});
