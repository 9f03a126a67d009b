/**
 * `orket bench` on the embedded engine with the generated tiny GGUF: the model is loaded by an unmeasured
 * warm-up call, and no test run reuses the previous one's KV cache, so neither the first run
 * (COLD_MODEL_LOAD) nor the later ones (PROMPT_CACHE_HIT) are polluted by the way they were measured.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBenchmark } from "../src/bench/runner.js";
import { writeTinyGguf } from "./support/sweep-fixtures.js";

const steadyLoad = { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) };

describe("orket bench on the embedded engine", () => {
  it("warms the model up and gives every test run a fresh prompt", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-bench-gguf-"));
    const model = join(dir, "tiny.gguf");
    writeTinyGguf(model, { seed: 3 });
    const { report } = await runBenchmark({
      model: `gguf/${model}`,
      tasks: "1-2",
      runs: 2,
      maxOutputTokens: 8,
      home: join(dir, ".orket"),
      out: join(dir, "results"),
      loadSampler: steadyLoad,
      sidecar: false,
    });
    expect(report.settings.warmup?.seconds).toBeGreaterThan(0);
    expect(report.test_runs).toHaveLength(4);
    for (const run of report.test_runs) {
      expect(run.telemetry.token_metrics.cached_prompt_tokens, run.test_id).toBe(0);
      expect(run.telemetry.token_metrics.latencies.load_seconds, run.test_id).toBe(0);
      expect(run.telemetry.run_quality_reasons, run.test_id).not.toContain("PROMPT_CACHE_HIT");
      expect(run.telemetry.run_quality_reasons, run.test_id).not.toContain("COLD_MODEL_LOAD");
    }
  }, 120_000);
});
