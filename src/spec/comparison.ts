/**
 * `orket.comparison.v1`: what `orket report compare` found between a baseline report and each candidate
 * (docs/compare.md). Every difference carries its 95 % interval and whether that interval excludes no
 * change; a figure that cannot be computed is null with a reason. Readers ignore unknown fields.
 */
import { z } from "zod";

export const COMPARISON_SCHEMA_VERSION = "orket.comparison.v1";

const Interval = z.tuple([z.number(), z.number()]).nullable();
const Nullable = z.number().nullable();

export const ComparedReportSchema = z.looseObject({
  path: z.string(),
  model_ref: z.string(),
  report_generated_at: z.string(),
  bank: z.looseObject({ name: z.string(), version: z.string(), sha256: z.string().nullable() }),
  runs_per_task: z.number().int().positive(),
});

export const LEFT_OUT_REASONS = [
  "missing_in_baseline",
  "missing_in_candidate",
  "invalid_in_baseline",
  "invalid_in_candidate",
] as const;
export const LeftOutReasonSchema = z.enum(LEFT_OUT_REASONS);

const TaskSideSchema = z.looseObject({
  runs: z.number().int().nonnegative(),
  valid_runs: z.number().int().nonnegative(),
  passes: z.number().int().nonnegative(),
  /** Passes over valid runs; null when none is valid. */
  pass_rate: Nullable,
});

export const TaskRowSchema = z.looseObject({
  task_id: z.string(),
  /** Null when compared; else why the task is left out of the statistics. */
  left_out: LeftOutReasonSchema.nullable(),
  baseline: TaskSideSchema.nullable(),
  candidate: TaskSideSchema.nullable(),
  /** Majority outcome of the valid runs changed: newly failing or newly passing; null when not. */
  flip: z.enum(["newly_failing", "newly_passing"]).nullable(),
});

export const StatisticSchema = z.enum(["p50", "p90", "p99", "max"]);
export type Statistic = z.infer<typeof StatisticSchema>;

export const MetricChangeSchema = z.looseObject({
  statistic: StatisticSchema,
  baseline: Nullable,
  candidate: Nullable,
  /** candidate / baseline − 1; null when the baseline is 0 or either side has no value. */
  relative_change: Nullable,
  /** 95 % paired cluster-bootstrap interval of relative_change (tasks resampled). */
  interval: Interval,
  /** The interval excludes no change (0). */
  significant: z.boolean(),
});

export const MetricComparisonSchema = z.looseObject({
  /** The report's own field name: init_latency, total_latency, generation_tokens_per_second, … */
  key: z.string(),
  unit: z.string(),
  higher_is_better: z.boolean(),
  /** Values over valid runs of the compared tasks. */
  baseline_values: z.number().int().nonnegative(),
  candidate_values: z.number().int().nonnegative(),
  changes: z.array(MetricChangeSchema),
  /** Per task: the median of the candidate's runs less the baseline's; the median of those over tasks. */
  paired: z.looseObject({
    tasks: z.number().int().nonnegative(),
    median_difference: Nullable,
    interval: Interval,
    significant: z.boolean(),
  }),
  null_reason: z.string().nullable(),
});

export const PassComparisonSchema = z.looseObject({
  /** Mean over compared tasks of each task's pass rate over its valid runs (one run: the pass rate). */
  baseline_rate: Nullable,
  candidate_rate: Nullable,
  /** candidate_rate − baseline_rate, as a fraction (0.02 = 2 percentage points). */
  difference: Nullable,
  /** 95 % Student-t interval of the mean paired per-task difference; null with fewer than 2 tasks. */
  interval: Interval,
  significant: z.boolean(),
  mcnemar: z.looseObject({
    newly_failing: z.number().int().nonnegative(),
    newly_passing: z.number().int().nonnegative(),
    p_value: z.number().min(0).max(1),
  }),
  newly_failing: z.array(z.string()),
  newly_passing: z.array(z.string()),
  /** pass@k by the unbiased estimator, averaged over compared tasks, for k up to the fewest valid runs. */
  pass_at_k: z.array(
    z.looseObject({
      k: z.number().int().positive(),
      baseline: z.number(),
      candidate: z.number(),
      difference: z.number(),
    }),
  ),
});

export const GateResultSchema = z.looseObject({
  threshold: z.string(),
  key: z.string(),
  unit: z.enum(["pp", "%"]),
  limit: z.number(),
  estimate: Nullable,
  interval: Interval,
  /** breached: estimate past the limit and interval excludes no change; not_significant: the estimate
   * alone is past it; ok: not past it; unknown: not computable (null_reason). */
  status: z.enum(["breached", "not_significant", "ok", "unknown"]),
  null_reason: z.string().nullable(),
});

export const CandidateComparisonSchema = z.looseObject({
  candidate: ComparedReportSchema,
  tasks: z.looseObject({
    compared: z.number().int().nonnegative(),
    left_out: z.record(LeftOutReasonSchema, z.number().int().nonnegative()),
  }),
  pass: PassComparisonSchema,
  metrics: z.array(MetricComparisonSchema),
  /** What differs between the two runs' records, so that a difference can be attributed. */
  reproducibility: z.array(
    z.looseObject({ field: z.string(), baseline: z.unknown(), candidate: z.unknown() }),
  ),
  task_rows: z.array(TaskRowSchema),
  /** One line a person reads first: what changed and whether it is significant. */
  verdict: z.string(),
  gate: z.array(GateResultSchema).nullable(),
});

export const ComparisonSchema = z.looseObject({
  schema_version: z.literal(COMPARISON_SCHEMA_VERSION),
  generated_at: z.string(),
  orket_version: z.string(),
  settings: z.looseObject({
    confidence: z.number(),
    bootstrap_resamples: z.number().int().positive(),
    seed: z.number().int(),
    include_invalid: z.boolean(),
    fail_on: z.string().nullable(),
    strict: z.boolean(),
  }),
  baseline: ComparedReportSchema,
  comparisons: z.array(CandidateComparisonSchema).min(1),
  /** Exit status the gate asks for: true when some threshold is breached (or, with --strict, not significant). */
  gate_failed: z.boolean(),
});
export type Comparison = z.infer<typeof ComparisonSchema>;
export type CandidateComparison = z.infer<typeof CandidateComparisonSchema>;
export type MetricComparison = z.infer<typeof MetricComparisonSchema>;
export type GateResult = z.infer<typeof GateResultSchema>;
export type TaskRow = z.infer<typeof TaskRowSchema>;
export type ComparedReport = z.infer<typeof ComparedReportSchema>;
export type LeftOutReason = z.infer<typeof LeftOutReasonSchema>;
