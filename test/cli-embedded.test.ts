/**
 * The quick start's path: `orket generate` with no model and no server runs the embedded llama.cpp
 * engine on the smoke model it writes on first use. The smoke model has random weights, so its text is
 * noise; what is checked is that real tokens, timings and memory come back.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CallTelemetrySchema } from "../src/spec/telemetry.js";
import { runCli } from "./support/run-cli.js";
import { refusedUrl } from "./support/wire-server.js";

describe("orket generate on the embedded default", () => {
  it("falls back to the smoke model when no Ollama answers, says so, and measures the call", async () => {
    const home = join(mkdtempSync(join(tmpdir(), "orket-embedded-")), ".orket");
    const env = { ORKET_HOME: home, OLLAMA_HOST: await refusedUrl() };
    const run = await runCli(["generate", "--json", "--max-tokens", "24", "--seed", "1", "Say hello"], {
      env,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /writing the smoke model to .*orket-tiny\.gguf \(random weights: its output is noise\)/,
    );
    expect(run.stderr).toMatch(/model: gguf\/.*orket-tiny\.gguf \(no Ollama at .*embedded llama\.cpp/);
    expect(existsSync(join(home, "models", "orket-tiny.gguf"))).toBe(true);

    const out = JSON.parse(run.stdout);
    const t = CallTelemetrySchema.parse(out.telemetry);
    expect(t.provider).toBe("gguf");
    expect(t.init_latency).not.toBeNull();
    expect(t.init_latency ?? 0).toBeGreaterThan(0);
    expect(t.token_metrics.status).toBe("OK");
    expect(t.token_metrics.timing_source).toBe("embedded");
    expect(t.token_metrics.counts.output_tokens).toBeGreaterThan(0);
    expect(t.token_metrics.counts.output_tokens).toBeLessThanOrEqual(24);
    expect(t.peak_memory_rss ?? 0).toBeGreaterThan(20);
    expect(t.memory_method).toBe("vmhwm:self");

    // Second run: the smoke model is reused, not rewritten.
    const again = await runCli(["generate", "--max-tokens", "8", "Say hello"], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/writing the smoke model/);
    expect(again.stderr).toMatch(/generation tok\/s\s+\d+\.\d{3}/);
  }, 120_000);
});
