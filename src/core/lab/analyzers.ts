/**
 * The lab's analyzers, pure. A thermal stability profile over consecutive test runs (does the GPU heat
 * soak, does it throttle, does latency drift with it), and a VRAM fragmentation profile across the
 * quantizations of a sweep (does memory come back between models, how much above the model's own size
 * does a window peak). Each says "not applicable" with the reason when the data is not there — a CPU
 * machine has no GPU temperatures — rather than inventing a verdict.
 */
import { round3 } from "../shared/rounding.js";

export interface ThermalPoint {
  /** The test run (or row) the point belongs to, in the order they ran. */
  label: string;
  start_c: number | null;
  end_c: number | null;
  /** Clock slowdown reasons seen in the window (thermal or hardware), sorted. */
  slowdowns: string[];
  total_latency: number | null;
}

export interface ThermalProfile {
  analyzer: "thermal_stability";
  verdict: "stable" | "heat_soak" | "throttling" | "not_applicable";
  reason: string;
  points: number;
  /** Least-squares slope of the end temperature per run, °C. */
  slope_c_per_run: number | null;
  rise_c: number | null;
  max_c: number | null;
  first_throttled: string | null;
  /** Median latency of the last third over the first third (1 = no drift). */
  latency_drift: number | null;
  thresholds: typeof THERMAL_THRESHOLDS;
}

/**
 * A series heat-soaks when its end temperature climbs this fast (°C per run, and at least half as fast
 * over its second half: it has not settled) and this far in all.
 */
export const THERMAL_THRESHOLDS = { minPoints: 3, slopeCPerRun: 0.5, riseC: 5 } as const;

export function thermalStabilityProfile(points: readonly ThermalPoint[]): ThermalProfile {
  const base = {
    analyzer: "thermal_stability" as const,
    points: points.length,
    thresholds: THERMAL_THRESHOLDS,
  };
  const measured = points.filter((p): p is ThermalPoint & { end_c: number } => p.end_c !== null);
  const throttled = points.find((p) => p.slowdowns.length > 0);
  if (measured.length < THERMAL_THRESHOLDS.minPoints) {
    return {
      ...base,
      verdict: "not_applicable",
      reason:
        measured.length === 0
          ? "no GPU temperatures in these runs (no GPU, or the sidecar could not read one)"
          : `only ${measured.length} run(s) with a GPU temperature; at least ${THERMAL_THRESHOLDS.minPoints} are needed`,
      slope_c_per_run: null,
      rise_c: null,
      max_c: null,
      first_throttled: throttled?.label ?? null,
      latency_drift: null,
    };
  }
  const ends = measured.map((p) => p.end_c);
  const slope = leastSquaresSlope(ends);
  const first = measured[0]?.start_c ?? ends[0] ?? 0;
  const rise = Math.max(...ends) - first;
  const drift = latencyDrift(points.map((p) => p.total_latency));
  const numbers = {
    slope_c_per_run: round3(slope),
    rise_c: round3(rise),
    max_c: round3(Math.max(...ends)),
    first_throttled: throttled?.label ?? null,
    latency_drift: drift,
  };
  if (throttled) {
    return {
      ...base,
      ...numbers,
      verdict: "throttling",
      reason: `clocks were slowed (${throttled.slowdowns.join(", ")}) from ${throttled.label} on; timings after it are not comparable`,
    };
  }
  // Still climbing at the end: the second half of the series has not settled either.
  const tail = leastSquaresSlope(ends.slice(Math.floor(ends.length / 2)));
  if (
    slope > THERMAL_THRESHOLDS.slopeCPerRun &&
    tail > THERMAL_THRESHOLDS.slopeCPerRun / 2 &&
    rise >= THERMAL_THRESHOLDS.riseC
  ) {
    return {
      ...base,
      ...numbers,
      verdict: "heat_soak",
      reason: `the GPU warmed ${round3(slope)} °C per run (${round3(rise)} °C in all) without settling; cool down between runs (orket lab cooldown) or space them out`,
    };
  }
  return {
    ...base,
    ...numbers,
    verdict: "stable",
    reason: `temperature settled: ${round3(slope)} °C per run, ${round3(rise)} °C rise at most`,
  };
}

export interface VramPoint {
  quant_tag: string;
  /** MiB used before the quant's window (the VRAM pre-flight's reading). */
  before_mb: number | null;
  peak_mb: number | null;
  model_mb: number | null;
  total_mb: number | null;
}

export interface VramProfile {
  analyzer: "vram_fragmentation";
  verdict: "clean" | "residual_growth" | "not_applicable";
  reason: string;
  rows: Array<{
    quant_tag: string;
    before_mb: number | null;
    /** Growth of the pre-window usage over the first quant's: memory not given back. */
    residual_mb: number | null;
    /** Window peak above the pre-window usage and the model's own size. */
    overhead_mb: number | null;
  }>;
  /** Residual growth above this share of total VRAM is a finding. */
  threshold_share: number;
}

export function vramFragmentationProfile(points: readonly VramPoint[], thresholdShare = 0.05): VramProfile {
  const baseline = points[0]?.before_mb ?? null;
  const rows = points.map((p) => ({
    quant_tag: p.quant_tag,
    before_mb: p.before_mb,
    residual_mb: baseline === null || p.before_mb === null ? null : round3(p.before_mb - baseline),
    overhead_mb:
      p.peak_mb === null || p.before_mb === null || p.model_mb === null
        ? null
        : round3(p.peak_mb - p.before_mb - p.model_mb),
  }));
  const base = { analyzer: "vram_fragmentation" as const, rows, threshold_share: thresholdShare };
  const total = points.find((p) => p.total_mb !== null)?.total_mb ?? null;
  const residuals = rows.map((r) => r.residual_mb).filter((r): r is number => r !== null);
  if (total === null || residuals.length < 2) {
    return {
      ...base,
      verdict: "not_applicable",
      reason:
        total === null
          ? "no GPU memory readings (no GPU, or no VRAM pre-flight in the sweep)"
          : "fewer than two quantizations with a pre-window VRAM reading",
    };
  }
  const worst = Math.max(...residuals);
  const worstRow = rows.find((r) => r.residual_mb === worst);
  if (worst > thresholdShare * total) {
    return {
      ...base,
      verdict: "residual_growth",
      reason: `${round3(worst)} MiB more was in use before ${worstRow?.quant_tag} than before the first quantization: memory was not given back between models (unload them, or restart the server between quantizations)`,
    };
  }
  return {
    ...base,
    verdict: "clean",
    reason: `memory came back between quantizations (largest residual ${round3(worst)} MiB, under ${round3(thresholdShare * total)} MiB)`,
  };
}

function leastSquaresSlope(values: readonly number[]): number {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

function latencyDrift(latencies: ReadonlyArray<number | null>): number | null {
  const values = latencies.filter((v): v is number => v !== null);
  const third = Math.floor(values.length / 3);
  if (third === 0) return null;
  const first = medianOf(values.slice(0, third));
  const last = medianOf(values.slice(values.length - third));
  return first > 0 ? round3(last / first) : null;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
