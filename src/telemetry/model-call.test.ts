import { describe, expect, it } from "vitest";
import { HttpStatusError, ModelCallError, ServerReportedError } from "../spec/errors.js";
import type { Clock, GenerateResult, ModelAdapter, ModelRequest, StreamPart } from "../spec/model.js";
import { CallTelemetrySchema } from "../spec/telemetry.js";
import { callModel } from "./model-call.js";

/** A manual clock: each read advances by `step` ms, so latencies are exact. */
function steppingClock(step: number): Clock {
  let t = 1000;
  return { now: () => (t += step) };
}

type Script = Array<StreamPart | { throw: ModelCallError } | { wait: number }>;

/** An adapter that plays scripts, one per attempt: a test double of the contract, not of Orket code. */
function scriptedAdapter(scripts: Script[], trueStreaming = true): ModelAdapter & { calls: ModelRequest[] } {
  const calls: ModelRequest[] = [];
  const next = () => scripts[Math.min(calls.length - 1, scripts.length - 1)] ?? [];
  const adapter = {
    ref: "ollama/test-model",
    provider: "ollama" as const,
    modelId: "test-model",
    capabilities: { trueStreaming, inferenceProcess: { kind: "self" as const } },
    calls,
    async *stream(request: ModelRequest): AsyncGenerator<StreamPart> {
      calls.push(request);
      for (const step of next()) {
        if ("throw" in step) throw step.throw;
        if ("wait" in step) {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, step.wait);
            request.signal?.addEventListener("abort", () => {
              clearTimeout(timer);
              reject(new ModelCallError("ABORTED", "aborted"));
            });
          });
          continue;
        }
        yield step;
      }
    },
    async generate(request: ModelRequest): Promise<GenerateResult> {
      let text = "";
      for await (const part of adapter.stream(request)) {
        if (part.type === "text-delta") text += part.text;
        if (part.type === "error") throw part.error;
        if (part.type === "finish")
          return { text, finishReason: part.finishReason, usage: part.usage, timings: part.timings };
      }
      throw new Error("no finish");
    },
  };
  return adapter;
}

const finish: StreamPart = {
  type: "finish",
  finishReason: { unified: "stop", raw: "stop" },
  usage: { promptTokens: 12, outputTokens: 3 },
  timings: { source: "ollama", loadSeconds: 0.5, prefillSeconds: 0.1, decodeSeconds: 0.3 },
};
const request: ModelRequest = { messages: [{ role: "user", content: "hi" }] };
const noSleep = async () => undefined;

describe("callModel", () => {
  it("measures init_latency at the first content token on the client clock", async () => {
    const adapter = scriptedAdapter([
      [
        { type: "text-delta", text: "" },
        { type: "text-delta", text: "a" },
        { type: "text-delta", text: "b" },
        finish,
      ],
    ]);
    const result = await callModel(adapter, request, { clock: steppingClock(10), measureMemory: false });
    expect(result.ok).toBe(true);
    const t = result.telemetry;
    expect(CallTelemetrySchema.parse(t)).toBeTruthy();
    // clock reads: state start, attempt start, token a, token b, ... each +10 ms
    expect(t.init_latency).toBe(0.02);
    expect(t.client_timings.text_deltas).toBe(2);
    expect(t.token_metrics.status).toBe("OK");
    expect(t.token_metrics.throughput.generation_tokens_per_second).toBe(10);
    expect(t.token_metrics.latencies.load_seconds).toBe(0.5);
    expect(t.outcome).toBe("ok");
    expect(t.retries).toBe(0);
  });

  it("leaves init_latency null with a reason when the call is not streamed or the adapter cannot stream", async () => {
    const script: Script[] = [[{ type: "text-delta", text: "x" }, finish]];
    const noStream = await callModel(scriptedAdapter(script), request, {
      stream: false,
      measureMemory: false,
    });
    expect(noStream.telemetry.init_latency).toBeNull();
    expect(noStream.telemetry.null_reasons.init_latency).toMatch(/not streamed/);
    const fake = await callModel(scriptedAdapter(script, false), request, { measureMemory: false });
    expect(fake.telemetry.init_latency).toBeNull();
    expect(fake.telemetry.null_reasons.init_latency).toMatch(/does not truly stream/);
  });

  it("retries a retryable error with backoff and records every attempt", async () => {
    const delays: number[] = [];
    const adapter = scriptedAdapter([
      [{ throw: new HttpStatusError(429, "http://x") }],
      [{ throw: new HttpStatusError(500, "http://x") }],
      [{ type: "text-delta", text: "ok" }, finish],
    ]);
    const result = await callModel(adapter, request, {
      measureMemory: false,
      retry: { initialDelayMs: 100, factor: 3 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(result.ok).toBe(true);
    expect(delays).toEqual([100, 300]);
    expect(result.telemetry.retries).toBe(2);
    expect(result.telemetry.attempts.map((a) => a.error_code)).toEqual(["HTTP_STATUS", "HTTP_STATUS", null]);
  });

  it("does not retry once text reached the caller, and keeps the telemetry of the failure", async () => {
    const adapter = scriptedAdapter([
      [
        { type: "text-delta", text: "par" },
        { type: "error", error: new ModelCallError("MALFORMED_STREAM", "cut", { isRetryable: true }) },
      ],
      [{ type: "text-delta", text: "never" }, finish],
    ]);
    const result = await callModel(adapter, request, { measureMemory: false, sleep: noSleep });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(adapter.calls).toHaveLength(1);
    expect(result.text).toBe("par");
    expect(result.telemetry.outcome).toBe("error");
    expect(result.telemetry.error?.code).toBe("MALFORMED_STREAM");
    expect(result.telemetry.token_metrics.status).toBe("TOKEN_AND_TIMING_UNAVAILABLE");
    expect(result.telemetry.total_latency).toBeGreaterThanOrEqual(0);
    expect(CallTelemetrySchema.safeParse(result.telemetry).success).toBe(true);
  });

  it("does not retry a non-retryable error", async () => {
    const adapter = scriptedAdapter([[{ throw: new ServerReportedError("boom") }]]);
    const result = await callModel(adapter, request, { measureMemory: false, sleep: noSleep });
    expect(result.ok).toBe(false);
    expect(adapter.calls).toHaveLength(1);
    expect(result.telemetry.error).toMatchObject({ code: "SERVER_ERROR", retryable: false });
  });

  it("turns a per-attempt timeout into TIMEOUT without retrying", async () => {
    const adapter = scriptedAdapter([[{ wait: 2000 }, finish]]);
    const started = performance.now();
    const result = await callModel(adapter, request, { measureMemory: false, timeoutMs: 50, sleep: noSleep });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.ok).toBe(false);
    expect(result.telemetry.error?.code).toBe("TIMEOUT");
    expect(adapter.calls).toHaveLength(1);
  });

  it("reports a caller's abort as ABORTED, not as a timeout", async () => {
    const adapter = scriptedAdapter([[{ wait: 2000 }, finish]]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const result = await callModel(adapter, request, {
      measureMemory: false,
      timeoutMs: 5000,
      signal: controller.signal,
    });
    expect(result.telemetry.error?.code).toBe("ABORTED");
  });

  it("records an unexpected exception as INTERNAL with telemetry", async () => {
    const adapter = scriptedAdapter([[]]);
    adapter.stream = () => {
      throw new TypeError("bug");
    };
    const result = await callModel(adapter, request, { measureMemory: false });
    expect(result.ok).toBe(false);
    expect(result.telemetry.error?.code).toBe("INTERNAL");
  });

  it("flags a stream that ends without a finish part", async () => {
    const result = await callModel(scriptedAdapter([[{ type: "text-delta", text: "a" }]]), request, {
      measureMemory: false,
    });
    expect(result.telemetry.error?.code).toBe("MALFORMED_STREAM");
  });

  it("measures peak RSS of this process for in-process inference", async () => {
    const result = await callModel(scriptedAdapter([[{ type: "text-delta", text: "a" }, finish]]), request);
    expect(result.telemetry.peak_memory_rss).toBeGreaterThan(10);
    expect(result.telemetry.memory_method).toMatch(/self/);
  });
});

describe("callModel: the answer is bounded", () => {
  it("refuses an answer longer than --max-tokens allows (1024 characters a token), streamed or not", async () => {
    const big = "x".repeat(600);
    const parts: StreamPart[] = [
      ...Array.from({ length: 40 }, (): StreamPart => ({ type: "text-delta", text: big })),
      finish,
    ];
    for (const stream of [true, false]) {
      const result = await callModel(
        scriptedAdapter([parts]),
        { ...request, maxOutputTokens: 16 },
        { stream, sleep: noSleep, measureMemory: false },
      );
      expect(result.ok, `stream ${stream}`).toBe(false);
      if (result.ok) continue;
      expect(result.error.code).toBe("MALFORMED_STREAM");
      expect(result.error.message).toBe(
        "malformed response: the ollama answer passed 16,384 characters, more than 16 tokens (--max-tokens) × 1024 characters allow",
      );
      // Streaming stops at the limit instead of reading on: the record says how much was taken.
      if (stream) expect(result.telemetry.output_chars).toBeLessThanOrEqual(16_384 + big.length);
    }
  });

  it("takes an answer within the bound", async () => {
    const result = await callModel(
      scriptedAdapter([[{ type: "text-delta", text: "y".repeat(16_384) }, finish]]),
      { ...request, maxOutputTokens: 16 },
      { sleep: noSleep, measureMemory: false },
    );
    expect(result.ok).toBe(true);
  });
});
