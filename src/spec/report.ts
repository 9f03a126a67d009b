/**
 * `orket_report.json` (`orket.report.v1`): one benchmark's settings, its test runs with their telemetry,
 * and a summary over the valid runs. Readers ignore unknown fields; floats are 3-decimal.
 */
import { z } from "zod";
import { ExecutionLaneSchema, MeasureSchema, UtcTimestampSchema, VramProfileSchema } from "./common.js";
import { GuardDecisionSchema, SidecarSummarySchema } from "./sidecar.js";
import { ClientTimingsSchema, TokenMetricsSchema } from "./telemetry.js";

export const REPORT_SCHEMA_VERSION = "orket.report.v1";

const Seconds = MeasureSchema.nullable();

export const SystemLoadSchema = z.looseObject({
  /** Busy share of all cores since the previous sample, 0–100; null when it could not be measured. */
  cpu_percent: z.number().min(0).max(100).nullable(),
  load_1m: z.number().nonnegative().nullable(),
  core_count: z.number().int().positive(),
});
export type SystemLoad = z.infer<typeof SystemLoadSchema>;

export const RunQualityStatusSchema = z.enum(["CLEAN", "POLLUTED"]);

export const TestRunTelemetrySchema = z.looseObject({
  init_latency: Seconds,
  total_latency: MeasureSchema,
  /** Seconds the validator and the evaluator took to score the answer; null when nothing was scored. */
  evaluation_seconds: Seconds.optional(),
  peak_memory_rss: Seconds,
  adherence_score: z.number().min(0).max(1).nullable(),
  token_metrics: TokenMetricsSchema,
  /** The client's stream timing of a run's single call (first to last text delta); null: several or none. */
  client_timings: ClientTimingsSchema.nullable().optional(),
  internal_model_seconds: MeasureSchema,
  orchestration_overhead_ratio: z.number().min(0).max(1).nullable(),
  run_quality_status: RunQualityStatusSchema,
  run_quality_reasons: z.array(z.string()),
  /** The prefill figures judged on their own (a cached prompt prefix spoils them and nothing else). */
  prefill_quality: z.looseObject({ status: RunQualityStatusSchema, reasons: z.array(z.string()) }).optional(),
  /** Settings of the run's calls that the backend did not apply (the adapter's warnings), de-duplicated. */
  settings_not_applied: z
    .array(z.looseObject({ setting: z.string(), details: z.string(), calls: z.number().int().positive() }))
    .optional(),
  /** CPU during the generation window, with the inference process's own time taken out. */
  generation_cpu: z
    .looseObject({
      foreign_cpu_percent: z.number().min(0).max(100).nullable(),
      total_cpu_percent: z.number().min(0).max(100).nullable(),
      excluded: z.string().nullable(),
      reason: z.string().nullable(),
      /** Share of the inference process's CPU demand spent waiting for a CPU (Linux schedstat), 0–100. */
      inference_wait_percent: z.number().min(0).max(100).nullable().optional(),
      wait_reason: z.string().nullable().optional(),
      /** Share of the window some task on the machine waited for a CPU (Linux PSI), 0–100; a diagnostic. */
      cpu_pressure_percent: z.number().min(0).max(100).nullable().optional(),
    })
    .optional(),
  system_load_start: SystemLoadSchema,
  system_load_end: SystemLoadSchema,
  constraint_validation: z.looseObject({
    passed_checks: z.number().int().nonnegative(),
    total_checks: z.number().int().nonnegative(),
    checks: z.array(
      z.looseObject({
        tier: z.enum(["regex", "ast"]),
        rule: z.string(),
        passed: z.boolean(),
        detail: z.string(),
      }),
    ),
  }),
  evaluation: z
    .looseObject({
      passed_examples: z.number().int().nonnegative(),
      total_examples: z.number().int().nonnegative(),
      error: z.looseObject({ code: z.string(), message: z.string() }).nullable(),
    })
    .nullable(),
  extraction: z.looseObject({ source: z.string(), reason: z.string().nullable() }),
  model_calls: z.number().int().nonnegative(),
  error: z.looseObject({ code: z.string(), message: z.string() }).nullable(),
  null_reasons: z.record(z.string(), z.string()),
  execution_lane: ExecutionLaneSchema,
  vram_profile: VramProfileSchema,
  /** The hardware sidecar's summary of the generation window (`sidecar.parse.v1`); null: not sampled. */
  hardware_sidecar: SidecarSummarySchema.nullable().optional(),
  /** Lab lane: the guards' decisions for this test run (thermal gate, VRAM pre-flight and window). */
  guards: z.array(GuardDecisionSchema).optional(),
});
export type TestRunTelemetry = z.infer<typeof TestRunTelemetrySchema>;

/**
 * What a run that did not pass was asked, what it answered and what the evaluator said of each example
 * it failed: enough to see why without running it again. Kept for failing and erroring runs only, and
 * capped, so a large report stays small.
 */
export const FailureRecordSchema = z.looseObject({
  /** The user prompt the model was given (the task's instruction and its answer shape). */
  prompt: z.string(),
  prompt_truncated: z.boolean(),
  /** The model's answer as it came back (direct mode), or the solution file it wrote (agent mode). */
  answer: z.string(),
  answer_truncated: z.boolean(),
  /** The examples the candidate failed, in order, at most 10: expected against got, or the error. */
  failed_examples: z.array(
    z.looseObject({
      index: z.number().int().nonnegative(),
      detail: z.string(),
      timed_out: z.boolean(),
      exit_code: z.number().int().nullable(),
      signal: z.string().nullable(),
    }),
  ),
});
export type FailureRecord = z.infer<typeof FailureRecordSchema>;

export const TestRunSchema = z.looseObject({
  test_id: z.string().min(1),
  task_id: z.string().min(1),
  run_index: z.number().int().nonnegative(),
  outcome: z.enum(["pass", "fail", "error"]),
  /** sha256 of the normalized extracted code (or answer when no code); equal hashes mean equal outputs. */
  output_hash: z.string(),
  telemetry: TestRunTelemetrySchema,
  /** Runs that did not pass: their prompt, answer and failed examples (absent in older reports). */
  failure: FailureRecordSchema.optional(),
  /** A run taken from the queue: the worker that ran it (absent for a run made in the bench's process). */
  worker: z
    .looseObject({
      id: z.string(),
      host: z.string(),
      /** `hardware.fingerprint` of the worker's machine: runs of one report share it (unless mixed). */
      hardware_fingerprint: z.string(),
    })
    .optional(),
});
export type TestRun = z.infer<typeof TestRunSchema>;

export const TaskSummarySchema = z.looseObject({
  task_id: z.string(),
  language: z.string(),
  tier: z.number().int(),
  runs: z.number().int().nonnegative(),
  valid_runs: z.number().int().nonnegative(),
  passes: z.number().int().nonnegative(),
  success_rate: z.number().min(0).max(1).nullable(),
  /** k → pass@k over valid runs, for k = 1..valid_runs. */
  pass_at_k: z.record(z.string(), z.number().min(0).max(1)),
  /** Distinct outputs among the valid runs. */
  distinct_outputs: z.number().int().nonnegative(),
  /** Share of valid runs whose output equals the most common one; null with fewer than 2 valid runs. */
  determinism_rate: z.number().min(0).max(1).nullable(),
  mean_adherence: z.number().min(0).max(1).nullable(),
});

const NullableString = z.string().nullable();
const NullableInt = z.number().int().nullable();

/** The settings a backend did not apply, as its adapter said, with how many calls said so. */
export const NotAppliedSchema = z.looseObject({
  type: z.literal("unsupported-setting"),
  setting: z.string(),
  details: z.string(),
  calls: z.number().int().positive(),
});

/**
 * What it takes to reproduce a benchmark's runs: the model's identity and quantization as the engine
 * reports them, the engine build, the context (asked and applied), threads, GPU layers, the sampler
 * settings sent and the server's defaults, and the server's own settings. Unknown is null with a reason.
 */
export const ReproducibilitySchema = z.looseObject({
  model_ref: z.string(),
  model: z.looseObject({
    file_sha256: NullableString,
    file_bytes: NullableInt,
    digest: NullableString,
    quantization: NullableString,
    /** The same, in one spelling for every engine (`Q4_K - Medium` → `Q4_K_M`). */
    quantization_tag: NullableString.optional(),
    path: NullableString,
  }),
  engine: z.looseObject({ name: z.string(), build: NullableString, version: NullableString }),
  context_size: z.looseObject({
    requested: NullableInt,
    /** null: nothing was asked; false: asked, not applied (see reason). */
    applied: z.boolean().nullable(),
    effective: NullableInt,
    reason: NullableString,
  }),
  threads: NullableInt,
  gpu_layers: NullableInt,
  sampler: z.looseObject({
    seed: z.number().int().nullable(),
    temperature: z.number().nullable(),
    max_output_tokens: NullableInt,
    server_defaults: z.record(z.string(), z.unknown()).nullable(),
  }),
  server_settings: z.record(z.string(), z.unknown()).nullable(),
  settings_not_applied: z.array(NotAppliedSchema),
  null_reasons: z.record(z.string(), z.string()),
  /** The evaluator sandbox the runs were scored in (docs/benchmark.md): `bwrap`, `unshare` or `none`. */
  evaluator_sandbox: z
    .looseObject({ kind: z.enum(["bwrap", "unshare", "none"]), description: z.string() })
    .optional(),
});
export type Reproducibility = z.infer<typeof ReproducibilitySchema>;

export const ReportSchema = z.looseObject({
  schema_version: z.literal(REPORT_SCHEMA_VERSION),
  report_generated_at: UtcTimestampSchema,
  execution_lane: ExecutionLaneSchema,
  vram_profile: VramProfileSchema,
  /** True when the run was stopped (Ctrl-C) and the report holds what finished. */
  interrupted: z.boolean(),
  settings: z.looseObject({
    model_ref: z.string(),
    model_chosen_because: z.string(),
    bank: z.looseObject({
      name: z.string(),
      version: z.string(),
      source: z.string(),
      /** sha256 of the bank's canonical JSON: its identity (additive; older reports lack it). */
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
    task_ids: z.array(z.string()),
    runs_per_task: z.number().int().positive(),
    mode: z.enum(["direct", "agent"]),
    seed: z.number().int().nullable(),
    temperature: z.number().nullable(),
    max_output_tokens: z.number().int().nullable(),
    experimental_controls: z.looseObject({
      seed_fixed: z.boolean(),
      temperature_fixed: z.boolean(),
      /**
       * `off`: every run pays its own prefill (the embedded engine clears its cache; llama.cpp's server
       * is sent `cache_prompt: false`); `engine-default`: the server reuses a cached prefix as it does.
       */
      prompt_cache: z.enum(["off", "engine-default"]).optional(),
    }),
    /** The unmeasured call that loaded the model before the first test run; seconds null when none. */
    warmup: z.looseObject({ seconds: Seconds, reason: z.string() }).optional(),
    /** The server process measured for memory and left out of the CPU load, and how it was found. */
    server_process: z.looseObject({ pid: z.number().int().nullable(), source: z.string() }).optional(),
    orket_version: z.string(),
    /** The seat role the benchmark was run for (`--role`), for the history and leaderboard; additive. */
    role: z.string().min(1).optional(),
    host: z.looseObject({
      platform: z.string(),
      arch: z.string(),
      cpu_model: z.string(),
      core_count: z.number().int(),
      total_memory_mib: z.number(),
    }),
    /** A benchmark run through the queue (`--queue`): the batch and the workers that ran it. */
    queue: z
      .looseObject({
        queue: z.string(),
        batch_id: z.string(),
        model_key: z.string(),
        workers: z.array(
          z.looseObject({
            id: z.string(),
            host: z.string(),
            hardware_fingerprint: z.string(),
            runs: z.number().int().positive(),
          }),
        ),
        /** `worker`: host names the workers' machine; otherwise the controller's, and why. */
        host_source: z.string(),
      })
      .optional(),
    /**
     * The hardware fingerprints of the runs (queued benchmarks). `mixed`: runs from several machines in
     * one report, asked for with `--mixed-hardware`; every figure of such a report is labeled so.
     */
    hardware: z.looseObject({ mixed: z.boolean(), fingerprints: z.array(z.string()) }).optional(),
  }),
  summary: z.looseObject({
    test_runs: z.number().int().nonnegative(),
    valid_runs: z.number().int().nonnegative(),
    invalid_runs: z.number().int().nonnegative(),
    outcomes: z.looseObject({ pass: z.number().int(), fail: z.number().int(), error: z.number().int() }),
    /** Over valid runs only; null when there are none. */
    pass_rate: z.number().min(0).max(1).nullable(),
    mean_adherence: z.number().min(0).max(1).nullable(),
    /** Over valid runs whose prefill figures count (no cached prompt prefix). */
    median_init_latency: Seconds,
    prefill_valid_runs: z.number().int().nonnegative().optional(),
    median_total_latency: Seconds,
    median_generation_tokens_per_second: Seconds,
    tasks: z.array(TaskSummarySchema),
  }),
  test_runs: z.array(TestRunSchema),
  /** Additive: reports before it lack the record. */
  reproducibility: ReproducibilitySchema.optional(),
});
export type Report = z.infer<typeof ReportSchema>;
