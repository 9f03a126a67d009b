/**
 * Whether a test run is clean enough to count. Each pollution reason has one rule and one threshold;
 * the reasons are sorted and unique, and any reason makes the run POLLUTED (excluded from aggregates).
 */
import type { TokenMetrics } from "../spec/telemetry.js";

export interface QualityInput {
  tokenMetrics: TokenMetrics;
  /** Whether the run's model calls fixed a seed and a temperature. */
  seedFixed: boolean;
  temperatureFixed: boolean;
  cpuPercentStart: number | null;
  load1mStart: number | null;
  coreCount: number;
  overheadRatio: number | null;
  /** Whether the model calls ran at all (a provider error before any answer has no timings to judge). */
  modelAnswered: boolean;
  /**
   * False when the run's clock did not time a model (a cassette replayed without its recorded pacing):
   * then the share of time outside the model says nothing, and is not judged.
   */
  wallTimingMeaningful: boolean;
}

/** The documented thresholds (docs/benchmark.md). */
export const QUALITY_THRESHOLDS = {
  /** CPU busy share at the start of the run, percent. */
  highCpuPercent: 90,
  /** 1-minute load average per core at the start of the run. */
  highLoadPerCore: 1.5,
  /** Share of the run's wall time spent outside model calls. */
  highOverheadRatio: 0.5,
  /** Seconds the engine spent loading the model in the run's calls. */
  coldLoadSeconds: 1,
} as const;

export function judgeRunQuality(input: QualityInput): { status: "CLEAN" | "POLLUTED"; reasons: string[] } {
  const reasons = new Set<string>();
  const m = input.tokenMetrics;
  if (input.modelAnswered && m.status !== "OK") reasons.add("MISSING_TOKEN_TIMINGS");
  if (!input.seedFixed || !input.temperatureFixed) reasons.add("MISSING_EXPERIMENTAL_CONTROLS");
  if (input.cpuPercentStart !== null && input.cpuPercentStart > QUALITY_THRESHOLDS.highCpuPercent)
    reasons.add("HIGH_CPU_SATURATION");
  if (
    input.load1mStart !== null &&
    input.load1mStart / input.coreCount > QUALITY_THRESHOLDS.highLoadPerCore
  ) {
    reasons.add("HIGH_SYSTEM_LOAD");
  }
  if (
    input.wallTimingMeaningful &&
    input.overheadRatio !== null &&
    input.overheadRatio > QUALITY_THRESHOLDS.highOverheadRatio
  ) {
    reasons.add("HIGH_ORCHESTRATION_OVERHEAD");
  }
  if (m.latencies.load_seconds !== null && m.latencies.load_seconds > QUALITY_THRESHOLDS.coldLoadSeconds)
    reasons.add("COLD_MODEL_LOAD");
  if (m.cached_prompt_tokens !== null && m.cached_prompt_tokens > 0) reasons.add("PROMPT_CACHE_HIT");
  const sorted = [...reasons].sort();
  return { status: sorted.length === 0 ? "CLEAN" : "POLLUTED", reasons: sorted };
}
