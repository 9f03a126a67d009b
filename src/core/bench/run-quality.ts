/**
 * Whether a test run is clean enough to count. Each pollution reason has one rule and one threshold;
 * the reasons are sorted and unique, and any reason makes the run POLLUTED (excluded from aggregates).
 */
import type { TokenMetrics } from "../../spec/telemetry.js";

export interface QualityInput {
  tokenMetrics: TokenMetrics;
  /** Whether the run's model calls fixed a seed and a temperature. */
  seedFixed: boolean;
  temperatureFixed: boolean;
  /**
   * Busy share of all cores during the generation window from processes other than the inference process
   * and Orket itself (null: not measured: too short a window, or the inference process is unknown).
   * CPU inference at 100 % is its normal state, not pollution.
   */
  foreignCpuPercent: number | null;
  /** Busy share of all cores during the generation window, every process included (null: not measured). */
  totalCpuPercent?: number | null | undefined;
  /**
   * Whether the window's CPU could be measured on this platform at all (Linux procfs). Where it cannot,
   * the 1-minute load average at the start is judged instead; it lags by a minute and counts the
   * inference's own threads, so it is only the fallback.
   */
  windowCpuMeasurable?: boolean | undefined;
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
  /** Pollution reasons of failed lab guards (HOT_START, COOLDOWN_TIMEOUT, VRAM_RATIO_EXCEEDED, THERMAL_THROTTLE_ACTIVE). */
  guardReasons?: readonly string[] | undefined;
  /** The hardware sidecar's parse status for the run's window (null: no sidecar). */
  sidecarStatus?: string | null | undefined;
  /** The server reported the model only partly in VRAM (Ollama `/api/ps`: size_vram < size). */
  modelSpilledToCpu?: boolean | undefined;
  /** The context size applied to the backend (null: not set by Orket, the engine's default). */
  contextSize?: number | null | undefined;
  /** The largest prompt + output token count of one model call of the run (null: not counted). */
  largestCallTokens?: number | null | undefined;
}

/** The documented thresholds (docs/benchmark.md). */
export const QUALITY_THRESHOLDS = {
  /** Foreign share of all cores during the generation window: another job took a quarter of the machine. */
  highForeignCpuPercent: 25,
  /** The whole machine this busy during the window, with some of it foreign: it was at its limit. */
  saturatedCpuPercent: 90,
  /** The least foreign share that makes a saturated machine HIGH_CPU_SATURATION, percent. */
  saturationForeignCpuPercent: 10,
  /** Fallback without window measurements: 1-minute load average per core at the start of the run. */
  highLoadPerCore: 1.5,
  /** Share of the run's wall time spent outside model calls. */
  highOverheadRatio: 0.5,
  /** Seconds the engine spent loading the model in the run's calls. */
  coldLoadSeconds: 1,
} as const;

export interface RunQuality {
  status: "CLEAN" | "POLLUTED";
  reasons: string[];
  /**
   * The prefill figures (init_latency, prefill seconds, prompt tokens per second) judged on their own: a
   * prompt prefix served from the engine's cache shortens them, and spoils nothing else.
   */
  prefill: { status: "CLEAN" | "POLLUTED"; reasons: string[] };
}

export function judgeRunQuality(input: QualityInput): RunQuality {
  const reasons = new Set<string>();
  const m = input.tokenMetrics;
  if (input.modelAnswered && m.status !== "OK") reasons.add("MISSING_TOKEN_TIMINGS");
  if (!input.seedFixed || !input.temperatureFixed) reasons.add("MISSING_EXPERIMENTAL_CONTROLS");
  const foreign = input.foreignCpuPercent;
  const total = input.totalCpuPercent ?? null;
  if (
    foreign !== null &&
    total !== null &&
    total >= QUALITY_THRESHOLDS.saturatedCpuPercent &&
    foreign >= QUALITY_THRESHOLDS.saturationForeignCpuPercent
  )
    reasons.add("HIGH_CPU_SATURATION");
  if (input.windowCpuMeasurable) {
    if (foreign !== null && foreign > QUALITY_THRESHOLDS.highForeignCpuPercent)
      reasons.add("HIGH_SYSTEM_LOAD");
  } else if (
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
  for (const reason of input.guardReasons ?? []) reasons.add(reason);
  if (input.sidecarStatus === "REQUIRED_FIELD_MISSING") reasons.add("SIDECAR_REQUIRED_FIELD_MISSING");
  if (input.modelSpilledToCpu) reasons.add("MODEL_SPILLED_TO_CPU");
  if (
    input.contextSize != null &&
    input.largestCallTokens != null &&
    input.largestCallTokens >= input.contextSize
  ) {
    // The window was full: the engine cut the prompt (Ollama, llama.cpp) or stopped at the context.
    reasons.add("PROMPT_TRUNCATED");
  }
  const sorted = [...reasons].sort();
  const prefill = m.cached_prompt_tokens !== null && m.cached_prompt_tokens > 0 ? ["PROMPT_CACHE_HIT"] : [];
  return {
    status: sorted.length === 0 ? "CLEAN" : "POLLUTED",
    reasons: sorted,
    prefill: { status: prefill.length === 0 ? "CLEAN" : "POLLUTED", reasons: prefill },
  };
}
