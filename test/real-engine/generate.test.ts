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
import { runCli } from "../support/run-cli.js";

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
  async function generate(model: string[]) {
    const run = await runCli([
      "generate",
      "--json",
      ...model,
      "--system",
      system,
      "--temperature",
      "0",
      "--seed",
      "42",
      user,
    ]);
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

  it("runs the same prompt in-process on the embedded engine", async () => {
    const t = await generate(["--model", `gguf/${quantized("Q8_0")}`]);
    expect(t.token_metrics).toMatchObject({ status: "OK", timing_source: "embedded" });
    expect(t.memory_method).toBe("vmhwm:self");
  });
});
