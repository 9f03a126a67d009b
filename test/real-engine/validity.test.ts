/**
 * The validity rules, each checked on a real llama-server and the embedded engine rather than on
 * constructed records: what a rule flags is what really happened to the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyModel } from "../../src/providers/gguf/tiny-model.js";
import { type Report, ReportSchema } from "../../src/spec/report.js";
import { type LlamaServer, quantized, startLlamaServer } from "../support/llama-cpp.js";
import { runCli } from "../support/run-cli.js";

function readReport(out: string): Report {
  return ReportSchema.parse(JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")));
}

async function bench(dir: string, name: string, args: string[]): Promise<Report> {
  const out = join(dir, name);
  const run = await runCli(["bench", ...args, "--out", out], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  return readReport(out);
}

describe("HIGH_CPU_SATURATION and HIGH_SYSTEM_LOAD count only load that is not the inference itself", () => {
  let server: LlamaServer;
  let dir: string;
  // The random-weight smoke model writes noise until the context ends: windows of about the 20 core-ticks
  // a judgment needs (some fall just under), so 16 tasks, for enough judged windows.
  const args = () => [
    "--model",
    "openai/noise",
    "--base-url",
    server.baseURL,
    "--tasks",
    "1-16",
    "--max-tokens",
    "400",
  ];
  const judged = (report: Report) =>
    report.test_runs.filter((r) => r.telemetry.generation_cpu?.foreign_cpu_percent != null);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orket-real-cpu-"));
    const model = await writeTinyModel(join(dir, "noise.gguf"));
    server = await startLlamaServer({ model: model.path, contextSize: 512, threads: 1 });
  });
  afterAll(async () => server?.stop());

  it("a server busy inferring on the CPU, and Orket reading its stream, are not load", async () => {
    const report = await bench(dir, "idle", args());
    const runs = judged(report);
    expect(
      runs.length,
      JSON.stringify(report.test_runs.map((r) => r.telemetry.generation_cpu)),
    ).toBeGreaterThan(0);
    for (const run of runs) {
      const cpu = run.telemetry.generation_cpu;
      expect(cpu?.excluded).toBe(`pid:${server.pid}, self`);
      // Counted as foreign, the server's inference thread alone would be half of this 2-core machine.
      expect(cpu?.foreign_cpu_percent ?? 100, run.test_id).toBeLessThanOrEqual(25);
      // The machine was busy (the server's inference thread, Orket's client), and that share was not counted.
      expect((cpu?.total_cpu_percent ?? 0) - (cpu?.foreign_cpu_percent ?? 0), run.test_id).toBeGreaterThan(
        25,
      );
    }
    // A window of ~20 core-ticks is judged on a handful of ticks: two ticks of the kernel's own work make
    // 10 % "foreign". So a quarter of the judged runs (at least one) may carry a load reason; were the
    // server's inference counted as load, every one would.
    const flagged = runs.filter((r) =>
      r.telemetry.run_quality_reasons.some((x) => x === "HIGH_CPU_SATURATION" || x === "HIGH_SYSTEM_LOAD"),
    );
    expect(
      flagged.length,
      flagged.map((r) => `${r.test_id}: ${JSON.stringify(r.telemetry.generation_cpu)}`).join("; "),
    ).toBeLessThanOrEqual(Math.max(1, Math.floor(runs.length / 4)));
  });

  it("other processes busy on every core during the generation window pollute the run", async () => {
    const burners: ChildProcess[] = [];
    for (let i = 0; i < availableParallelism(); i++)
      burners.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const report = await bench(dir, "loaded", args());
      const runs = judged(report);
      expect(runs.length).toBeGreaterThan(0);
      for (const run of runs) {
        expect(run.telemetry.generation_cpu?.foreign_cpu_percent ?? 0, run.test_id).toBeGreaterThan(25);
        expect(run.telemetry.run_quality_reasons, run.test_id).toContain("HIGH_SYSTEM_LOAD");
        expect(run.telemetry.run_quality_reasons, run.test_id).toContain("HIGH_CPU_SATURATION");
      }
    } finally {
      for (const burner of burners) burner.kill("SIGKILL");
    }
  });
});

describe("PROMPT_CACHE_HIT and the cold-prefill control on llama-server", () => {
  let server: LlamaServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orket-real-cache-"));
    server = await startLlamaServer({ model: quantized("Q8_0") });
  });
  afterAll(async () => server?.stop());

  it("--cold-prefill makes every run pay its own prefill: no cached tokens, prefill figures count", async () => {
    const base = ["--model", "openai/m", "--base-url", server.baseURL, "--tasks", "1-6"];
    const warm = await bench(dir, "warm", base);
    const cold = await bench(dir, "cold", [...base, "--cold-prefill"]);
    // The same prompts: by default the server serves the shared system prompt from its cache.
    expect(warm.test_runs.some((r) => (r.telemetry.token_metrics.cached_prompt_tokens ?? 0) > 0)).toBe(true);
    expect(cold.settings.experimental_controls.prompt_cache).toBe("off");
    for (const run of cold.test_runs) {
      expect(run.telemetry.token_metrics.cached_prompt_tokens, run.test_id).toBe(0);
      expect(run.telemetry.prefill_quality?.status, run.test_id).toBe("CLEAN");
      expect(run.telemetry.settings_not_applied, run.test_id).toEqual([]);
    }
    expect(cold.summary.prefill_valid_runs).toBe(6);
    expect(cold.summary.median_init_latency).toBeGreaterThan(0);
    // The decode figures do not depend on the cache: both runs are counted either way.
    expect(warm.summary.valid_runs).toBe(6);
    expect(cold.summary.valid_runs).toBe(6);
  });
});

describe("PROMPT_TRUNCATED and CONTEXT_EXCEEDED against the server's real context", () => {
  let server: LlamaServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orket-real-context-rules-"));
    // Room for every prompt, but not for the longest answers (tasks 48-51 need 605-685 tokens).
    server = await startLlamaServer({ model: quantized("Q8_0"), contextSize: 512 });
  });
  afterAll(async () => server?.stop());

  it("a run whose answer filled the server's context is PROMPT_TRUNCATED, judged against -c as the server reports it", async () => {
    const report = await bench(dir, "small-ctx", [
      "--model",
      "openai/m",
      "--base-url",
      server.baseURL,
      "--tasks",
      "44-51",
    ]);
    expect(report.reproducibility?.context_size.effective).toBe(512);
    const full = report.test_runs.filter((r) => {
      const c = r.telemetry.token_metrics.counts;
      return (c.prompt_tokens ?? 0) + (c.output_tokens ?? 0) >= 512;
    });
    const refused = report.test_runs.filter((r) => r.telemetry.error?.code === "CONTEXT_EXCEEDED");
    expect(full.length + refused.length, "some answers must not fit 512 tokens").toBeGreaterThan(0);
    for (const run of full)
      expect(run.telemetry.run_quality_reasons, run.test_id).toContain("PROMPT_TRUNCATED");
    for (const run of refused) {
      expect(run.outcome).toBe("error");
      expect(run.telemetry.error?.message).toMatch(/the server's context holds 512/);
    }
    for (const run of report.test_runs.filter((r) => !full.includes(r) && !refused.includes(r)))
      expect(run.telemetry.run_quality_reasons, run.test_id).not.toContain("PROMPT_TRUNCATED");
  });
});

describe("COLD_MODEL_LOAD on the embedded engine", () => {
  it("the warm-up loads the model outside the measured runs; without it the first run pays the load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-real-load-"));
    const model = `gguf/${quantized("Q8_0")}`;
    const warm = await bench(dir, "warm", ["--model", model, "--tasks", "1-2"]);
    const cold = await bench(dir, "cold", ["--model", model, "--tasks", "1-2", "--no-warmup"]);
    expect(warm.settings.warmup?.seconds).toBeGreaterThan(0);
    for (const run of warm.test_runs) expect(run.telemetry.token_metrics.latencies.load_seconds).toBe(0);
    const [first, second] = cold.test_runs;
    const load = first?.telemetry.token_metrics.latencies.load_seconds ?? 0;
    expect(load).toBeGreaterThan(0);
    expect(second?.telemetry.token_metrics.latencies.load_seconds).toBe(0);
    // The rule's threshold: over 1 s of load is COLD_MODEL_LOAD; this 4.6 MiB model loads faster.
    expect(first?.telemetry.run_quality_reasons.includes("COLD_MODEL_LOAD")).toBe(load > 1);
  });
});
