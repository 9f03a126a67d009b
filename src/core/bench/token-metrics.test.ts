import { describe, expect, it } from "vitest";
import { computeTokenMetrics } from "./token-metrics.js";

describe("computeTokenMetrics", () => {
  it("is OK with counts and engine timings, and derives throughput from engine time", () => {
    const m = computeTokenMetrics(
      { promptTokens: 26, outputTokens: 298 },
      { source: "ollama", loadSeconds: 0.005, prefillSeconds: 0.13, decodeSeconds: 4.0 },
    );
    expect(m.status).toBe("OK");
    // Ollama's eval_count / eval_duration: every output token is in the decode window.
    expect(m.counts).toEqual({
      prompt_tokens: 26,
      output_tokens: 298,
      total_tokens: 324,
      decode_tokens: 298,
    });
    expect(m.throughput).toEqual({ prompt_tokens_per_second: 200, generation_tokens_per_second: 74.5 });
    expect(m.latencies.load_seconds).toBe(0.005);
  });
  it("counts llama.cpp's decode window as it does: the first token comes from the prefill", () => {
    const m = computeTokenMetrics(
      { promptTokens: 26, outputTokens: 11 },
      {
        source: "llama.cpp",
        loadSeconds: undefined,
        prefillSeconds: 0.1,
        decodeSeconds: 0.5,
        decodeTokens: 10,
      },
    );
    expect(m.counts.decode_tokens).toBe(10);
    expect(m.throughput.generation_tokens_per_second).toBe(20);
  });

  it("names each missing half and never turns unknown into 0", () => {
    expect(computeTokenMetrics({ promptTokens: 3, outputTokens: 4 }, undefined).status).toBe(
      "TIMING_UNAVAILABLE",
    );
    const noCounts = computeTokenMetrics(
      { promptTokens: undefined, outputTokens: 4 },
      { source: "llama.cpp", loadSeconds: undefined, prefillSeconds: 0.1, decodeSeconds: 0.2 },
    );
    expect(noCounts.status).toBe("TOKEN_COUNT_UNAVAILABLE");
    expect(noCounts.counts.total_tokens).toBeNull();
    expect(noCounts.throughput.prompt_tokens_per_second).toBeNull();
    expect(noCounts.throughput.generation_tokens_per_second).toBe(20);
    const none = computeTokenMetrics(undefined, undefined);
    expect(none.status).toBe("TOKEN_AND_TIMING_UNAVAILABLE");
    expect(none.latencies).toEqual({ load_seconds: null, prefill_seconds: null, decode_seconds: null });
  });
  it("leaves cached prompt tokens out of the prefill rate", () => {
    const m = computeTokenMetrics(
      { promptTokens: 110, outputTokens: 10, cachedPromptTokens: 100 },
      { source: "llama.cpp", loadSeconds: undefined, prefillSeconds: 0.1, decodeSeconds: 1 },
    );
    expect(m.throughput.prompt_tokens_per_second).toBe(100);
    expect(m.cached_prompt_tokens).toBe(100);
  });
  it("gives no rate for a zero-length decode window", () => {
    const m = computeTokenMetrics(
      { promptTokens: 1, outputTokens: 0 },
      { source: "embedded", loadSeconds: 0, prefillSeconds: 0, decodeSeconds: 0 },
    );
    expect(m.throughput.generation_tokens_per_second).toBeNull();
    expect(m.status).toBe("OK");
  });
});
