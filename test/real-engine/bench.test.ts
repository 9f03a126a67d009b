/**
 * The benchmark on real engines: the 51 built-in tasks through llama.cpp's own llama-server and through
 * the embedded engine, on a model that really writes the code. What a user would check: the runs count
 * (CLEAN), the pass rate is what the model really passes (all 51: it recalls every reference solution),
 * and Orket's decode speed is the engine's own figure, with the client's stream timing beside it.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Report, ReportSchema } from "../../src/spec/report.js";
import { type LlamaServer, quantized, startLlamaServer } from "../support/llama-cpp.js";
import { runCli } from "../support/run-cli.js";

const TASKS = 51;

function readReport(path: string): Report {
  return ReportSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

function cleanShare(report: Report): number {
  return report.test_runs.filter((r) => r.telemetry.run_quality_status === "CLEAN").length / TASKS;
}

describe("orket bench on llama.cpp's llama-server", () => {
  let server: LlamaServer;
  let report: Report;
  let dir: string;

  beforeAll(async () => {
    server = await startLlamaServer({ model: quantized("Q8_0") });
    dir = mkdtempSync(join(tmpdir(), "orket-real-bench-"));
    const run = await runCli(
      ["bench", "--model", "openai/memorizer", "--base-url", server.baseURL, "--out", join(dir, "out")],
      { cwd: dir },
    );
    expect(run.stderr).toContain("model: openai/memorizer");
    expect(run.code, run.stderr).toBe(0);
    report = readReport(join(dir, "out", "orket_report.json"));
  });
  afterAll(async () => server?.stop());

  it("counts at least 95 % of the runs, and passes what the model really passes: all 51", () => {
    expect(report.test_runs).toHaveLength(TASKS);
    const reasons = report.test_runs.flatMap((r) => r.telemetry.run_quality_reasons);
    expect(cleanShare(report), reasons.join(", ")).toBeGreaterThanOrEqual(0.95);
    expect(report.summary.outcomes).toEqual({ pass: TASKS, fail: 0, error: 0 });
    expect(report.summary.pass_rate).toBe(1);
  });

  it("reports decode speed as the server does (predicted_per_second, within 1 %), the client's beside it", () => {
    for (const run of report.test_runs) {
      const m = run.telemetry.token_metrics;
      const ours = m.throughput.generation_tokens_per_second;
      const theirs = m.engine_reported?.generation_tokens_per_second;
      expect(ours, run.test_id).not.toBeNull();
      expect(theirs, run.test_id).not.toBeNull();
      expect(Math.abs((ours ?? 0) - (theirs ?? 1)) / (theirs ?? 1), run.test_id).toBeLessThan(0.01);
      // The client saw the same stream: one delta per token after the first, timed on its own clock.
      const client = run.telemetry.client_timings;
      expect(client?.deltas_per_second, run.test_id).toBeGreaterThan(0);
      expect(m.counts.decode_tokens, run.test_id).toBe((m.counts.output_tokens ?? 0) - 1);
    }
  });

  it("times the generation window alone: scoring has its own field, and is not orchestration overhead", () => {
    for (const run of report.test_runs) {
      const t = run.telemetry;
      expect(t.evaluation_seconds, run.test_id).toBeGreaterThan(0);
      // Direct mode: one call, so the window is that call plus Orket's bookkeeping around it.
      expect(t.total_latency, run.test_id).toBeGreaterThanOrEqual(t.internal_model_seconds);
      expect(t.orchestration_overhead_ratio, run.test_id).toBeLessThan(0.5);
    }
  });

  it("finds the server's process by its port: its memory is measured and its CPU is not foreign load", () => {
    expect(report.settings.server_process).toEqual({
      pid: server.pid,
      source: `the process listening on port ${server.port}`,
    });
    for (const run of report.test_runs) {
      expect(run.telemetry.peak_memory_rss, run.test_id).toBeGreaterThan(0);
      expect(run.telemetry.generation_cpu?.excluded).toBe(`pid:${server.pid}, self`);
    }
  });

  it("keeps the cached shared prefix as what it is: prefill figures set apart, the runs still counted", () => {
    const cached = report.test_runs.filter((r) => (r.telemetry.token_metrics.cached_prompt_tokens ?? 0) > 0);
    // Every task's prompt starts with its language's system prompt, which the server keeps cached.
    expect(cached.length).toBeGreaterThan(TASKS / 2);
    for (const run of cached) {
      expect(run.telemetry.prefill_quality).toEqual({ status: "POLLUTED", reasons: ["PROMPT_CACHE_HIT"] });
      expect(
        run.telemetry.run_quality_status,
        `${run.test_id}: ${run.telemetry.run_quality_reasons.join(", ")}`,
      ).toBe("CLEAN");
    }
    expect(report.summary.prefill_valid_runs).toBe(report.summary.valid_runs - cached.length);
  });

  it("records what reproduces the run: the file's sha256, the quantization and build as the server says", () => {
    const record = report.reproducibility;
    const file = readFileSync(quantized("Q8_0"));
    expect(record?.model.file_sha256).toBe(createHash("sha256").update(file).digest("hex"));
    expect(record).toMatchObject({
      model: { quantization: "Q8_0", path: quantized("Q8_0") },
      engine: { name: "llama.cpp server" },
      context_size: { requested: null, applied: null, effective: 2048 },
      sampler: { seed: 42, temperature: 0 },
      settings_not_applied: [],
    });
    expect(record?.engine.build).toMatch(/^b\d+-[0-9a-f]+$/);
    expect(record?.sampler.server_defaults).toMatchObject({ top_k: 40 });
  });
});

describe("orket bench on the embedded engine", () => {
  let report: Report;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-real-embedded-"));
    const run = await runCli(["bench", "--model", `gguf/${quantized("Q8_0")}`, "--out", join(dir, "out")], {
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(0);
    report = readReport(join(dir, "out", "orket_report.json"));
  });

  it("counts at least 95 % of the runs and passes all 51", () => {
    const reasons = report.test_runs.flatMap((r) => r.telemetry.run_quality_reasons);
    expect(cleanShare(report), reasons.join(", ")).toBeGreaterThanOrEqual(0.95);
    expect(report.summary.outcomes).toEqual({ pass: TASKS, fail: 0, error: 0 });
  });

  it("pays every run's own prefill (its method), so its first-token figures count", () => {
    expect(report.settings.experimental_controls.prompt_cache).toBe("off");
    for (const run of report.test_runs) {
      expect(run.telemetry.token_metrics.cached_prompt_tokens, run.test_id).toBe(0);
      expect(run.telemetry.prefill_quality?.status).toBe("CLEAN");
    }
    expect(report.summary.median_init_latency).toBeGreaterThan(0);
  });

  it("counts decode as llama.cpp does (the first token is free) and names its engine and quantization", () => {
    for (const run of report.test_runs) {
      const m = run.telemetry.token_metrics;
      expect(m.counts.decode_tokens, run.test_id).toBe((m.counts.output_tokens ?? 0) - 1);
      expect(m.throughput.generation_tokens_per_second, run.test_id).toBeGreaterThan(0);
      expect(run.telemetry.generation_cpu?.excluded).toBe("self");
    }
    expect(report.reproducibility).toMatchObject({
      model: { quantization: "Q8_0" },
      engine: { name: "node-llama-cpp (embedded llama.cpp)" },
      threads: expect.any(Number),
      gpu_layers: 0,
    });
  });
});
