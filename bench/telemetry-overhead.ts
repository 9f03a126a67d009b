/**
 * Telemetry overhead: what `callModel` (timing, retries, timeout, RSS window, the record) adds to a call,
 * against consuming the bare adapter's stream. Measured two ways:
 *   1. on the local wire server (Ollama NDJSON over real HTTP), interleaved, median of each;
 *   2. on an in-memory adapter, where the network's noise cannot hide the wrapper's own cost.
 * Target: under 0.1 ms median.
 */
import { createOllamaAdapter } from "../src/providers/ollama.js";
import type { ModelAdapter, ModelRequest, StreamPart } from "../src/spec/model.js";
import { callModel } from "../src/telemetry/model-call.js";
import { ndjson, startWireServer } from "../test/support/wire-server.js";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3000);
const request: ModelRequest = { messages: [{ role: "user", content: "hi" }] };

async function consume(adapter: ModelAdapter): Promise<void> {
  for await (const part of adapter.stream(request)) if (part.type === "error") throw part.error;
}

async function wrapped(adapter: ModelAdapter): Promise<void> {
  const result = await callModel(adapter, request, { timeoutMs: 30_000 });
  if (!result.ok) throw result.error;
}

async function measure(label: string, adapter: ModelAdapter, iterations: number) {
  const bare: number[] = [];
  const withTelemetry: number[] = [];
  for (let i = 0; i < 200; i++) {
    await consume(adapter);
    await wrapped(adapter);
  }
  for (let i = 0; i < iterations; i++) {
    // Alternate the order so neither side always runs on a warmer path.
    if (i % 2 === 0) {
      bare.push(await time(() => consume(adapter)));
      withTelemetry.push(await time(() => wrapped(adapter)));
    } else {
      withTelemetry.push(await time(() => wrapped(adapter)));
      bare.push(await time(() => consume(adapter)));
    }
  }
  const b = median(bare);
  const w = median(withTelemetry);
  console.log(
    `${label.padEnd(34)} bare ${fmt(b)}  with telemetry ${fmt(w)}  overhead ${fmt(w - b)}  (n=${iterations}, p90 overhead ${fmt(percentile(withTelemetry, 0.9) - percentile(bare, 0.9))})`,
  );
  return w - b;
}

async function time(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
function fmt(ms: number): string {
  return `${ms.toFixed(4)} ms`;
}

const server = await startWireServer();
const done = {
  model: "bench",
  created_at: "2026-11-20T00:00:00Z",
  message: { role: "assistant", content: "" },
  done: true,
  done_reason: "stop",
  total_duration: 1_000_000,
  load_duration: 10_000,
  prompt_eval_count: 3,
  prompt_eval_duration: 100_000,
  eval_count: 3,
  eval_duration: 500_000,
};
const token = (t: string) => ({
  model: "bench",
  created_at: "2026-11-20T00:00:00Z",
  message: { role: "assistant", content: t },
  done: false,
});
server.route("POST /api/chat", {
  headers: { "content-type": "application/x-ndjson" },
  chunks: ndjson([token("a"), token("b"), token("c"), done], 0),
});
const http = createOllamaAdapter("bench", { host: server.baseUrl });

const memoryParts: StreamPart[] = [
  { type: "text-delta", text: "a" },
  { type: "text-delta", text: "b" },
  { type: "text-delta", text: "c" },
  {
    type: "finish",
    finishReason: { unified: "stop", raw: "stop" },
    usage: { promptTokens: 3, outputTokens: 3 },
    timings: { source: "ollama", loadSeconds: 0, prefillSeconds: 0.001, decodeSeconds: 0.003 },
  },
];
const inMemory: ModelAdapter = {
  ref: "ollama/in-memory",
  provider: "ollama",
  modelId: "in-memory",
  capabilities: { trueStreaming: true, inferenceProcess: { kind: "self" } },
  async *stream() {
    yield* memoryParts;
  },
  async generate() {
    throw new Error("not used");
  },
};

console.log(`telemetry overhead (${process.platform}, node ${process.version})`);
const httpOverhead = await measure("local wire server (Ollama NDJSON)", http, ITERATIONS);
const memOverhead = await measure("in-memory adapter", inMemory, ITERATIONS * 3);
await server.close();
const worst = Math.max(httpOverhead, memOverhead);
console.log(`result: ${worst < 0.1 ? "PASS" : "ABOVE TARGET"} (target < 0.1 ms median overhead)`);
