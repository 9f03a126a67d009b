/**
 * The lab lane of `orket bench` against a fake `nvidia-smi` (a real executable on PATH printing recorded
 * driver output): the thermal gate and VRAM guards decide before each test run, the sidecar samples the
 * window, failed guards pollute the run (so it never counts), and the decisions land in the report and
 * in `lab_guards.json`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import { runBenchmark } from "../src/bench/runner.js";
import { analyze } from "../src/lab/analyze.js";
import type { Task } from "../src/spec/bank.js";
import type { CheckArtifact } from "../src/spec/lab.js";
import { detectGpuBackend } from "../src/telemetry/sidecar.js";
import { installFakeNvidiaSmi } from "./support/fake-nvidia-smi.js";
import { writeScript } from "./support/script-cassette.js";
import { ndjson, startWireServer } from "./support/wire-server.js";

const steadyLoad = { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) };
const fixture = (name: string) => resolve("test/fixtures/sidecar", name);

async function bench(gpu: string, extra: Partial<Parameters<typeof runBenchmark>[0]> = {}) {
  const task = (await loadBank("builtin")).tasks[0] as Task;
  const dir = mkdtempSync(join(tmpdir(), "orket-bench-lab-"));
  const cassette = writeScript(join(dir, "answers.jsonl"), [
    `\`\`\`${task.language}\n${task.reference_solution}\n\`\`\``,
  ]);
  const fake = installFakeNvidiaSmi(dir);
  const out = join(dir, "results");
  const result = await runBenchmark({
    model: `replay/${cassette}`,
    tasks: task.id,
    home: join(dir, ".orket"),
    out,
    providers: { replayPacing: "instant" },
    loadSampler: steadyLoad,
    lane: "lab",
    gpuBackend: detectGpuBackend({ env: fake.env({ output: fixture(gpu) }) }),
    sidecarIntervalMs: 20,
    thermal: { targetC: 65, timeoutMs: 300, pollMs: 50, wait: true },
    ...extra,
  });
  return { ...result, out };
}

describe("orket bench in the lab lane", () => {
  it("a hot, busy GPU: cooldown times out and VRAM is over the safe cap, so the run is polluted", async () => {
    const { report, out } = await bench("nvidia-550-h100-load.csv", { vramProfile: "safe" });
    const run = report.test_runs[0];
    expect(run?.outcome).toBe("pass");
    expect(run?.telemetry.run_quality_status).toBe("POLLUTED");
    expect(run?.telemetry.run_quality_reasons).toEqual(
      expect.arrayContaining(["COOLDOWN_TIMEOUT", "VRAM_RATIO_EXCEEDED"]),
    );
    // The power cap alone (0x4) is the GPU's normal state under load, not throttling.
    expect(run?.telemetry.run_quality_reasons).not.toContain("THERMAL_THROTTLE_ACTIVE");
    expect(run?.telemetry.hardware_sidecar).toMatchObject({
      backend: "nvidia",
      gpu_name: "NVIDIA H100 80GB HBM3",
      thermal_start_c: 71,
      vram_peak_mb: 45871,
      vram_total_mb: 81559,
      sidecar_parse_status: "OPTIONAL_FIELD_MISSING",
    });
    const checks = (run?.telemetry.guards ?? []).map((g) => `${g.check}:${g.decision}:${g.reason}`);
    expect(checks).toContain("cooldown:fail:COOLDOWN_TIMEOUT");
    expect(checks).toContain("vram_preflight:fail:VRAM_RATIO_EXCEEDED");
    // A polluted run never counts.
    expect(report.summary).toMatchObject({ valid_runs: 0, invalid_runs: 1, pass_rate: null });
    const artifact = JSON.parse(readFileSync(join(out, "lab_guards.json"), "utf8")) as CheckArtifact;
    expect(artifact).toMatchObject({ ok: false, execution_lane: "lab", vram_profile: "safe" });
    expect(artifact.rules.find((r) => r.rule === "thermal.cooldown")).toMatchObject({ passed: false });
    expect(artifact.guards.length).toBe(run?.telemetry.guards?.length);
  }, 30_000);

  it("an idle GPU passes every guard under the balanced profile, and the run counts", async () => {
    const { report } = await bench("nvidia-550-h100-idle.csv", { vramProfile: "balanced" });
    const run = report.test_runs[0];
    expect(run?.telemetry.run_quality_reasons).toEqual([]);
    expect(run?.telemetry.guards?.every((g) => g.decision === "pass")).toBe(true);
    expect(report.summary.valid_runs).toBe(1);
  }, 30_000);

  it("without waiting, starting above the target is a HOT_START", async () => {
    const { report } = await bench("nvidia-550-h100-load.csv", {
      vramProfile: "stress",
      thermal: { targetC: 65, timeoutMs: 300, pollMs: 50, wait: false },
    });
    expect(report.test_runs[0]?.telemetry.run_quality_reasons).toContain("HOT_START");
  }, 30_000);

  it("the ci lane samples the sidecar but no guard decides anything", async () => {
    const { report } = await bench("nvidia-550-h100-load.csv", { lane: "ci" });
    const run = report.test_runs[0];
    expect(run?.telemetry.guards).toEqual([]);
    expect(run?.telemetry.hardware_sidecar?.backend).toBe("nvidia");
    expect(run?.telemetry.run_quality_reasons).toEqual([]);
  }, 30_000);

  it("orket lab analyze files a thermal profile under the machine's fingerprint, lane and profile", async () => {
    const { path, out } = await bench("nvidia-550-h100-idle.csv", { vramProfile: "balanced", runs: 3 });
    const home = join(out, "home");
    const result = await analyze({ path, home, now: new Date("2026-11-21T03:00:00Z") });
    expect(result.fingerprint).toMatchObject({ gpu_backend: "nvidia", gpu_name: "NVIDIA H100 80GB HBM3" });
    expect(result.analyses[0]).toMatchObject({ analyzer: "thermal_stability", verdict: "stable", points: 3 });
    const folder = join(home, "diagnostics", result.fingerprint.fingerprint, "lab-balanced");
    expect(result.written).toEqual([join(folder, "20261121T030000-thermal_stability.json")]);
    const index = readFileSync(join(folder, "index.jsonl"), "utf8").trim().split("\n");
    expect(JSON.parse(index[0] as string)).toMatchObject({
      analyzer: "thermal_stability",
      verdict: "stable",
    });
    writeFileSync(join(out, "other.json"), JSON.stringify({ schema_version: "orket.nope" }));
    await expect(analyze({ path: join(out, "other.json"), home })).rejects.toThrow(
      /other\.json: schema_version: expected an orket_report\.json/,
    );
  }, 30_000);

  it("an Ollama model partly outside VRAM (/api/ps size_vram < size) is MODEL_SPILLED_TO_CPU", async () => {
    const task = (await loadBank("builtin")).tasks[0] as Task;
    const server = await startWireServer();
    const code = `\`\`\`python\n${task.reference_solution}\n\`\`\``;
    const done = {
      model: "qwen2.5-coder:7b",
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: "stop",
      total_duration: 900_000_000,
      load_duration: 10_000_000,
      prompt_eval_count: 40,
      prompt_eval_duration: 80_000_000,
      eval_count: 30,
      eval_duration: 700_000_000,
    };
    server.route("GET /api/version", { chunks: [{ data: JSON.stringify({ version: "0.6.2" }) }] });
    server.route("POST /api/chat", {
      chunks: ndjson([
        { model: "qwen2.5-coder:7b", message: { role: "assistant", content: code }, done: false },
        done,
      ]),
    });
    const ps = (sizeVram: number) => ({
      chunks: [
        {
          data: JSON.stringify({
            models: [
              {
                name: "qwen2.5-coder:7b",
                model: "qwen2.5-coder:7b",
                size: 6_000_000_000,
                size_vram: sizeVram,
                digest: "x",
                details: {},
                expires_at: "2026-11-21T03:00:00Z",
              },
            ],
          }),
        },
      ],
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), "orket-bench-spill-"));
      const common = {
        model: "ollama/qwen2.5-coder:7b",
        tasks: task.id,
        home: join(dir, ".orket"),
        providers: { ollamaHost: server.baseUrl },
        loadSampler: steadyLoad,
        sidecar: false,
      };
      server.route("GET /api/ps", ps(4_000_000_000));
      const spilled = await runBenchmark({ ...common, out: join(dir, "a") });
      expect(spilled.report.test_runs[0]?.telemetry.run_quality_reasons).toContain("MODEL_SPILLED_TO_CPU");
      server.route("GET /api/ps", ps(6_000_000_000));
      const whole = await runBenchmark({ ...common, out: join(dir, "b") });
      expect(whole.report.test_runs[0]?.telemetry.run_quality_reasons).not.toContain("MODEL_SPILLED_TO_CPU");
    } finally {
      await server.close();
    }
  }, 30_000);
});
