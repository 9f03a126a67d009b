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

/** The bare adapter given an AbortSignal, as every wrapped call is (timeouts and Ctrl-C need one). */
async function consumeWithSignal(adapter: ModelAdapter): Promise<void> {
  const signalled = { ...request, signal: new AbortController().signal };
  for await (const part of adapter.stream(signalled)) if (part.type === "error") throw part.error;
}

async function wrapped(adapter: ModelAdapter): Promise<void> {
  const result = await callModel(adapter, request, {
    timeoutMs: 30_000,
    measureMemory: process.env.BENCH_NO_MEMORY !== "1",
  });
  if (!result.ok) throw result.error;
}

async function measure(label: string, adapter: ModelAdapter, iterations: number) {
  const bare: number[] = [];
  const signalled: number[] = [];
  const withTelemetry: number[] = [];
  for (let i = 0; i < 200; i++) {
    await consume(adapter);
    await consumeWithSignal(adapter);
    await wrapped(adapter);
  }
  for (let i = 0; i < iterations; i++) {
    // Rotate the order so no side always runs on a warmer path.
    const sides = [
      async () => bare.push(await time(() => consume(adapter))),
      async () => signalled.push(await time(() => consumeWithSignal(adapter))),
      async () => withTelemetry.push(await time(() => wrapped(adapter))),
    ];
    for (let k = 0; k < 3; k++) await sides[(i + k) % 3]?.();
  }
  const b = median(bare);
  const s = median(signalled);
  const w = median(withTelemetry);
  console.log(`${label} (n=${iterations})`);
  console.log(`  bare adapter                 ${fmt(b)}`);
  console.log(
    `  bare adapter + AbortSignal   ${fmt(s)}   (the transport's own cost of honouring a signal: ${fmt(s - b)})`,
  );
  // Differences taken within each round cancel the machine's drift better than a difference of medians.
  const paired = median(withTelemetry.map((value, i) => value - (bare[i] ?? Number.NaN)));
  const pairedSignalled = median(withTelemetry.map((value, i) => value - (signalled[i] ?? Number.NaN)));
  console.log(
    `  callModel (telemetry)        ${fmt(w)}   overhead vs bare ${fmt(w - b)}, vs bare + signal ${fmt(w - s)}`,
  );
  console.log(
    `  paired overhead (median of per-round differences): vs bare ${fmt(paired)}, vs bare + signal ${fmt(pairedSignalled)}`,
  );
  return { vsBare: paired, vsSignalled: pairedSignalled };
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
const worst = Math.max(httpOverhead.vsBare, memOverhead.vsBare);
console.log(
  `result: ${worst < 0.1 ? "PASS" : "ABOVE TARGET"} (target < 0.1 ms paired median overhead vs the bare adapter; worst ${fmt(worst)}, of which the HTTP transport's AbortSignal handling is ${fmt(httpOverhead.vsBare - httpOverhead.vsSignalled)})`,
);
