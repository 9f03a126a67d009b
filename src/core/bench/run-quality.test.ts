import { describe, expect, it } from "vitest";
import type { TokenMetrics } from "../../spec/telemetry.js";
import { judgeRunQuality, type QualityInput } from "./run-quality.js";

const metrics = (over: Partial<TokenMetrics> = {}): TokenMetrics => ({
  status: "OK",
  counts: { prompt_tokens: 100, output_tokens: 50, total_tokens: 150 },
  latencies: { load_seconds: 0.01, prefill_seconds: 0.1, decode_seconds: 1 },
  throughput: { prompt_tokens_per_second: 1000, generation_tokens_per_second: 50 },
  timing_source: "llama.cpp",
  cached_prompt_tokens: 0,
  ...over,
});

const clean: QualityInput = {
  tokenMetrics: metrics(),
  seedFixed: true,
  temperatureFixed: true,
  foreignCpuPercent: 10,
  load1mStart: 0.5,
  coreCount: 2,
  overheadRatio: 0.1,
  modelAnswered: true,
  wallTimingMeaningful: true,
};

const reasons = (over: Partial<QualityInput>) => judgeRunQuality({ ...clean, ...over }).reasons;

describe("judgeRunQuality: one rule per pollution reason", () => {
  it("a clean run is CLEAN with no reasons", () => {
    expect(judgeRunQuality(clean)).toEqual({
      status: "CLEAN",
      reasons: [],
      prefill: { status: "CLEAN", reasons: [] },
    });
  });

  it.each([
    [{ tokenMetrics: metrics({ status: "TIMING_UNAVAILABLE" }) }, "MISSING_TOKEN_TIMINGS"],
    [{ seedFixed: false }, "MISSING_EXPERIMENTAL_CONTROLS"],
    [{ foreignCpuPercent: 10, totalCpuPercent: 90 }, "HIGH_CPU_SATURATION"],
    [{ load1mStart: 3.1 }, "HIGH_SYSTEM_LOAD"],
    [{ windowCpuMeasurable: true, foreignCpuPercent: 25.1 }, "HIGH_SYSTEM_LOAD"],
    [{ overheadRatio: 0.51 }, "HIGH_ORCHESTRATION_OVERHEAD"],
    [
      {
        tokenMetrics: metrics({ latencies: { load_seconds: 1.5, prefill_seconds: 0.1, decode_seconds: 1 } }),
      },
      "COLD_MODEL_LOAD",
    ],
    [{ guardReasons: ["HOT_START"] }, "HOT_START"],
    [{ guardReasons: ["COOLDOWN_TIMEOUT"] }, "COOLDOWN_TIMEOUT"],
    [{ guardReasons: ["VRAM_RATIO_EXCEEDED"] }, "VRAM_RATIO_EXCEEDED"],
    [{ guardReasons: ["THERMAL_THROTTLE_ACTIVE"] }, "THERMAL_THROTTLE_ACTIVE"],
    [{ modelSpilledToCpu: true }, "MODEL_SPILLED_TO_CPU"],
    [{ contextSize: 150, largestCallTokens: 150 }, "PROMPT_TRUNCATED"],
    [{ sidecarStatus: "REQUIRED_FIELD_MISSING" }, "SIDECAR_REQUIRED_FIELD_MISSING"],
  ] as Array<[Partial<QualityInput>, string]>)("%o → %s", (over, reason) => {
    expect(reasons(over)).toEqual([reason]);
    expect(judgeRunQuality({ ...clean, ...over }).status).toBe("POLLUTED");
  });

  it("stays clean just inside every threshold", () => {
    expect(
      reasons({
        foreignCpuPercent: 9,
        totalCpuPercent: 100,
        load1mStart: 3,
        overheadRatio: 0.5,
        contextSize: 151,
        largestCallTokens: 150,
        sidecarStatus: "OPTIONAL_FIELD_MISSING",
        tokenMetrics: metrics({ latencies: { load_seconds: 1, prefill_seconds: 0.1, decode_seconds: 1 } }),
      }),
    ).toEqual([]);
  });

  it("does not judge what it cannot: unanswered calls, instant replays, unknown context", () => {
    expect(
      reasons({ modelAnswered: false, tokenMetrics: metrics({ status: "TOKEN_AND_TIMING_UNAVAILABLE" }) }),
    ).toEqual([]);
    expect(reasons({ wallTimingMeaningful: false, overheadRatio: 0.9 })).toEqual([]);
    expect(reasons({ contextSize: null, largestCallTokens: 10_000 })).toEqual([]);
  });

  it("a cached prompt prefix spoils the prefill figures only, not the run", () => {
    const judged = judgeRunQuality({ ...clean, tokenMetrics: metrics({ cached_prompt_tokens: 12 }) });
    expect(judged.status).toBe("CLEAN");
    expect(judged.prefill).toEqual({ status: "POLLUTED", reasons: ["PROMPT_CACHE_HIT"] });
  });

  it("judges foreign load during the window where it is measured, not the lagging load average", () => {
    const measured = { windowCpuMeasurable: true, load1mStart: 10 };
    expect(reasons({ ...measured, foreignCpuPercent: 25 })).toEqual([]);
    // Measurable, but this window was too short: not judged at all.
    expect(reasons({ ...measured, foreignCpuPercent: null })).toEqual([]);
    expect(reasons({ windowCpuMeasurable: false, load1mStart: 10 })).toEqual(["HIGH_SYSTEM_LOAD"]);
  });

  it("CPU inference at 100 % is not saturation: only foreign load counts, and unknown is not judged", () => {
    expect(reasons({ foreignCpuPercent: null, totalCpuPercent: 100 })).toEqual([]);
    expect(reasons({ foreignCpuPercent: 9.9, totalCpuPercent: 100 })).toEqual([]);
    expect(reasons({ foreignCpuPercent: 20, totalCpuPercent: 89 })).toEqual([]);
  });

  it("sorts and de-duplicates the reasons", () => {
    expect(
      reasons({
        guardReasons: ["VRAM_RATIO_EXCEEDED", "HOT_START", "VRAM_RATIO_EXCEEDED"],
        seedFixed: false,
      }),
    ).toEqual(["HOT_START", "MISSING_EXPERIMENTAL_CONTROLS", "VRAM_RATIO_EXCEEDED"]);
  });
});
