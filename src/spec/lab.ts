/**
 * The lab's artifacts (docs/lab.md: sweeps, guards and the valid-run policy): a
 * quantization or context sweep summary, the check artifact of `orket check`, and the per-role model
 * preferences that `orket run` routes seats by. Only valid (CLEAN, error-free) runs ever count in a KPI.
 */
import { z } from "zod";
import { ExecutionLaneSchema, UtcTimestampSchema, VramProfileSchema } from "./common.js";
import { GuardDecisionSchema, SidecarSummarySchema } from "./sidecar.js";

export const SWEEP_SCHEMA_VERSION = "orket.sweep.v1";
export const PREFERENCES_SCHEMA_VERSION = "orket.preferences.v1";
export const CHECK_SCHEMA_VERSION = "orket.check.v1";

const Ratio = z.number().min(0).max(1).nullable();
const Measure = z.number().finite().nonnegative().nullable();

/** What the lab knows of the machine a sweep ran on; `fingerprint` is a hash of the identifying fields. */
export const HardwareFingerprintSchema = z.looseObject({
  fingerprint: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpu_model: z.string(),
  core_count: z.number().int(),
  total_memory_mib: z.number(),
  gpu_backend: z.enum(["nvidia", "amd", "cpu"]),
  gpu_name: z.string().nullable(),
  gpu_vram_total_mb: z.number().nullable(),
  gpu_driver: z.string().nullable(),
});
export type HardwareFingerprint = z.infer<typeof HardwareFingerprintSchema>;

/**
 * A row's KL divergence from the sweep's reference (`sweep quant --kld`), per scored token, as
 * `llama-perplexity --kl-divergence` reports it.
 */
export const KldFiguresSchema = z.looseObject({
  positions: z.number().int().positive(),
  mean_kld: z.number().min(0),
  /** Standard error of the mean. */
  mean_kld_uncertainty: z.number().min(0),
  median_kld: z.number().min(0),
  p99_kld: z.number().min(0),
  max_kld: z.number().min(0),
  /** Positions whose top token is the reference's, in percent. */
  same_top_percent: z.number().min(0).max(100),
  same_top_uncertainty_percent: z.number().min(0),
});
export type KldFigures = z.infer<typeof KldFiguresSchema>;

/** One quantization (or context size) of a sweep: aggregates over its VALID runs only. */
export const SweepRowSchema = z.looseObject({
  /** The quantization tag (q4_K_M), or for a context sweep the context size as text. */
  quant_tag: z.string(),
  model_ref: z.string(),
  /** Context sweep only: the context size really applied to the backend. */
  context_size: z.number().int().positive().nullable().optional(),
  /** Bytes of the model file or Ollama's reported size; null with a reason when unknown. */
  model_size_bytes: z.number().int().nonnegative().nullable(),
  adherence_score: Ratio,
  pass_rate: Ratio,
  /** Medians over valid runs, seconds. */
  total_latency: Measure,
  init_latency: Measure,
  /** MiB, max over valid runs. */
  peak_memory_rss: Measure,
  generation_tokens_per_second: Measure,
  orchestration_overhead_ratio: Ratio,
  /** CLEAN when every run counted; POLLUTED when any was excluded. */
  run_quality_status: z.enum(["CLEAN", "POLLUTED"]),
  /** Union of the pollution reasons of the row's runs, sorted. */
  run_quality_reasons: z.array(z.string()),
  /** False when the row has no valid run: it is then left out of the frontier and recommendations. */
  valid: z.boolean(),
  /** Runs made / runs that counted. */
  test_runs: z.number().int().nonnegative(),
  valid_runs: z.number().int().nonnegative(),
  /** How many tasks the row's figures are over: those valid in every compared row of the sweep. */
  paired_tasks: z.number().int().nonnegative().optional(),
  /** The benchmark report the row was computed from. */
  report_path: z.string().nullable(),
  hardware_sidecar: SidecarSummarySchema.nullable(),
  guards: z.array(GuardDecisionSchema),
  null_reasons: z.record(z.string(), z.string()),
  /**
   * The same measures over EVERY run made, invalid ones included: only for the `--include-invalid`
   * frontier and comparison views, never a KPI or a recommendation.
   */
  all_runs: z.looseObject({ adherence_score: Ratio, pass_rate: Ratio, total_latency: Measure }).optional(),
  /** `--kld`: the row's divergence from the reference; null for the reference itself (`null_reasons.kld`). */
  kld: KldFiguresSchema.nullable().optional(),
});
export type SweepRow = z.infer<typeof SweepRowSchema>;

export const EfficiencyFrontierSchema = z.looseObject({
  /** The smallest quantization (by model size, then memory) that meets the adherence threshold. */
  minimum_viable_quant: z.string().nullable(),
  /** Among rows meeting the threshold and the latency ceiling: the fastest (ties: smaller memory). */
  best_value_quant: z.string().nullable(),
  adherence_threshold: z.number().min(0).max(1),
  /** Seconds (median total latency); null: no ceiling. */
  latency_ceiling: z.number().positive().nullable(),
  reason: z.string(),
  /** Rows on the Pareto front of (adherence up, latency down), in quant order. */
  pareto: z.array(z.string()),
  /** Invalid rows `--include-invalid` let into the Pareto view (by their all-runs measures); never picked. */
  shown_invalid: z.array(z.string()).optional(),
});
export type EfficiencyFrontier = z.infer<typeof EfficiencyFrontierSchema>;

export const StabilityKpisSchema = z.looseObject({
  /** Share of (row, task) pairs with ≥ 2 valid runs whose outputs were all equal. */
  determinism_rate: Ratio,
  /** Share of runs missing token counts/timings or first-token latency. */
  missing_telemetry_rate: Ratio,
  polluted_run_rate: Ratio,
  /** Share of valid rows that meet the adherence threshold. */
  frontier_success_rate: Ratio,
});
export type StabilityKpis = z.infer<typeof StabilityKpisSchema>;

export const CanaryResultSchema = z.looseObject({
  decision: z.enum(["pass", "fail", "skip"]),
  reason: z.string(),
  model_ref: z.string().nullable(),
  runs: z.number().int().nonnegative(),
  /** Spread of adherence between the canary's repeats (0 = identical). */
  adherence_spread: z.number().nullable(),
  /** Coefficient of variation of model time between repeats. */
  model_time_cv: z.number().nullable(),
  thresholds: z.looseObject({ adherence_spread: z.number(), model_time_cv: z.number() }),
});
export type CanaryResult = z.infer<typeof CanaryResultSchema>;

export const SweepSummarySchema = z.looseObject({
  schema_version: z.literal(SWEEP_SCHEMA_VERSION),
  kind: z.enum(["quant", "context"]),
  generated_at: UtcTimestampSchema,
  execution_lane: ExecutionLaneSchema,
  vram_profile: VramProfileSchema,
  model_family: z.string(),
  settings: z.looseObject({
    bank: z.string(),
    tasks: z.string().nullable(),
    runs_per_task: z.number().int().positive(),
    seed: z.number().int(),
    temperature: z.number(),
    adherence_threshold: z.number(),
    latency_ceiling: z.number().nullable(),
    include_invalid: z.boolean(),
  }),
  canary: CanaryResultSchema,
  rows: z.array(SweepRowSchema),
  /**
   * Rows are compared over the same tasks: those with a valid run in every row (that has any). Each
   * left-out task names the rows that had no valid run of it, with their reasons.
   */
  pairing: z
    .looseObject({
      tasks: z.number().int().nonnegative(),
      paired_tasks: z.number().int().nonnegative(),
      excluded: z.array(
        z.looseObject({
          task_id: z.string(),
          rows: z.array(z.looseObject({ row: z.string(), reasons: z.array(z.string()) })),
        }),
      ),
    })
    .optional(),
  efficiency_frontier: EfficiencyFrontierSchema,
  /** Plain words: what to use and why, from valid rows only. */
  recommendation: z.string(),
  /** Context sweep: the largest context meeting every floor/ceiling; null when none does. */
  safe_context_ceiling: z
    .looseObject({
      context_size: z.number().int().nullable(),
      adherence_floor: z.number(),
      first_token_ceiling: z.number().nullable(),
      decode_floor: z.number().nullable(),
      reason: z.string(),
    })
    .nullable()
    .optional(),
  stability_kpis: StabilityKpisSchema,
  hardware_fingerprint: HardwareFingerprintSchema,
  /** The Orket commit that ran the sweep; null with a reason outside a git checkout. */
  commit_sha: z.string().nullable(),
  null_reasons: z.record(z.string(), z.string()),
  /** Seconds: the whole sweep, and the part spent inside its benchmark runs. */
  timing: z.looseObject({ total_seconds: z.number(), benchmark_seconds: z.number() }),
  /** `--kld`: what the rows' KL divergence was measured against and over; absent without `--kld`. */
  kld: z
    .looseObject({
      /** The reference row (the largest file: the most bits per weight). */
      reference: z.string(),
      reference_model_ref: z.string(),
      source: z.looseObject({
        kind: z.enum(["bank", "text"]),
        /** The bank's name or the text file's path. */
        name: z.string(),
        /** Tasks (bank) or windows (text). */
        sequences: z.number().int().nonnegative(),
        ctx: z.number().int().positive().nullable(),
        positions: z.number().int().nonnegative(),
      }),
      seconds: z.number().min(0),
    })
    .optional(),
});
export type SweepSummary = z.infer<typeof SweepSummarySchema>;

/** `orket check`: each rule with its verdict; the command exits non-zero when any failed. */
export const CheckArtifactSchema = z.looseObject({
  schema_version: z.literal(CHECK_SCHEMA_VERSION),
  kind: z.enum(["report", "sweep"]),
  source: z.string(),
  checked_at: UtcTimestampSchema,
  ok: z.boolean(),
  rules: z.array(z.looseObject({ rule: z.string(), passed: z.boolean(), detail: z.string() })),
  guards: z.array(GuardDecisionSchema),
  /** The checked artifact's lane and profile (absent when it had none readable). */
  execution_lane: ExecutionLaneSchema.optional(),
  vram_profile: VramProfileSchema.optional(),
});
export type CheckArtifact = z.infer<typeof CheckArtifactSchema>;

/** Per-role selection policy: what a role's model must achieve. */
export const RolePolicySchema = z.strictObject({
  min_adherence: z.number().min(0).max(1),
  /** Seconds of median total latency; null: no ceiling. */
  max_latency: z.number().positive().nullable(),
  /** What to optimize among the models that pass: adherence first, or speed first. */
  prefer: z.enum(["adherence", "speed"]),
});
export type RolePolicy = z.infer<typeof RolePolicySchema>;

/** `orket/preferences.json`: the model each role's seats are routed to, and why. */
export const PreferencesSchema = z.looseObject({
  schema_version: z.literal(PREFERENCES_SCHEMA_VERSION),
  generated_at: UtcTimestampSchema,
  hardware_fingerprint: z.string().nullable(),
  roles: z.record(
    z.string(),
    z.looseObject({
      model_ref: z.string(),
      reason: z.string(),
      policy: RolePolicySchema,
      adherence_score: Ratio,
      total_latency: Measure,
      source: z.string(),
    }),
  ),
});
export type Preferences = z.infer<typeof PreferencesSchema>;
