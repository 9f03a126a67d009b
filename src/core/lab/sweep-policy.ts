/**
 * The valid-run policy over a sweep summary, as named pure rules: every quantization it names really
 * ran (its own report, its own model), each row aggregates its valid runs only, no invalid row is
 * recommended, the frontier and KPIs are what the rows (and, when loaded, their reports) give, and the
 * lab lane recorded its guards. A row's report is passed in already read; the caller does the I/O.
 */
import type { SweepRow, SweepSummary } from "../../spec/lab.js";
import type { Report } from "../../spec/report.js";
import {
  firstDifference,
  type IsValidRun,
  isSortedUnique,
  type RuleResult,
  verdict,
} from "../bench/valid-run-policy.js";
import { round3 } from "../shared/rounding.js";
import { efficiencyFrontier, meetsThreshold, safeContextCeiling, stabilityKpis } from "./frontier.js";
import { aggregateSweepRow, RUN_ERROR_REASON, type SweepRowInput, sweepRunFacts } from "./sweep-row.js";

export const SWEEP_RULES = [
  "schema_version",
  "required_fields",
  "every_quant_ran",
  "rows_aggregate_valid_runs_only",
  "invalid_rows_not_recommended",
  "frontier_consistent",
  "kpis_from_valid_runs",
  "guards_recorded",
] as const;
export type SweepRule = (typeof SWEEP_RULES)[number];

/** A row's benchmark report as the caller found it at `report_path`, or why it could not be read. */
export type RowReport = { report: Report } | { error: string };

export interface SweepRuleInput {
  summary: SweepSummary;
  isValid: IsValidRun;
  /** The report of a row; undefined when the caller did not load reports at all. */
  reportOf?: (row: SweepRow) => RowReport;
}

/** Every semantic sweep rule (all but `schema_version` and `required_fields`, which the caller runs). */
export function sweepRules(input: SweepRuleInput): RuleResult[] {
  return [
    everyQuantRan(input),
    rowsAggregateValidRunsOnly(input),
    invalidRowsNotRecommended(input.summary),
    frontierConsistent(input.summary),
    kpisFromValidRuns(input),
    guardsRecorded(input.summary),
  ];
}

const noun = (s: SweepSummary) => (s.kind === "context" ? "context size" : "quantization");

export function everyQuantRan({ summary, reportOf }: SweepRuleInput): RuleResult {
  const problems: string[] = [];
  const rows = summary.rows;
  if (rows.length === 0) problems.push("the sweep has no rows");
  const seen = new Map<string, string>();
  for (const row of rows) {
    if (row.test_runs === 0) problems.push(`${row.quant_tag}: no test run was made`);
    // A context sweep runs one model at several sizes; a quant sweep one model file per row.
    const identity =
      summary.kind === "context" ? `context ${row.context_size ?? "(none)"}` : `model ${row.model_ref}`;
    if (summary.kind === "context" && typeof row.context_size !== "number")
      problems.push(`${row.quant_tag}: a context sweep row without a context_size`);
    const twin = seen.get(identity);
    if (twin !== undefined) problems.push(`${row.quant_tag} and ${twin} both ran ${identity}`);
    seen.set(identity, row.quant_tag);
    if (!reportOf) continue;
    if (row.report_path === null) {
      problems.push(`${row.quant_tag}: no report_path`);
      continue;
    }
    const found = reportOf(row);
    if ("error" in found) {
      problems.push(`${row.quant_tag}: report ${row.report_path}: ${found.error}`);
      continue;
    }
    const { report } = found;
    if (report.settings.model_ref !== row.model_ref)
      problems.push(
        `${row.quant_tag}: its report ran ${report.settings.model_ref}, the row names ${row.model_ref}`,
      );
    if (report.test_runs.length !== row.test_runs)
      problems.push(
        `${row.quant_tag}: the row counts ${row.test_runs} runs, its report has ${report.test_runs.length}`,
      );
  }
  // The sweep may name its targets in its settings: each one named must have a row.
  const targets = Array.isArray(summary.settings.targets) ? (summary.settings.targets as unknown[]) : [];
  for (const target of targets) {
    const label =
      typeof target === "object" && target !== null ? (target as { label?: unknown }).label : undefined;
    if (typeof label === "string" && !rows.some((r) => r.quant_tag === label))
      problems.push(`${label}: named in settings.targets but has no row`);
  }
  const how = reportOf ? "each with its own report" : "reports not loaded";
  return verdict("every_quant_ran", problems, `${rows.length} ${noun(summary)} rows ran (${how})`);
}

/** Reasons that excluded the whole row: failed guards, and row reasons no run of it carries. */
export function rowPollution(row: SweepRow, report: Report): string[] {
  const fromRuns = new Set(report.test_runs.flatMap((r) => r.telemetry.run_quality_reasons));
  const reasons = new Set(row.guards.flatMap((g) => (g.decision === "fail" ? g.pollution_reasons : [])));
  for (const reason of row.run_quality_reasons) {
    if (!fromRuns.has(reason) && reason !== RUN_ERROR_REASON && reason !== "NO_RUNS") reasons.add(reason);
  }
  return [...reasons].sort();
}

function rowInput(row: SweepRow, report: Report, isValid: IsValidRun): SweepRowInput {
  return {
    quantTag: row.quant_tag,
    modelRef: row.model_ref,
    ...(row.context_size === undefined ? {} : { contextSize: row.context_size }),
    modelSizeBytes: row.model_size_bytes,
    runs: report.test_runs,
    isValid,
    rowPollution: rowPollution(row, report),
    reportPath: row.report_path,
    sidecar: null,
    guards: row.guards,
  };
}

const AGGREGATES = [
  "adherence_score",
  "pass_rate",
  "total_latency",
  "init_latency",
  "peak_memory_rss",
  "generation_tokens_per_second",
  "orchestration_overhead_ratio",
  "run_quality_status",
  "run_quality_reasons",
  "valid",
  "test_runs",
  "valid_runs",
] as const;

const MEASURES = AGGREGATES.slice(0, 7);

export function rowsAggregateValidRunsOnly({ summary, isValid, reportOf }: SweepRuleInput): RuleResult {
  const problems: string[] = [];
  let recomputed = 0;
  for (const row of summary.rows) {
    const tag = row.quant_tag;
    if (row.valid !== row.valid_runs > 0)
      problems.push(`${tag}: valid is ${row.valid} with ${row.valid_runs} valid runs`);
    if (row.valid_runs > row.test_runs)
      problems.push(`${tag}: ${row.valid_runs} valid of ${row.test_runs} runs`);
    const clean = row.test_runs > 0 && row.valid_runs === row.test_runs;
    if ((row.run_quality_status === "CLEAN") !== clean)
      problems.push(
        `${tag}: ${row.run_quality_status} with ${row.valid_runs} of ${row.test_runs} runs counted`,
      );
    if (!isSortedUnique(row.run_quality_reasons))
      problems.push(`${tag}: run_quality_reasons not sorted and unique`);
    if (row.valid_runs === 0) {
      for (const field of MEASURES) {
        if (row[field] !== null) problems.push(`${tag}: ${field} is ${row[field]} though no run counted`);
      }
    }
    const found = reportOf && row.report_path !== null ? reportOf(row) : undefined;
    if (!found || "error" in found) continue;
    recomputed++;
    const expected = aggregateSweepRow(rowInput(row, found.report, isValid));
    const pick = (r: SweepRow) => Object.fromEntries(AGGREGATES.map((f) => [f, r[f]]));
    const difference = firstDifference(pick(expected), pick(row), tag);
    if (difference) problems.push(difference.replace("the valid runs give", "its report's valid runs give"));
  }
  return verdict(
    "rows_aggregate_valid_runs_only",
    problems,
    `${summary.rows.length} rows consistent, ${recomputed} recomputed from their reports`,
  );
}

/** Where `text` names `tag` as a word of its own (q4_K is not named by q4_K_M). */
export function names(text: string, tag: string): boolean {
  if (tag === "") return false;
  const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^A-Za-z0-9_.:-])${escaped}(?![A-Za-z0-9_])(?![.:-][A-Za-z0-9])`).test(text);
}

/** A clause may name an invalid row only to say it was left out. */
const EXCLUSION = /no valid run|excluded|invalid|polluted|ended in an error|not counted/i;

export function invalidRowsNotRecommended(summary: SweepSummary): RuleResult {
  const problems: string[] = [];
  const frontier = summary.efficiency_frontier;
  const byTag = new Map(summary.rows.map((r) => [r.quant_tag, r]));
  for (const [field, tag] of [
    ["best_value_quant", frontier.best_value_quant],
    ["minimum_viable_quant", frontier.minimum_viable_quant],
  ] as const) {
    if (tag === null) continue;
    const row = byTag.get(tag);
    if (!row) problems.push(`${field} names ${tag}, which is not a row`);
    else if (!row.valid) problems.push(`${field} names ${tag}, which has no valid run`);
  }
  const invalid = summary.rows.filter((r) => !r.valid);
  const sharedRef = new Set(summary.rows.filter((r) => r.valid).map((r) => r.model_ref));
  for (const clause of summary.recommendation.split(/[;.](?:\s|$)/)) {
    if (EXCLUSION.test(clause)) continue;
    for (const row of invalid) {
      const byRef = !sharedRef.has(row.model_ref) && clause.includes(row.model_ref);
      if (names(clause, row.quant_tag) || byRef)
        problems.push(`the recommendation names invalid row ${row.quant_tag}: "${clause.trim()}"`);
    }
  }
  return verdict(
    "invalid_rows_not_recommended",
    problems,
    `${invalid.length} invalid rows, none recommended or picked`,
  );
}

export function frontierConsistent(summary: SweepSummary): RuleResult {
  const problems: string[] = [];
  const { settings } = summary;
  const given = summary.efficiency_frontier;
  const expected = efficiencyFrontier(summary.rows, {
    adherenceThreshold: settings.adherence_threshold,
    latencyCeiling: settings.latency_ceiling,
    includeInvalid: settings.include_invalid,
  });
  for (const field of [
    "adherence_threshold",
    "latency_ceiling",
    "minimum_viable_quant",
    "best_value_quant",
  ] as const) {
    if (given[field] !== expected[field])
      problems.push(
        `efficiency_frontier.${field} is ${show(given[field])}, the rows give ${show(expected[field])}`,
      );
  }
  if (given.pareto.join("\u0000") !== expected.pareto.join("\u0000"))
    problems.push(
      `efficiency_frontier.pareto is [${given.pareto.join(", ")}], the rows give [${expected.pareto.join(", ")}]`,
    );
  const ceiling = summary.safe_context_ceiling;
  if (ceiling) {
    const again = safeContextCeiling(summary.rows, {
      adherenceFloor: ceiling.adherence_floor,
      firstTokenCeiling: ceiling.first_token_ceiling,
      decodeFloor: ceiling.decode_floor,
    });
    if (again.context_size !== ceiling.context_size)
      problems.push(
        `safe_context_ceiling.context_size is ${show(ceiling.context_size)}, the rows give ${show(again.context_size)}`,
      );
  }
  return verdict(
    "frontier_consistent",
    problems,
    `minimum viable ${show(expected.minimum_viable_quant)}, best value ${show(expected.best_value_quant)}, Pareto [${expected.pareto.join(", ")}]`,
  );
}

export function kpisFromValidRuns({ summary, isValid, reportOf }: SweepRuleInput): RuleResult {
  const problems: string[] = [];
  const given = summary.stability_kpis;
  const threshold = summary.settings.adherence_threshold;
  const valid = summary.rows.filter((r) => r.valid);
  const success =
    valid.length === 0
      ? null
      : round3(valid.filter((r) => meetsThreshold(r, threshold)).length / valid.length);
  if (given.frontier_success_rate !== success)
    problems.push(
      `stability_kpis.frontier_success_rate is ${show(given.frontier_success_rate)}, the valid rows give ${show(success)}`,
    );
  const reports = reportOf
    ? summary.rows.map((row) => (row.report_path === null ? undefined : reportOf(row)))
    : [];
  const loaded = reports.flatMap((r, i) =>
    r && "report" in r ? [{ row: summary.rows[i] as SweepRow, report: r.report }] : [],
  );
  const complete = summary.rows.length > 0 && loaded.length === summary.rows.length;
  if (complete) {
    const facts = loaded.flatMap(({ row, report }) => sweepRunFacts(rowInput(row, report, isValid)));
    const expected = stabilityKpis(summary.rows, facts, threshold);
    for (const field of ["determinism_rate", "missing_telemetry_rate", "polluted_run_rate"] as const) {
      if (given[field] !== expected[field])
        problems.push(
          `stability_kpis.${field} is ${show(given[field])}, the runs give ${show(expected[field])}`,
        );
    }
  }
  const scope = complete
    ? "all four KPIs recomputed from the rows' runs"
    : "frontier_success_rate recomputed; the run-level KPIs need every row's report";
  return verdict("kpis_from_valid_runs", problems, scope);
}

/**
 * In the lab lane on a GPU machine every row that ran records its guard decisions; in any lane a failed
 * guard must have polluted its row (its reasons among the row's, no run counted).
 */
export function guardsRecorded(summary: SweepSummary): RuleResult {
  const problems: string[] = [];
  const gpu = summary.hardware_fingerprint.gpu_backend !== "cpu";
  const required = summary.execution_lane === "lab" && gpu;
  for (const row of summary.rows) {
    if (required && row.test_runs > 0 && row.guards.length === 0)
      problems.push(`${row.quant_tag}: no guard decision recorded in the lab lane`);
    for (const guard of row.guards.filter((g) => g.decision === "fail")) {
      const missing = guard.pollution_reasons.filter((r) => !row.run_quality_reasons.includes(r));
      if (missing.length)
        problems.push(
          `${row.quant_tag}: failed guard ${guard.guard}/${guard.check} did not pollute the row (${missing.join(", ")})`,
        );
      else if (row.valid_runs > 0)
        problems.push(
          `${row.quant_tag}: failed guard ${guard.guard}/${guard.check}, yet ${row.valid_runs} runs counted`,
        );
    }
  }
  const count = summary.rows.reduce((n, r) => n + r.guards.length, 0);
  const why = required
    ? "lab lane on a GPU: required"
    : summary.execution_lane === "lab"
      ? "lab lane without a GPU: nothing to guard"
      : "ci lane: guards are lab-only";
  return verdict("guards_recorded", problems, `${count} guard decisions (${why})`);
}

function show(value: unknown): string {
  return value === null || value === undefined
    ? "null"
    : typeof value === "string"
      ? value
      : JSON.stringify(value);
}
