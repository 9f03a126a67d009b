/**
 * Comparing a candidate report with a baseline over the same bank (docs/compare.md): pairs tasks, scores
 * pass/fail with a paired t interval and McNemar's exact test, compares latency, throughput, memory and
 * adherence by quantiles with paired cluster-bootstrap intervals (tasks resampled, every run of a task
 * kept together), lists what differs in the runs' records, and says in one line whether a change is
 * significant. Pure: the caller passes the parsed reports and the seed.
 */
import type {
  CandidateComparison,
  ComparedReport,
  LeftOutReason,
  MetricComparison,
  Statistic,
  TaskRow,
} from "../../spec/comparison.js";
import type { Report, TestRun } from "../../spec/report.js";
import { mulberry32 } from "../shared/random.js";
import {
  mcnemarExact,
  pairedMeanInterval,
  pairedProportionInterval,
  percentileInterval,
  quantileSorted,
  resampleCounts,
  WeightedSample,
} from "../shared/statistics.js";
import { passAtK } from "./scoring.js";
import { isValidRun } from "./valid-run-policy.js";

export interface CompareOptions {
  resamples: number;
  seed: number;
  confidence: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = { resamples: 2000, seed: 1, confidence: 0.95 };

/** A figure of a test run that the comparison follows, named as the report names it. */
interface MetricSpec {
  key: string;
  unit: string;
  higherIsBetter: boolean;
  read: (run: TestRun) => number | null | undefined;
}

export const COMPARED_METRICS: readonly MetricSpec[] = [
  { key: "init_latency", unit: "s", higherIsBetter: false, read: (r) => r.telemetry.init_latency },
  { key: "total_latency", unit: "s", higherIsBetter: false, read: (r) => r.telemetry.total_latency },
  {
    key: "generation_tokens_per_second",
    unit: "tok/s",
    higherIsBetter: true,
    read: (r) => r.telemetry.token_metrics.throughput.generation_tokens_per_second,
  },
  { key: "peak_memory_rss", unit: "MiB", higherIsBetter: false, read: (r) => r.telemetry.peak_memory_rss },
  { key: "adherence_score", unit: "share", higherIsBetter: true, read: (r) => r.telemetry.adherence_score },
];

export const STATISTICS: readonly Statistic[] = ["p50", "p90", "p99", "max"];
const QUANTILES = [0.5, 0.9, 0.99];

interface Side {
  runs: TestRun[];
  valid: TestRun[];
}

function byTask(report: Report): Map<string, Side> {
  const tasks = new Map<string, Side>();
  for (const id of report.settings.task_ids) tasks.set(id, { runs: [], valid: [] });
  for (const run of report.test_runs) {
    const side = tasks.get(run.task_id) ?? { runs: [], valid: [] };
    side.runs.push(run);
    if (isValidRun(run)) side.valid.push(run);
    tasks.set(run.task_id, side);
  }
  return tasks;
}

function sideRow(side: Side | undefined): TaskRow["baseline"] {
  if (side === undefined) return null;
  const passes = side.valid.filter((r) => r.outcome === "pass").length;
  return {
    runs: side.runs.length,
    valid_runs: side.valid.length,
    passes,
    pass_rate: side.valid.length === 0 ? null : passes / side.valid.length,
  };
}

function leftOut(base: Side | undefined, cand: Side | undefined): LeftOutReason | null {
  if (base === undefined) return "missing_in_baseline";
  if (cand === undefined) return "missing_in_candidate";
  if (base.valid.length === 0) return "invalid_in_baseline";
  if (cand.valid.length === 0) return "invalid_in_candidate";
  return null;
}

const majorityPass = (side: Side) =>
  side.valid.filter((r) => r.outcome === "pass").length * 2 >= side.valid.length && side.valid.length > 0;

export function compareReports(
  baseline: Report,
  candidate: Report,
  candidateInfo: ComparedReport,
  options: CompareOptions = DEFAULT_COMPARE_OPTIONS,
): CandidateComparison {
  const base = byTask(baseline);
  const cand = byTask(candidate);
  const ids = [...new Set([...base.keys(), ...cand.keys()])];
  const rows: TaskRow[] = [];
  const compared: Array<{ id: string; base: Side; cand: Side }> = [];
  const counts: Record<LeftOutReason, number> = {
    missing_in_baseline: 0,
    missing_in_candidate: 0,
    invalid_in_baseline: 0,
    invalid_in_candidate: 0,
  };
  for (const id of ids) {
    const b = base.get(id);
    const c = cand.get(id);
    const reason = leftOut(b, c);
    let flip: TaskRow["flip"] = null;
    if (reason === null && b && c) {
      compared.push({ id, base: b, cand: c });
      const was = majorityPass(b);
      const now = majorityPass(c);
      if (was && !now) flip = "newly_failing";
      if (!was && now) flip = "newly_passing";
    } else if (reason !== null) counts[reason]++;
    rows.push({ task_id: id, left_out: reason, baseline: sideRow(b), candidate: sideRow(c), flip });
  }

  const pass = comparePass(compared, rows, options);
  const samples = COMPARED_METRICS.map((spec) => metricSamples(spec, compared));
  bootstrap(samples, compared.length, options);
  const metrics = samples.map((m) => compareMetric(m, compared.length, options));
  const reproducibility = reproducibilityDifferences(baseline, candidate);
  const comparison: CandidateComparison = {
    candidate: candidateInfo,
    tasks: { compared: compared.length, left_out: counts },
    pass,
    metrics,
    reproducibility,
    task_rows: rows,
    verdict: "",
    gate: null,
  };
  comparison.verdict = verdictLine(comparison);
  return comparison;
}

function comparePass(
  compared: ReadonlyArray<{ base: Side; cand: Side }>,
  rows: readonly TaskRow[],
  options: CompareOptions,
): CandidateComparison["pass"] {
  const rate = (side: Side) => side.valid.filter((r) => r.outcome === "pass").length / side.valid.length;
  const differences = compared.map(({ base, cand }) => rate(cand) - rate(base));
  const mean = (values: number[]) =>
    values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  const newlyFailing = rows.filter((r) => r.flip === "newly_failing").map((r) => r.task_id);
  const newlyPassing = rows.filter((r) => r.flip === "newly_passing").map((r) => r.task_id);
  // One valid run a side per task: a paired 2×2 table, with the Agresti–Min interval; with repeats, the
  // per-task pass rates' differences with a t interval.
  const single = compared.every(({ base, cand }) => base.valid.length === 1 && cand.valid.length === 1);
  const interval = single
    ? pairedProportionInterval(
        {
          bothPass: compared.filter(({ base, cand }) => rate(base) === 1 && rate(cand) === 1).length,
          newlyFailing: newlyFailing.length,
          newlyPassing: newlyPassing.length,
          bothFail: compared.filter(({ base, cand }) => rate(base) === 0 && rate(cand) === 0).length,
        },
        options.confidence,
      )
    : pairedMeanInterval(differences, options.confidence);
  const minValid = Math.min(...compared.flatMap(({ base, cand }) => [base.valid.length, cand.valid.length]));
  const passAtKs: CandidateComparison["pass"]["pass_at_k"] = [];
  if (compared.length > 0 && minValid >= 2) {
    for (let k = 1; k <= minValid; k++) {
      const at = (side: Side) =>
        passAtK(side.valid.length, side.valid.filter((r) => r.outcome === "pass").length, k);
      const b = mean(compared.map(({ base }) => at(base))) as number;
      const c = mean(compared.map(({ cand }) => at(cand))) as number;
      passAtKs.push({ k, baseline: round6(b), candidate: round6(c), difference: round6(c - b) });
    }
  }
  const ci = interval?.interval ?? null;
  return {
    baseline_rate: nullableRound(mean(compared.map(({ base }) => rate(base)))),
    candidate_rate: nullableRound(mean(compared.map(({ cand }) => rate(cand)))),
    difference: nullableRound(interval?.mean ?? null),
    interval: ci === null ? null : [round6(ci[0]), round6(ci[1])],
    significant: ci !== null && excludesZero(ci),
    mcnemar: { ...mcnemarExact(newlyFailing.length, newlyPassing.length) },
    newly_failing: newlyFailing,
    newly_passing: newlyPassing,
    pass_at_k: passAtKs,
  };
}

/** One metric's samples: the two reports' values by task, and the per-task paired differences. */
interface MetricSamples {
  spec: MetricSpec;
  base: WeightedSample;
  cand: WeightedSample;
  paired: WeightedSample;
  pairedTasks: number;
  /** Bootstrap replicates of each statistic's relative change, and of the paired median difference. */
  replicates: number[][];
  pairedReplicates: number[];
}

function metricSamples(spec: MetricSpec, compared: ReadonlyArray<{ base: Side; cand: Side }>): MetricSamples {
  const values = (side: Side) =>
    side.valid.map(spec.read).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const basePerTask = compared.map(({ base }) => values(base));
  const candPerTask = compared.map(({ cand }) => values(cand));
  const middle = (list: number[]) =>
    quantileSorted(
      [...list].sort((x, y) => x - y),
      0.5,
    ) as number;
  // Per task, the candidate's median less the baseline's, over tasks with values on both sides.
  const paired = basePerTask.map((b, i) => {
    const c = candPerTask[i] as number[];
    return b.length === 0 || c.length === 0 ? [] : [middle(c) - middle(b)];
  });
  return {
    spec,
    base: new WeightedSample(basePerTask),
    cand: new WeightedSample(candPerTask),
    paired: new WeightedSample(paired),
    pairedTasks: paired.filter((p) => p.length > 0).length,
    replicates: STATISTICS.map(() => []),
    pairedReplicates: [],
  };
}

/**
 * The paired cluster bootstrap: each resample draws tasks with replacement once, and that one draw
 * serves every statistic of every metric in both reports, so their intervals are of the same resamples.
 */
function bootstrap(samples: readonly MetricSamples[], tasks: number, options: CompareOptions): void {
  if (tasks < 2) return;
  const random = mulberry32(options.seed);
  const counts = new Uint32Array(tasks);
  const b: Array<number | null> = new Array(QUANTILES.length + 1).fill(null);
  const c: Array<number | null> = new Array(QUANTILES.length + 1).fill(null);
  const p: Array<number | null> = [null, null];
  for (let r = 0; r < options.resamples; r++) {
    resampleCounts(tasks, random, counts);
    for (const m of samples) {
      if (m.base.size === 0 || m.cand.size === 0) continue;
      m.base.quantiles(QUANTILES, counts, b);
      m.cand.quantiles(QUANTILES, counts, c);
      for (let s = 0; s < STATISTICS.length; s++) {
        const bv = b[s];
        const cv = c[s];
        (m.replicates[s] as number[]).push(bv == null || cv == null || bv === 0 ? Number.NaN : cv / bv - 1);
      }
      if (m.paired.size > 0) {
        m.paired.quantiles([0.5], counts, p);
        m.pairedReplicates.push(p[0] ?? Number.NaN);
      }
    }
  }
}

function compareMetric(m: MetricSamples, tasks: number, options: CompareOptions): MetricComparison {
  const { spec, replicates, pairedReplicates } = m;
  const baseSample = m.base;
  const candSample = m.cand;
  const pairedSample = m.paired;
  const pairedTasks = m.pairedTasks;
  const baseStats: Array<number | null> = new Array(QUANTILES.length + 1).fill(null);
  const candStats: Array<number | null> = new Array(QUANTILES.length + 1).fill(null);
  const pairedStat: Array<number | null> = [null, null];
  baseSample.quantiles(QUANTILES, null, baseStats);
  candSample.quantiles(QUANTILES, null, candStats);
  pairedSample.quantiles([0.5], null, pairedStat);

  const changes = STATISTICS.map((statistic, s) => {
    const bv = baseStats[s] ?? null;
    const cv = candStats[s] ?? null;
    const relative = bv === null || cv === null || bv === 0 ? null : cv / bv - 1;
    const interval =
      relative === null ? null : percentileInterval(replicates[s] as number[], options.confidence);
    return {
      statistic,
      baseline: nullableRound(bv),
      candidate: nullableRound(cv),
      relative_change: nullableRound(relative),
      interval: interval === null ? null : ([round6(interval[0]), round6(interval[1])] as [number, number]),
      significant: interval !== null && excludesZero(interval),
    };
  });
  const pairedInterval =
    pairedSample.size > 1 ? percentileInterval(pairedReplicates, options.confidence) : null;
  const nullReason =
    baseSample.size === 0 || candSample.size === 0
      ? `no ${spec.key} in the valid runs of ${baseSample.size === 0 ? "the baseline" : "the candidate"}`
      : tasks < 2
        ? "fewer than 2 compared tasks: no interval"
        : null;
  return {
    key: spec.key,
    unit: spec.unit,
    higher_is_better: spec.higherIsBetter,
    baseline_values: baseSample.size,
    candidate_values: candSample.size,
    changes,
    paired: {
      tasks: pairedTasks,
      median_difference: nullableRound(pairedStat[0] ?? null),
      interval: pairedInterval === null ? null : [round6(pairedInterval[0]), round6(pairedInterval[1])],
      significant: pairedInterval !== null && excludesZero(pairedInterval),
    },
    null_reason: nullReason,
  };
}

/** The fields of the two runs' records that differ, by dotted path (model, engine, context, sampler, host). */
export function reproducibilityDifferences(
  baseline: Report,
  candidate: Report,
): CandidateComparison["reproducibility"] {
  const fields: Array<[string, (r: Report) => unknown]> = [
    ["model_ref", (r) => r.settings.model_ref],
    ["model.file_sha256", (r) => r.reproducibility?.model.file_sha256],
    ["model.digest", (r) => r.reproducibility?.model.digest],
    [
      "model.quantization",
      (r) => r.reproducibility?.model.quantization_tag ?? r.reproducibility?.model.quantization,
    ],
    ["engine.name", (r) => r.reproducibility?.engine.name],
    ["engine.build", (r) => r.reproducibility?.engine.build],
    ["engine.version", (r) => r.reproducibility?.engine.version],
    ["context_size", (r) => r.reproducibility?.context_size.effective],
    ["threads", (r) => r.reproducibility?.threads],
    ["gpu_layers", (r) => r.reproducibility?.gpu_layers],
    ["sampler.seed", (r) => r.settings.seed],
    ["sampler.temperature", (r) => r.settings.temperature],
    ["sampler.max_output_tokens", (r) => r.settings.max_output_tokens],
    ["mode", (r) => r.settings.mode],
    ["runs_per_task", (r) => r.settings.runs_per_task],
    ["execution_lane", (r) => r.execution_lane],
    ["evaluator_sandbox", (r) => r.reproducibility?.evaluator_sandbox?.kind],
    ["host.cpu_model", (r) => r.settings.host.cpu_model],
    ["host.core_count", (r) => r.settings.host.core_count],
    ["host.total_memory_mib", (r) => r.settings.host.total_memory_mib],
    ["host.platform", (r) => `${r.settings.host.platform}-${r.settings.host.arch}`],
    ["orket_version", (r) => r.settings.orket_version],
  ];
  const out: CandidateComparison["reproducibility"] = [];
  for (const [field, read] of fields) {
    const b = read(baseline) ?? null;
    const c = read(candidate) ?? null;
    if (JSON.stringify(b) !== JSON.stringify(c)) out.push({ field, baseline: b, candidate: c });
  }
  return out;
}

function excludesZero(interval: readonly [number, number]): boolean {
  return interval[0] > 0 || interval[1] < 0;
}

function percent(value: number): string {
  return `${value >= 0 ? "+" : "−"}${Math.abs(value * 100).toFixed(1)}`;
}

/** One line: the pass-rate change with its interval and significance, then the significant metric changes. */
export function verdictLine(c: Pick<CandidateComparison, "pass" | "metrics" | "tasks">): string {
  const { pass } = c;
  if (c.tasks.compared === 0) return "no task is valid in both reports: nothing to compare";
  const parts: string[] = [];
  if (pass.difference === null) parts.push("pass rate: not comparable");
  else if (pass.interval === null)
    parts.push(
      `pass rate ${percent(pass.difference)} pp over ${c.tasks.compared} task(s): too few tasks for an interval`,
    );
  else
    parts.push(
      `pass rate ${percent(pass.difference)} pp (95 % CI ${percent(pass.interval[0])} to ${percent(pass.interval[1])} pp, McNemar p=${pass.mcnemar.p_value.toPrecision(2)}): ${pass.significant ? "significant" : "not significant"}`,
    );
  const moved = c.metrics.flatMap((m) =>
    m.changes
      .filter((ch) => ch.statistic === "p50" && ch.significant && ch.relative_change !== null)
      .map((ch) => `${m.key}_p50 ${percent(ch.relative_change as number)} %`),
  );
  parts.push(
    moved.length === 0
      ? "no significant change in median speed, memory or adherence"
      : `significant: ${moved.join(", ")}`,
  );
  return parts.join("; ");
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function nullableRound(value: number | null): number | null {
  return value === null ? null : round6(value);
}
