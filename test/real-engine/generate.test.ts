/**
 * `orket generate` as a user would run it against llama.cpp's own llama-server and the embedded engine,
 * with the code-writing model: the answer streams to stdout, and the record has the engine's own
 * timings beside the client's, the server's process found by its port, and nothing made up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBank } from "../../src/bench/bank/bank-loader.js";
import { directPrompt } from "../../src/bench/runner.js";
import { CallTelemetrySchema } from "../../src/spec/telemetry.js";
import { type LlamaServer, quantized, startLlamaServer } from "../support/llama-cpp.js";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import { runCli } from "../support/run-cli.js";

const SPAN_KIND_CLIENT = 3;

describe("orket generate on real engines", () => {
  let server: LlamaServer;
  let system: string;
  let user: string;

  beforeAll(async () => {
    server = await startLlamaServer({ model: quantized("Q8_0") });
    const task = (await loadBank("builtin")).tasks[0];
    if (!task) throw new Error("the built-in bank is empty");
    const [s, u] = directPrompt(task);
    system = s?.content ?? "";
    user = u?.content ?? "";
  });
  afterAll(async () => server?.stop());

  /** `orket generate --json` with the first task's direct prompt, greedy, as the model was trained. */
  async function generate(model: string[], env: Record<string, string> = {}) {
    const run = await runCli(
      ["generate", "--json", ...model, "--system", system, "--temperature", "0", "--seed", "42", user],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.text).toMatch(/^```python\ndef clamp\(/);
    return CallTelemetrySchema.parse(out.telemetry);
  }

  it("streams the model's code from llama-server, with llama.cpp's timings and the server's memory", async () => {
    const t = await generate([
      "--model",
      "openai/memorizer",
      "--base-url",
      server.baseURL,
      "--server-pid",
      String(server.pid),
    ]);
    expect(t.token_metrics).toMatchObject({ status: "OK", timing_source: "llama.cpp" });
    expect(t.token_metrics.throughput.generation_tokens_per_second).toBe(
      t.token_metrics.engine_reported?.generation_tokens_per_second,
    );
    expect(t.init_latency).toBeGreaterThan(0);
    expect(t.peak_memory_rss).toBeGreaterThan(0);
    expect(t.memory_method).toBe(`vmhwm:pid:${server.pid}`);
  });

  it("exports the llama-server call as a CLIENT span naming the server and the model it answered with", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const t = await generate(["--model", "openai/memorizer", "--base-url", server.baseURL, "--otel"], {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      const [span, ...more] = receiver.spans();
      expect(more).toEqual([]);
      const url = new URL(server.baseURL);
      expect(span?.name).toBe("chat memorizer");
      expect(span?.kind).toBe(SPAN_KIND_CLIENT);
      expect(span?.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "llama.cpp",
        "gen_ai.request.model": "memorizer",
        "gen_ai.response.model": expect.any(String),
        "server.address": url.hostname,
        "server.port": Number(url.port),
        "gen_ai.usage.input_tokens": t.token_metrics.counts.prompt_tokens,
        "gen_ai.usage.output_tokens": t.token_metrics.counts.output_tokens,
        "gen_ai.response.finish_reasons": [t.finish_reason?.unified],
        "orket.call_id": t.call_id,
      });
      const seconds = Number((span?.endNs ?? 0n) - (span?.startNs ?? 0n)) / 1e9;
      expect(Math.abs(seconds - t.total_latency)).toBeLessThan(0.0015);
      const duration = receiver.histograms().find((p) => p.metric === "gen_ai.client.operation.duration");
      expect(duration?.attributes).toMatchObject({
        "server.address": url.hostname,
        "server.port": Number(url.port),
      });
    } finally {
      await receiver.close();
    }
  });

  it("runs the same prompt in-process on the embedded engine", async () => {
    const t = await generate(["--model", `gguf/${quantized("Q8_0")}`]);
    expect(t.token_metrics).toMatchObject({ status: "OK", timing_source: "embedded" });
    expect(t.memory_method).toBe("vmhwm:self");
  });
});
