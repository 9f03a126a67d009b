/**
 * Sweeps against a fake Ollama on the wire (`/api/tags`, `/api/chat`, `/api/ps`) and a fake GPU: the
 * tags are checked and sized before anything runs, each row warms its model up, a model Ollama reports
 * partly outside VRAM pollutes its whole row, the VRAM preflight fails a model too big for the profile,
 * and a context sweep sends `num_ctx` on every call and notices a context Ollama did not apply.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import { runContextSweep, runQuantSweep } from "../src/lab/sweep.js";
import type { Task } from "../src/spec/bank.js";
import { SweepSummarySchema } from "../src/spec/lab.js";
import type { GpuBackend } from "../src/telemetry/sidecar.js";
import { fence } from "./support/sweep-fixtures.js";
import { ndjson, type RecordedRequest, startWireServer, type WireServer } from "./support/wire-server.js";

const steadyLoad = { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) };
const GiB = 2 ** 30;
const SIZES: Record<string, number> = {
  "qwen2.5-coder:7b-instruct-q8_0": 8 * GiB,
  "qwen2.5-coder:7b-instruct-q4_K_M": 4.5 * GiB,
};

/** One 16 GiB card with 1000 MiB in use: 8 GiB more is over the safe profile's 50 %, 4.5 GiB is not. */
const fakeGpu: GpuBackend = {
  backend: "nvidia",
  tool: "/fake/nvidia-smi",
  reason: null,
  fields: [],
  sampleOnce: async () => ({
    gpus: [
      {
        backend: "nvidia",
        gpu_index: 0,
        gpu_name: "Fake RTX 16G",
        driver_version: "550.54.14",
        temperature_c: 45,
        vram_used_mb: 1000,
        vram_total_mb: 16384,
        gpu_clock_mhz: 1800,
        power_draw_watts: 90,
        fan_speed_percent: 30,
        utilization_percent: 20,
        throttle_reasons: [],
        errors: [],
      },
    ],
    cpu: null,
    errors: [],
  }),
};

interface ChatBody {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content: string }>;
  options?: { num_ctx?: number };
}

describe("sweeps against Ollama", () => {
  let server: WireServer;
  let task: Task;
  let loaded: { model: string; numCtx: number | null } | null = null;
  /** What /api/ps reports for a model: VRAM share, and the context Ollama applied. */
  let ps: (model: string, numCtx: number | null) => { size_vram: number; context_length?: number };

  beforeAll(async () => {
    task = (await loadBank("builtin")).tasks[0] as Task;
    server = await startWireServer();
    server.route("GET /api/version", { chunks: [{ data: JSON.stringify({ version: "0.6.2" }) }] });
    server.route("GET /api/tags", {
      chunks: [
        {
          data: JSON.stringify({
            models: Object.entries(SIZES).map(([name, size]) => ({
              name,
              model: name,
              size,
              modified_at: "2025-03-01T10:00:00Z",
              digest: name,
            })),
          }),
        },
      ],
    });
    server.route("POST /api/chat", (req) => chat(req));
    server.route("GET /api/ps", () => {
      const models = loaded
        ? [
            {
              name: loaded.model,
              model: loaded.model,
              size: SIZES[loaded.model] ?? 0,
              expires_at: "2025-03-04T09:17:41Z",
              ...ps(loaded.model, loaded.numCtx),
            },
          ]
        : [];
      return { chunks: [{ data: JSON.stringify({ models }) }] };
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    loaded = null;
    server.requests.length = 0;
  });

  /** Answers the task correctly in about 0.8 s of streaming (model time dominates the run's wall time). */
  function chat(req: RecordedRequest) {
    const body = req.body as ChatBody;
    const warmup = body.messages.at(-1)?.content === "Reply with OK.";
    const cold = loaded?.model !== body.model || loaded.numCtx !== (body.options?.num_ctx ?? null);
    loaded = { model: body.model, numCtx: body.options?.num_ctx ?? null };
    const text = warmup ? "OK" : fence(task, task.reference_solution);
    const pieces = warmup ? [text] : (text.match(/[\s\S]{1,12}/g) ?? [text]);
    const done = {
      model: body.model,
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: "stop",
      total_duration: 900_000_000,
      load_duration: cold ? 3_000_000_000 : 2_000_000,
      prompt_eval_count: 80,
      prompt_eval_duration: 40_000_000,
      eval_count: pieces.length,
      eval_duration: 700_000_000,
    };
    const deltas = pieces.map((content) => ({
      model: body.model,
      message: { role: "assistant", content },
      done: false,
    }));
    if (body.stream === false)
      return {
        chunks: [{ data: JSON.stringify({ ...done, message: { role: "assistant", content: text } }) }],
      };
    return { chunks: ndjson([...deltas, done], warmup ? 1 : Math.ceil(800 / pieces.length)) };
  }

  const chats = (model: string) =>
    server.requests.filter((r) => r.url === "/api/chat" && (r.body as ChatBody).model === model);

  it("sizes each quant from /api/tags, warms it up, and pollutes a spilled or oversized row", async () => {
    ps = (model) => ({ size_vram: model.endsWith("q8_0") ? 5 * GiB : (SIZES[model] ?? 0) });
    const dir = mkdtempSync(join(tmpdir(), "orket-sweep-ollama-"));
    const { summary } = await runQuantSweep({
      home: join(dir, ".orket"),
      out: join(dir, "out"),
      modelFamily: "qwen2.5-coder:7b",
      quants: ["q8_0", "q4_K_M"],
      tasks: "1",
      runs: 2,
      skipCanary: true,
      providers: { ollamaHost: server.baseUrl },
      loadSampler: steadyLoad,
      gpuBackend: fakeGpu,
      sidecarIntervalMs: 50,
    });
    SweepSummarySchema.parse(summary);
    const [q8, q4] = summary.rows;
    expect(q8).toMatchObject({
      model_ref: "ollama/qwen2.5-coder:7b-instruct-q8_0",
      model_size_bytes: 8 * GiB,
      valid: false,
      test_runs: 2,
      valid_runs: 0,
      run_quality_reasons: ["MODEL_SPILLED_TO_CPU", "VRAM_RATIO_EXCEEDED"],
      ollama_loaded: { size: 8 * GiB, size_vram: 5 * GiB },
      model_load_seconds: 3,
    });
    expect(q8?.guards.map((g) => [g.check, g.decision, g.reason])).toEqual([
      ["vram_preflight", "fail", "VRAM_RATIO_EXCEEDED"],
      ["vram_window", "pass", "WITHIN_PROFILE_CAP"],
      ["throttle", "pass", "NO_SLOWDOWN"],
    ]);
    expect(q8?.hardware_sidecar).toMatchObject({
      backend: "nvidia",
      gpu_name: "Fake RTX 16G",
      vram_total_mb: 16384,
    });
    expect(q4).toMatchObject({
      model_ref: "ollama/qwen2.5-coder:7b-instruct-q4_K_M",
      model_size_bytes: 4.5 * GiB,
      valid: true,
      valid_runs: 2,
      adherence_score: 1,
      pass_rate: 1,
      run_quality_status: "CLEAN",
    });
    expect(q4?.guards[0]).toMatchObject({ check: "vram_preflight", decision: "pass" });
    // The warm-up took the load, so no benchmark run was cold.
    expect(chats("qwen2.5-coder:7b-instruct-q4_K_M")).toHaveLength(3);
    expect(summary.recommendation).toMatch(
      /^Use q4_K_M: adherence 1\.00 at \d+\.(\d|\d{3}) s median; q8_0 had no valid run\. 2 of 4 runs were excluded as POLLUTED \(MODEL_SPILLED_TO_CPU, VRAM_RATIO_EXCEEDED\)\.$/,
    );
    expect(summary.hardware_fingerprint).toMatchObject({
      gpu_backend: "nvidia",
      gpu_name: "Fake RTX 16G",
      gpu_vram_total_mb: 16384,
      gpu_driver: "550.54.14",
    });
    expect(summary.timing.warmup_seconds).toBeGreaterThan(0);
  }, 60_000);

  it("sends the context size on every call of a context sweep, and flags one Ollama did not apply", async () => {
    // This server caps contexts at 2048.
    ps = (model, numCtx) => ({
      size_vram: SIZES[model] ?? 0,
      context_length: Math.min(numCtx ?? 2048, 2048),
    });
    const dir = mkdtempSync(join(tmpdir(), "orket-sweep-ollama-ctx-"));
    const model = "ollama/qwen2.5-coder:7b-instruct-q4_K_M";
    const { summary } = await runContextSweep({
      home: join(dir, ".orket"),
      out: join(dir, "out"),
      model,
      contexts: [1024, 2048, 4096],
      tasks: "1",
      runs: 1,
      skipCanary: true,
      adherenceFloor: 0.9,
      firstTokenCeiling: 5,
      providers: { ollamaHost: server.baseUrl },
      loadSampler: steadyLoad,
      gpuBackend: fakeGpu,
    });
    SweepSummarySchema.parse(summary);
    const sent = chats("qwen2.5-coder:7b-instruct-q4_K_M").map((r) => (r.body as ChatBody).options?.num_ctx);
    expect(sent).toEqual([1024, 1024, 2048, 2048, 4096, 4096]);
    expect(summary.rows.map((r) => [r.quant_tag, r.context_size, r.valid, r.run_quality_reasons])).toEqual([
      ["1024", 1024, true, []],
      ["2048", 2048, true, []],
      ["4096", 4096, false, ["CONTEXT_NOT_APPLIED"]],
    ]);
    expect(summary.kind).toBe("context");
    expect(summary.safe_context_ceiling).toMatchObject({
      context_size: 2048,
      adherence_floor: 0.9,
      first_token_ceiling: 5,
    });
    expect(summary.recommendation).toMatch(
      /^Use a context of at most 2048 tokens: adherence 1\.00, first token/,
    );
  }, 60_000);
});
