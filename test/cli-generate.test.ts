/**
 * `orket generate` end to end: the built CLI in a real process against a local server speaking the
 * Ollama and OpenAI wire formats, including the failure cases, each of which must end in one line with
 * a stable code, a non-zero exit, and the telemetry record still written.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallTelemetrySchema } from "../src/spec/telemetry.js";
import { runCli } from "./support/run-cli.js";
import { ndjson, refusedUrl, sse, startWireServer, type WireServer } from "./support/wire-server.js";

const MODEL = "qwen2.5-coder:7b";
const ollamaDelta = (content: string) => ({
  model: MODEL,
  created_at: "2025-03-04T09:12:41.118624Z",
  message: { role: "assistant", content },
  done: false,
});
const ollamaDone = {
  model: MODEL,
  created_at: "2025-03-04T09:12:42.030969Z",
  message: { role: "assistant", content: "" },
  done_reason: "stop",
  done: true,
  total_duration: 912_345_678,
  load_duration: 18_234_567,
  prompt_eval_count: 31,
  prompt_eval_duration: 84_567_000,
  eval_count: 3,
  eval_duration: 60_000_000,
};
const ollamaStream = {
  headers: { "content-type": "application/x-ndjson" },
  chunks: ndjson([ollamaDelta("def"), ollamaDelta(" f"), ollamaDelta("():"), ollamaDone], 4),
};

describe("orket generate", () => {
  let server: WireServer;
  let dir: string;
  const env = () => ({ ORKET_HOME: join(dir, ".orket") });

  beforeAll(async () => {
    server = await startWireServer();
    dir = mkdtempSync(join(tmpdir(), "orket-cli-"));
  });
  afterAll(async () => {
    await server.close();
  });

  it("streams text to stdout and the record to stderr, and logs the call", async () => {
    server.route("POST /api/chat", ollamaStream);
    const run = await runCli(
      ["generate", "-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl, "write f"],
      { env: env() },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("def f():\n");
    expect(run.stderr).toMatch(/init_latency\s+0\.\d{3} s/);
    expect(run.stderr).toMatch(/token status\s+OK \(engine timings: ollama\)/);
    expect(run.stderr).toMatch(/generation tok\/s\s+50\.000/);
    const log = readFileSync(join(dir, ".orket", "telemetry", "calls.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(CallTelemetrySchema.parse(JSON.parse(log.at(-1) ?? "")).model_ref).toBe(`ollama/${MODEL}`);
  });

  it("prints one JSON record with --json, with every setting on the wire", async () => {
    server.route("POST /api/chat", ollamaStream);
    const run = await runCli(
      [
        "generate",
        "--json",
        "-m",
        `ollama/${MODEL}`,
        "--ollama-host",
        server.baseUrl,
        "--seed",
        "7",
        "--temperature",
        "0",
        "--max-tokens",
        "64",
        "--ctx-size",
        "4096",
        "--stop",
        "###",
        "--system",
        "be brief",
        "write f",
      ],
      { env: env() },
    );
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.text).toBe("def f():");
    const t = CallTelemetrySchema.parse(out.telemetry);
    expect(t.init_latency).not.toBeNull();
    expect(t.token_metrics.counts).toEqual({
      prompt_tokens: 31,
      output_tokens: 3,
      total_tokens: 34,
      decode_tokens: 3,
    });
    expect(t.peak_memory_rss).toBeNull();
    expect(t.null_reasons.peak_memory_rss).toMatch(/--server-pid/);
    const body = server.requests.at(-1)?.body as { options: Record<string, unknown>; messages: unknown[] };
    expect(body.options).toMatchObject({
      seed: 7,
      temperature: 0,
      num_predict: 64,
      num_ctx: 4096,
      stop: ["###"],
    });
    expect(body.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "write f" },
    ]);
  });

  it("leaves init_latency null with --no-stream", async () => {
    server.route("POST /api/chat", {
      chunks: [{ data: JSON.stringify({ ...ollamaDone, message: { role: "assistant", content: "x = 1" } }) }],
    });
    const run = await runCli(
      ["generate", "--json", "--no-stream", "-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl, "hi"],
      { env: env() },
    );
    expect(run.code).toBe(0);
    const t = JSON.parse(run.stdout).telemetry;
    expect(t.streaming).toBe(false);
    expect(t.init_latency).toBeNull();
    expect(t.null_reasons.init_latency).toMatch(/not streamed/);
  });

  it("talks to an OpenAI-compatible server and keeps llama.cpp's timings", async () => {
    const chunk = (content: string | null, finish: string | null = null, extra: object = {}) => ({
      id: "chatcmpl-x",
      object: "chat.completion.chunk",
      created: 1741079561,
      model: "qwen2.5-coder-7b-instruct-q4_k_m.gguf",
      choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
      ...extra,
    });
    server.route("POST /v1/chat/completions", {
      headers: { "content-type": "text/event-stream" },
      chunks: sse([
        chunk("print"),
        chunk("(1)"),
        chunk(null, "stop", {
          usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
          timings: { prompt_n: 12, prompt_ms: 24.0, predicted_n: 2, predicted_ms: 40.0, cache_n: 0 },
        }),
        "[DONE]",
      ]),
    });
    const run = await runCli(
      ["generate", "--json", "-m", "openai/qwen", "--base-url", `${server.baseUrl}/v1`, "hi"],
      { env: env() },
    );
    expect(run.code).toBe(0);
    const t = JSON.parse(run.stdout).telemetry;
    expect(t.token_metrics).toMatchObject({ status: "OK", timing_source: "llama.cpp" });
    // predicted_n 2 in 40 ms: one decode step after the first token (llama.cpp's predicted_per_second).
    expect(t.token_metrics.throughput).toEqual({
      prompt_tokens_per_second: 500,
      generation_tokens_per_second: 25,
    });
    const body = server.requests.at(-1)?.body as Record<string, unknown>;
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  it("retries a 500 and then succeeds, counting the retry", async () => {
    server.route("POST /api/chat", [
      { status: 500, chunks: [{ data: '{"error":"llama runner process has terminated"}' }] },
      ollamaStream,
    ]);
    const run = await runCli(
      ["generate", "--json", "-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl, "hi"],
      { env: env() },
    );
    expect(run.code).toBe(0);
    const t = JSON.parse(run.stdout).telemetry;
    expect(t.retries).toBe(1);
    expect(t.attempts[0].error_code).toBe("HTTP_STATUS");
  });

  const failures: Array<[string, () => Promise<string[]>, RegExp]> = [
    [
      "model not found",
      async () => {
        server.route("POST /api/chat", {
          status: 404,
          chunks: [{ data: '{"error":"model \\"nope:1b\\" not found, try pulling it first"}' }],
        });
        return ["-m", "ollama/nope:1b", "--ollama-host", server.baseUrl];
      },
      /^orket: MODEL_NOT_FOUND: .*nope:1b/m,
    ],
    [
      "connection refused",
      async () => ["-m", `ollama/${MODEL}`, "--ollama-host", await refusedUrl(), "--retries", "0"],
      /^orket: CONNECTION_REFUSED: /m,
    ],
    [
      "invalid JSON line",
      async () => {
        server.route("POST /api/chat", {
          chunks: [{ data: `${JSON.stringify(ollamaDelta("a"))}\n{"model": nope\n` }],
        });
        return ["-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl];
      },
      /^orket: MALFORMED_STREAM: /m,
    ],
    [
      "an error after HTTP 200",
      async () => {
        server.route("POST /api/chat", {
          chunks: ndjson([
            ollamaDelta("a"),
            { error: "an error was encountered while running the model: unexpected EOF" },
          ]),
        });
        return ["-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl];
      },
      /^orket: SERVER_ERROR: .*unexpected EOF/m,
    ],
    [
      "a truncated stream",
      async () => {
        server.route("POST /api/chat", {
          chunks: ndjson([ollamaDelta("a"), ollamaDelta("b")]),
          destroy: true,
        });
        return ["-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl];
      },
      /^orket: MALFORMED_STREAM: /m,
    ],
    [
      "a slow first byte past the timeout",
      async () => {
        server.route("POST /api/chat", {
          headerDelayMs: 1500,
          chunks: ndjson([ollamaDelta("a"), ollamaDone]),
        });
        return ["-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl, "--timeout", "200"];
      },
      /^orket: TIMEOUT: no complete answer within 200 ms/m,
    ],
    [
      "429 on every attempt",
      async () => {
        server.route("POST /api/chat", { status: 429, chunks: [{ data: '{"error":"server busy"}' }] });
        return ["-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl, "--retries", "1"];
      },
      /^orket: HTTP_STATUS: HTTP 429/m,
    ],
  ];

  for (const [name, setup, line] of failures) {
    it(`fails with one line, exit 1 and a written record on ${name}`, async () => {
      const args = await setup();
      const out = join(dir, `${name.replace(/\W+/g, "-")}.json`);
      const run = await runCli(["generate", ...args, "--telemetry-out", out, "hi"], { env: env() });
      expect(run.code).toBe(1);
      const errorLines = run.stderr
        .split("\n")
        .filter((l) => l.startsWith("orket: ") && !l.startsWith("orket: model:"));
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toMatch(line);
      const record = CallTelemetrySchema.parse(JSON.parse(readFileSync(out, "utf8")));
      expect(record.outcome).toBe("error");
      const code = /^orket: ([A-Z_]+): /.exec(errorLines[0] ?? "")?.[1];
      expect(code, errorLines[0]).toMatch(/^[A-Z_]+$/);
      expect(record.error?.code).toBe(code);
      expect(record.total_latency).toBeGreaterThanOrEqual(0);
    });
  }

  it("records a cassette and replays it with the same text", async () => {
    server.route("POST /api/chat", ollamaStream);
    const cassette = join(dir, "calls.jsonl");
    const rec = await runCli(
      ["generate", "-m", `ollama/${MODEL}`, "--ollama-host", server.baseUrl, "--record", cassette, "write f"],
      { env: env() },
    );
    expect(rec.code).toBe(0);
    const play = await runCli(["generate", "--json", "-m", `replay/${cassette}`, "write f"], { env: env() });
    expect(play.code).toBe(0);
    const out = JSON.parse(play.stdout);
    expect(out.text).toBe("def f():");
    expect(out.telemetry.token_metrics.counts.output_tokens).toBe(3);
    expect(out.telemetry.init_latency).toBeGreaterThan(0);
    const miss = await runCli(["generate", "-m", `replay/${cassette}`, "another prompt"], { env: env() });
    expect(miss.code).toBe(1);
    expect(miss.stderr).toMatch(/^orket: CASSETTE_MISS: /m);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ["an unknown provider", ["-m", "hf/qwen", "hi"], /BAD_MODEL_REF: .*provider one of/],
    ["a bad --seed", ["--seed", "abc", "hi"], /--seed takes a whole number/],
    ["a bad --temperature", ["--temperature", "9", "hi"], /--temperature takes a number from 0 to 5/],
    ["no prompt", [], /generate needs a prompt/],
    ["openai without a base URL", ["-m", "openai/x", "hi"], /BAD_PROVIDER_SETTINGS: .*--base-url/],
    ["a missing gguf file", ["-m", "gguf/./missing.gguf", "hi"], /MODEL_LOAD_FAILED: .*missing\.gguf/],
    ["a missing cassette", ["-m", "replay/./missing.jsonl", "hi"], /MODEL_LOAD_FAILED: .*missing\.jsonl/],
  ];
  for (const [name, args, message] of usage) {
    it(`rejects ${name} with exit 2 and one line`, async () => {
      const run = await runCli(["generate", ...args], { env: env() });
      expect(run.code).toBe(2);
      const errorLines = run.stderr.split("\n").filter((l) => /^(orket: [A-Z_]+: |error: )/.test(l));
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toMatch(message);
    });
  }
});
