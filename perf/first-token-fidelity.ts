/**
 * First-token fidelity: how far `init_latency` lands from the moment the server really sent the first
 * content chunk. The server runs in a worker thread (its own event loop) and stamps each send with
 * `performance.timeOrigin + performance.now()`, a clock shared across threads; the client's dispatch is
 * stamped on the same clock through an injected `Clock`. Target: median |error| under 2 ms.
 */
import { Worker } from "node:worker_threads";
import { createOllamaAdapter } from "../src/providers/ollama.js";
import type { Clock } from "../src/spec/model.js";
import { callModel } from "../src/telemetry/model-call.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const FIRST_CHUNK_DELAYS_MS = [5, 25, 80];

const serverSource = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
const stamp = () => performance.timeOrigin + performance.now();
const line = (content, done) => JSON.stringify(done
  ? { model: "m", created_at: "2026-11-20T00:00:00Z", message: { role: "assistant", content: "" }, done: true, done_reason: "stop",
      prompt_eval_count: 4, prompt_eval_duration: 1000000, eval_count: 3, eval_duration: 3000000, load_duration: 0 }
  : { model: "m", created_at: "2026-11-20T00:00:00Z", message: { role: "assistant", content }, done: false }) + "\\n";
const server = http.createServer((req, res) => {
  if (req.method !== "POST") { req.resume(); res.end("{}"); return; }
  const delay = Number(new URL(req.url, "http://x").searchParams.get("delay") ?? 0);
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    res.flushHeaders();
    setTimeout(() => {
      res.write(line("first", false));
      parentPort.postMessage({ sent: stamp() });
      setTimeout(() => { res.write(line(" second", false)); res.end(line("", true)); }, 2);
    }, delay);
  });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
`;

const worker = new Worker(serverSource, { eval: true });
const sends: number[] = [];
const port = await new Promise<number>((resolve) => {
  worker.on("message", (message: { port?: number; sent?: number }) => {
    if (message.port) resolve(message.port);
    if (message.sent) sends.push(message.sent);
  });
});

console.log(`first-token fidelity (${RUNS} calls per delay; server in a worker thread)`);
const allErrors: number[] = [];
for (const delay of FIRST_CHUNK_DELAYS_MS) {
  const adapter = createOllamaAdapter("m", {
    host: `http://127.0.0.1:${port}`,
    // The query string carries the scripted delay to the server; the adapter's path is unchanged.
    fetch: (url, init) => fetch(`${String(url)}?delay=${delay}`, init),
  });
  const errors: number[] = [];
  for (let i = 0; i < RUNS + 10; i++) {
    let dispatch: number | undefined;
    const clock: Clock = {
      now() {
        const t = performance.now();
        dispatch ??= performance.timeOrigin + t;
        return t;
      },
    };
    const before = sends.length;
    const result = await callModel(
      adapter,
      { messages: [{ role: "user", content: "hi" }] },
      { clock, measureMemory: false },
    );
    await waitFor(() => sends.length > before);
    if (!result.ok || result.telemetry.init_latency === null || dispatch === undefined)
      throw new Error("call failed");
    const sentAt = sends[before] ?? Number.NaN;
    const trueSeconds = (sentAt - dispatch) / 1000;
    if (i >= 10) errors.push((result.telemetry.init_latency - trueSeconds) * 1000);
  }
  allErrors.push(...errors);
  console.log(
    `  first chunk after ${String(delay).padStart(3)} ms: median error ${fmt(median(errors.map(Math.abs)))}, signed median ${fmt(median(errors))}, p90 |error| ${fmt(percentile(errors.map(Math.abs), 0.9))}`,
  );
}
await worker.terminate();
const overall = median(allErrors.map(Math.abs));
console.log(
  `overall median |init_latency - true send time|: ${fmt(overall)} -> ${overall < 2 ? "PASS" : "ABOVE TARGET"} (target < 2 ms)`,
);
console.log(
  "(init_latency is rounded to 1 ms by the 3-decimal rule, so up to 0.5 ms of each error is rounding)",
);

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !predicate(); i++) await new Promise((r) => setTimeout(r, 1));
}
function median(values: number[]): number {
  return percentile(values, 0.5);
}
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
function fmt(ms: number): string {
  return `${ms.toFixed(3)} ms`;
}
