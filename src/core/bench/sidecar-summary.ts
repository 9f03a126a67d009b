/**
 * The `sidecar.parse.v1` record for one sampling window, folded poll by poll so a long window keeps a
 * constant amount of memory: start and end temperature from the first and last samples that had one,
 * VRAM peak as the highest used, means of the optional gauges, throttle reasons as the sorted union.
 * The record depends only on the polls given, in their order.
 */
import type {
  SidecarBackend,
  SidecarParseStatus,
  SidecarPoll,
  SidecarSummary,
  SidecarTimings,
} from "../../spec/sidecar.js";
import { SIDECAR_PARSE_SCHEMA_VERSION } from "../../spec/sidecar.js";
import { round3 } from "../shared/rounding.js";

const REQUIRED = [
  "vram_total_mb",
  "vram_used_mb",
  "vram_peak_mb",
  "thermal_start_c",
  "thermal_end_c",
] as const;
/** Errors kept in the record; the rest is counted in one `truncated:+N` entry. */
const MAX_ERRORS = 64;
/** Distinct errors remembered while folding (garbage output could otherwise grow the set without end). */
const MAX_TRACKED_ERRORS = 1024;

export interface SidecarWindowOptions {
  backend: SidecarBackend;
  intervalMs: number;
  /** Which GPU to describe; 0 unless the run is pinned to another. */
  gpuIndex?: number;
  backendReason?: string | null;
}

export interface SummaryExtras {
  pollsSkipped?: number;
  timings?: SidecarTimings;
}

export interface SidecarAccumulator {
  add(poll: SidecarPoll): void;
  summary(extras?: SummaryExtras): SidecarSummary;
}

class Gauge {
  first: number | null = null;
  last: number | null = null;
  max: number | null = null;
  private sum = 0;
  private count = 0;
  add(value: number | null): void {
    if (value === null) return;
    if (this.first === null) this.first = value;
    this.last = value;
    this.max = this.max === null ? value : Math.max(this.max, value);
    this.sum += value;
    this.count++;
  }
  mean(): number | null {
    return this.count === 0 ? null : round3(this.sum / this.count);
  }
}

/** Starts an empty window; `add` each poll as it completes, `summary` at any time. */
export function createSidecarAccumulator(options: SidecarWindowOptions): SidecarAccumulator {
  const cpuBackend = options.backend === "cpu";
  const gpuIndex = cpuBackend ? null : (options.gpuIndex ?? 0);
  const gauges = {
    temperature: new Gauge(),
    used: new Gauge(),
    total: new Gauge(),
    clock: new Gauge(),
    power: new Gauge(),
    fan: new Gauge(),
    utilization: new Gauge(),
    processCpu: new Gauge(),
    systemCpu: new Gauge(),
  };
  const errors = new Set<string>();
  let untracked = 0;
  const reasons = new Set<string>();
  let reasonsKnown = false;
  let gpuName: string | null = null;
  let driver: string | null = null;
  let gpuCount = 0;
  let samples = 0;
  let polls = 0;
  let failed = 0;

  const addError = (error: string) => {
    if (errors.has(error)) return;
    if (errors.size < MAX_TRACKED_ERRORS) errors.add(error);
    else untracked++;
  };

  return {
    add(poll) {
      polls++;
      if (cpuBackend) {
        if (poll.cpu === null) failed++;
        else samples++;
        gauges.processCpu.add(poll.cpu?.process_cpu_percent ?? null);
        gauges.systemCpu.add(poll.cpu?.system_cpu_percent ?? null);
        return;
      }
      gpuCount = Math.max(gpuCount, poll.gpus.length);
      for (const error of poll.errors) addError(error);
      const gpu = poll.gpus.find((sample) => sample.gpu_index === gpuIndex);
      if (gpu === undefined) {
        failed++;
        return;
      }
      samples++;
      for (const error of gpu.errors) addError(error);
      gpuName ??= gpu.gpu_name;
      driver ??= gpu.driver_version;
      gauges.temperature.add(gpu.temperature_c);
      gauges.used.add(gpu.vram_used_mb);
      gauges.total.add(gpu.vram_total_mb);
      gauges.clock.add(gpu.gpu_clock_mhz);
      gauges.power.add(gpu.power_draw_watts);
      gauges.fan.add(gpu.fan_speed_percent);
      gauges.utilization.add(gpu.utilization_percent);
      if (gpu.throttle_reasons !== null) {
        reasonsKnown = true;
        for (const reason of gpu.throttle_reasons) reasons.add(reason);
      }
    },

    summary(extras = {}) {
      const summary: SidecarSummary = {
        schema_version: SIDECAR_PARSE_SCHEMA_VERSION,
        backend: options.backend,
        gpu_index: gpuIndex,
        gpu_count: gpuCount,
        gpu_name: gpuName,
        driver_version: driver,
        samples,
        polls,
        polls_failed: failed,
        polls_skipped: extras.pollsSkipped ?? 0,
        interval_ms: options.intervalMs,
        vram_total_mb: round3(gauges.total.last),
        vram_used_mb: round3(gauges.used.last),
        vram_peak_mb: round3(gauges.used.max),
        thermal_start_c: round3(gauges.temperature.first),
        thermal_end_c: round3(gauges.temperature.last),
        sidecar_parse_status: "NOT_APPLICABLE",
        sidecar_parse_errors: [],
        thermal_peak_c: round3(gauges.temperature.max),
        gpu_clock_mhz: gauges.clock.mean(),
        power_draw_watts: gauges.power.mean(),
        fan_speed_percent: gauges.fan.mean(),
        utilization_percent: gauges.utilization.mean(),
        throttle_reasons: reasonsKnown ? [...reasons].sort() : null,
      };
      if (cpuBackend) {
        summary.process_cpu_percent_peak = round3(gauges.processCpu.max);
        summary.system_cpu_percent_peak = round3(gauges.systemCpu.max);
      }
      for (const key of ["ttft_ms", "prefill_tps", "decode_tps", "model_load_ms"] as const) {
        const value = extras.timings?.[key];
        if (value !== undefined) summary[key] = round3(value);
      }
      if (options.backendReason !== undefined) summary.backend_reason = options.backendReason;
      if (cpuBackend) return summary;

      const all = new Set(errors);
      const requiredMissing = REQUIRED.filter((key) => summary[key] === null);
      for (const key of requiredMissing) all.add(`missing:${key}`);
      const list = boundErrors(all, untracked);
      summary.sidecar_parse_errors = list;
      summary.sidecar_parse_status = statusOf(requiredMissing.length > 0, list);
      return summary;
    },
  };
}

/**
 * Precedence: REQUIRED_FIELD_MISSING, then PARSE_ERROR (a field, a line or a whole poll could not be
 * read), then OPTIONAL_FIELD_MISSING, then OK.
 */
function statusOf(requiredMissing: boolean, errors: readonly string[]): SidecarParseStatus {
  if (requiredMissing) return "REQUIRED_FIELD_MISSING";
  if (errors.some((e) => e.startsWith("parse:") || e.startsWith("poll:") || e.startsWith("truncated:")))
    return "PARSE_ERROR";
  return errors.length > 0 ? "OPTIONAL_FIELD_MISSING" : "OK";
}

/** Sorted and unique, at most MAX_ERRORS; the overflow is one `truncated:+N` entry, which sorts last. */
function boundErrors(errors: Set<string>, untracked: number): string[] {
  const sorted = [...errors].sort();
  const overflow = Math.max(0, sorted.length - (MAX_ERRORS - 1)) + untracked;
  if (overflow === 0 || (untracked === 0 && sorted.length <= MAX_ERRORS)) return sorted;
  return [...sorted.slice(0, MAX_ERRORS - 1), `truncated:+${overflow}`];
}

/** The record for a finished list of polls (tests, replays); the sampler folds as it goes instead. */
export function summarizeSidecarWindow(
  options: SidecarWindowOptions & SummaryExtras & { polls: readonly SidecarPoll[] },
): SidecarSummary {
  const accumulator = createSidecarAccumulator(options);
  for (const poll of options.polls) accumulator.add(poll);
  return accumulator.summary(options);
}
