/**
 * The hardware sidecar contract (`sidecar.parse.v1`): one GPU reading per poll, the window summary the
 * lab writes beside a run, and the lab guards' decisions (thermal, VRAM). Sidecar values are
 * diagnostics: they can mark a run POLLUTED through a guard, never change its pass/fail outcome.
 * Field names are snake_case as in docs/lab.md; an unknown value is null, never 0.
 */
import { z } from "zod";
import { VramProfileSchema } from "./common.js";

export const SIDECAR_PARSE_SCHEMA_VERSION = "sidecar.parse.v1";

export const SidecarBackendSchema = z.enum(["nvidia", "amd", "cpu"]);
export type SidecarBackend = z.infer<typeof SidecarBackendSchema>;

export const SidecarParseStatusSchema = z.enum([
  "OK",
  "OPTIONAL_FIELD_MISSING",
  "REQUIRED_FIELD_MISSING",
  "PARSE_ERROR",
  "NOT_APPLICABLE",
]);
export type SidecarParseStatus = z.infer<typeof SidecarParseStatusSchema>;

/**
 * Names of the clock event (throttle) reasons, as NVML names its bits. A bit the table does not know is
 * kept as `unknown:0x…` rather than dropped.
 */
export const THROTTLE_REASONS = [
  "gpu_idle",
  "applications_clocks_setting",
  "sw_power_cap",
  "hw_slowdown",
  "sync_boost",
  "sw_thermal_slowdown",
  "hw_thermal_slowdown",
  "hw_power_brake_slowdown",
  "display_clock_setting",
] as const;
export type ThrottleReason = (typeof THROTTLE_REASONS)[number];

const Num = z.number().finite().nullable();
const Mb = z.number().finite().nonnegative().nullable();

/** One GPU as one poll of the vendor tool saw it. */
export const SidecarSampleSchema = z.looseObject({
  backend: SidecarBackendSchema,
  /** Position in the tool's output (nvidia-smi lists GPUs in index order; rocm-smi `cardN`). */
  gpu_index: z.number().int().nonnegative(),
  gpu_name: z.string().nullable(),
  driver_version: z.string().nullable(),
  temperature_c: Num,
  /** MiB, as nvidia-smi reports them (rocm-smi's bytes are converted). */
  vram_used_mb: Mb,
  vram_total_mb: Mb,
  gpu_clock_mhz: Num,
  power_draw_watts: Num,
  fan_speed_percent: Num,
  utilization_percent: Num,
  /** Active clock event reasons; null when the tool could not say. */
  throttle_reasons: z.array(z.string()).nullable(),
  /** `missing:<field>` and `parse:<tool field>=<raw>` entries for this GPU, sorted. */
  errors: z.array(z.string()),
});
export type SidecarSample = z.infer<typeof SidecarSampleSchema>;

/** The CPU backend's reading: this process's CPU (percent of one core) and the system's busy share. */
export const CpuSampleSchema = z.looseObject({
  process_cpu_percent: Num,
  system_cpu_percent: Num,
});
export type CpuSample = z.infer<typeof CpuSampleSchema>;

/** One poll of the sampler: every GPU the tool listed, or the reason the poll produced nothing. */
export const SidecarPollSchema = z.looseObject({
  /** Milliseconds since the window opened, when the poll started. */
  elapsed_ms: z.number().nonnegative(),
  duration_ms: z.number().nonnegative(),
  gpus: z.array(SidecarSampleSchema),
  cpu: CpuSampleSchema.nullable(),
  /** Whole-poll problems: `poll:timeout`, `poll:exit_code_9`, `parse:columns=3`, ... sorted. */
  errors: z.array(z.string()),
});
export type SidecarPoll = z.infer<typeof SidecarPollSchema>;

/** `sidecar.parse.v1`: what one window of sampling saw, for one GPU. */
export const SidecarSummarySchema = z.looseObject({
  schema_version: z.literal(SIDECAR_PARSE_SCHEMA_VERSION),
  backend: SidecarBackendSchema,
  /** The GPU this summary describes; null on the CPU backend. */
  gpu_index: z.number().int().nonnegative().nullable(),
  gpu_count: z.number().int().nonnegative(),
  gpu_name: z.string().nullable(),
  driver_version: z.string().nullable(),
  samples: z.number().int().nonnegative(),
  polls: z.number().int().nonnegative(),
  polls_failed: z.number().int().nonnegative(),
  /** Ticks skipped because the previous poll was still running. */
  polls_skipped: z.number().int().nonnegative(),
  interval_ms: z.number().nonnegative(),
  // Required (may be null when unknown; then the status says REQUIRED_FIELD_MISSING).
  vram_total_mb: Mb,
  /** Used VRAM at the last sample of the window. */
  vram_used_mb: Mb,
  /** Highest used VRAM of the window. */
  vram_peak_mb: Mb,
  thermal_start_c: Num,
  thermal_end_c: Num,
  sidecar_parse_status: SidecarParseStatusSchema,
  /** Sorted, unique: `missing:<field>`, `parse:<tool field>=<raw>`, `poll:<code>`. */
  sidecar_parse_errors: z.array(z.string()),
  // Optional diagnostics.
  thermal_peak_c: Num.optional(),
  /** Means over the samples that had a value. */
  gpu_clock_mhz: Num.optional(),
  power_draw_watts: Num.optional(),
  fan_speed_percent: Num.optional(),
  utilization_percent: Num.optional(),
  /** Union of the reasons seen in the window, sorted; null when no sample could say. */
  throttle_reasons: z.array(z.string()).nullable().optional(),
  /** Run timings the caller attaches (Orket telemetry, not the sidecar); never part of the parse status. */
  ttft_ms: Num.optional(),
  prefill_tps: Num.optional(),
  decode_tps: Num.optional(),
  model_load_ms: Num.optional(),
  /** CPU backend: the window's peaks. */
  process_cpu_percent_peak: Num.optional(),
  system_cpu_percent_peak: Num.optional(),
  /** Why the backend is what it is (e.g. no GPU tool on PATH). */
  backend_reason: z.string().nullable().optional(),
});
export type SidecarSummary = z.infer<typeof SidecarSummarySchema>;

/** Timings a caller may attach to a summary; each null when unknown. */
export interface SidecarTimings {
  ttft_ms?: number | null;
  prefill_tps?: number | null;
  decode_tps?: number | null;
  model_load_ms?: number | null;
}

export const GuardKindSchema = z.enum(["thermal", "vram"]);
export const GuardDecisionValueSchema = z.enum(["pass", "fail", "skip"]);
export type GuardDecisionValue = z.infer<typeof GuardDecisionValueSchema>;

const Measured = z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.string())]);

/** One lab guard's verdict, written into the run summary and the check artifact. */
export const GuardDecisionSchema = z.looseObject({
  guard: GuardKindSchema,
  /** Which check of the guard: `cooldown`, `hot_start`, `throttle`, `vram_preflight`, `vram_window`. */
  check: z.string().min(1),
  decision: GuardDecisionValueSchema,
  /** A stable code: the pollution reason on fail (COOLDOWN_TIMEOUT, HOT_START, ...), else why. */
  reason: z.string().min(1),
  /** Sorted pollution reasons this decision adds to the run (empty unless it failed). */
  pollution_reasons: z.array(z.string()),
  measured: z.record(z.string(), Measured),
  vram_profile: VramProfileSchema.optional(),
});
export type GuardDecision = z.infer<typeof GuardDecisionSchema>;
