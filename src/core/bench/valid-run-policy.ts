/**
 * The valid-run policy (docs/lab.md, "The valid-run policy"; docs/benchmark.md, "Run quality") as named, pure rules over a
 * parsed `orket_report.json`: every run carries the report's lane and profile, canonical token status,
 * its overhead fields and sorted pollution reasons, a reason for every null, and the summary's
 * aggregates are exactly what the VALID runs give, so a polluted run can never move a KPI. `orket check`
 * runs these; whether a run is valid is passed in, so the one rule stays where the bench defines it.
 */
import type { CheckArtifact } from "../../spec/lab.js";
import type { Report, TestRun } from "../../spec/report.js";
import { round3 } from "../shared/rounding.js";
import { mean, median } from "../shared/stats.js";
import { passAtK } from "./scoring.js";
import { tokenStatus } from "./token-metrics.js";

export type RuleResult = CheckArtifact["rules"][number];
export type IsValidRun = (run: TestRun) => boolean;

/** The report rules in the order they run; the first two judge whether the input is a report at all. */
export const REPORT_RULES = [
  "schema_version",
  "required_fields",
  "lane_and_profile_on_every_run",
  "token_status_canonical",
  "overhead_fields_present",
  "polluted_runs_have_reasons",
  "reasons_sorted_unique",
  "nulls_have_reasons",
  "kpi_excludes_polluted",
] as const;
export type ReportRule = (typeof REPORT_RULES)[number];

/** A rule's verdict from its list of problems: passes when there are none, else names the first. */
/** A run counts in a KPI when it is CLEAN and did not error (docs/lab.md, "The valid-run policy"). */
export function isValidRun(run: TestRun): boolean {
  return run.telemetry.run_quality_status === "CLEAN" && run.outcome !== "error";
}

export function verdict(rule: string, problems: readonly string[], okDetail: string): RuleResult {
  if (problems.length === 0) return { rule, passed: true, detail: okDetail };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return { rule, passed: false, detail: `${problems[0]}${more}` };
}

/** Every semantic report rule (all but `schema_version` and `required_fields`, which the caller runs). */
export function reportRules(report: Report, isValid: IsValidRun): RuleResult[] {
  return [
    laneAndProfileOnEveryRun(report),
    tokenStatusCanonical(report),
    overheadFieldsPresent(report),
    pollutedRunsHaveReasons(report),
    reasonsSortedUnique(report),
    nullsHaveReasons(report),
    kpiExcludesPolluted(report, isValid),
  ];
}

export function laneAndProfileOnEveryRun(report: Report): RuleResult {
  const problems = report.test_runs
    .filter(
      (r) =>
        r.telemetry.execution_lane !== report.execution_lane ||
        r.telemetry.vram_profile !== report.vram_profile,
    )
    .map(
      (r) =>
        `${r.test_id}: telemetry says ${r.telemetry.execution_lane}/${r.telemetry.vram_profile}, the report ${report.execution_lane}/${report.vram_profile}`,
    );
  return verdict(
    "lane_and_profile_on_every_run",
    problems,
    `${report.test_runs.length} runs in lane ${report.execution_lane}, profile ${report.vram_profile}`,
  );
}

/** The status must be the one the counts and engine timings imply, and the total the sum of the counts. */
export function tokenStatusCanonical(report: Report): RuleResult {
  const problems: string[] = [];
  for (const run of report.test_runs) {
    const m = run.telemetry.token_metrics;
    const countsKnown = m.counts.prompt_tokens !== null && m.counts.output_tokens !== null;
    const timingsKnown = m.latencies.prefill_seconds !== null && m.latencies.decode_seconds !== null;
    const expected = tokenStatus(countsKnown, timingsKnown);
    if (m.status !== expected)
      problems.push(`${run.test_id}: status ${m.status}, its counts and timings say ${expected}`);
    const total = countsKnown ? (m.counts.prompt_tokens ?? 0) + (m.counts.output_tokens ?? 0) : null;
    if (m.counts.total_tokens !== total)
      problems.push(`${run.test_id}: total_tokens ${m.counts.total_tokens}, prompt + output give ${total}`);
  }
  return verdict("token_status_canonical", problems, "every token status matches its counts and timings");
}

/**
 * `internal_model_seconds`, `orchestration_overhead_ratio` and `run_quality_reasons` on success and
 * failure runs (the ratio null only when the run took no time), `total_latency` on every run.
 */
export function overheadFieldsPresent(report: Report): RuleResult {
  const problems: string[] = [];
  for (const run of report.test_runs) {
    const t = run.telemetry as Record<string, unknown> & Report["test_runs"][number]["telemetry"];
    if (typeof t.total_latency !== "number")
      problems.push(`${run.test_id} (${run.outcome}): total_latency missing`);
    if (run.outcome === "error") continue;
    if (typeof t.internal_model_seconds !== "number")
      problems.push(`${run.test_id} (${run.outcome}): internal_model_seconds missing`);
    if (t.orchestration_overhead_ratio === null && t.total_latency !== 0)
      problems.push(
        `${run.test_id} (${run.outcome}): orchestration_overhead_ratio is null though the run took ${t.total_latency} s`,
      );
    if (!Array.isArray(t.run_quality_reasons))
      problems.push(`${run.test_id} (${run.outcome}): run_quality_reasons missing`);
  }
  return verdict(
    "overhead_fields_present",
    problems,
    "overhead fields present on every success and failure run",
  );
}

export function pollutedRunsHaveReasons(report: Report): RuleResult {
  const problems: string[] = [];
  for (const run of report.test_runs) {
    const { run_quality_status: status, run_quality_reasons: reasons } = run.telemetry;
    if (status === "POLLUTED" && reasons.length === 0)
      problems.push(`${run.test_id}: POLLUTED without a reason`);
    if (status === "CLEAN" && reasons.length > 0)
      problems.push(`${run.test_id}: CLEAN but has reasons ${reasons.join(", ")}`);
  }
  const polluted = report.test_runs.filter((r) => r.telemetry.run_quality_status === "POLLUTED").length;
  return verdict("polluted_runs_have_reasons", problems, `${polluted} POLLUTED runs, each with its reasons`);
}

export function reasonsSortedUnique(report: Report): RuleResult {
  const problems = report.test_runs
    .filter((r) => !isSortedUnique(r.telemetry.run_quality_reasons))
    .map(
      (r) =>
        `${r.test_id}: reasons [${r.telemetry.run_quality_reasons.join(", ")}] are not sorted and unique`,
    );
  return verdict("reasons_sorted_unique", problems, "every run's reasons are sorted and unique");
}

export function isSortedUnique(values: readonly string[]): boolean {
  const canonical = [...new Set(values)].sort();
  return canonical.length === values.length && canonical.every((v, i) => v === values[i]);
}

/** Unknown is null with a reason, never a bare null (docs/telemetry.md). */
export function nullsHaveReasons(report: Report): RuleResult {
  const problems: string[] = [];
  for (const run of report.test_runs) {
    const t = run.telemetry;
    const nulls: Array<[string, boolean]> = [
      ["init_latency", t.init_latency === null],
      ["peak_memory_rss", t.peak_memory_rss === null],
      ["adherence_score", t.adherence_score === null],
      ["token_metrics", t.token_metrics.status !== "OK"],
    ];
    for (const [field, isNull] of nulls) {
      if (isNull && !t.null_reasons[field])
        problems.push(`${run.test_id}: ${field} is unknown without a null reason`);
    }
  }
  return verdict("nulls_have_reasons", problems, "every unknown measure has a reason");
}

/**
 * The summary as the valid runs give it. Per-task `runs` counts every run made; every rate, mean, median
 * and the determinism figures (`distinct_outputs`, `determinism_rate`) are over the valid runs only. Task language and tier are descriptions, taken from the report's own task list.
 */
export function recomputeReportSummary(report: Report, isValid: IsValidRun): Report["summary"] {
  const runs = report.test_runs;
  const valid = runs.filter(isValid);
  const coldPrefill = valid.filter((r) => r.telemetry.prefill_quality?.status !== "POLLUTED");
  const outcomes = { pass: 0, fail: 0, error: 0 };
  for (const r of runs) outcomes[r.outcome]++;
  const taskIds = [...report.settings.task_ids, ...runs.map((r) => r.task_id)].filter(
    (id, i, all) => all.indexOf(id) === i && runs.some((r) => r.task_id === id),
  );
  return {
    test_runs: runs.length,
    valid_runs: valid.length,
    invalid_runs: runs.length - valid.length,
    outcomes,
    pass_rate: share(valid.filter((r) => r.outcome === "pass").length, valid.length),
    mean_adherence: mean(valid.map((r) => r.telemetry.adherence_score)),
    // A prompt prefix served from the cache spoils the first-token figure, and only that (PROMPT_CACHE_HIT).
    median_init_latency: median(coldPrefill.map((r) => r.telemetry.init_latency)),
    prefill_valid_runs: coldPrefill.length,
    median_total_latency: median(valid.map((r) => r.telemetry.total_latency)),
    median_generation_tokens_per_second: median(
      valid.map((r) => r.telemetry.token_metrics.throughput.generation_tokens_per_second),
    ),
    tasks: taskIds.map((id) => {
      const described = report.summary.tasks.find((t) => t.task_id === id);
      const all = runs.filter((r) => r.task_id === id);
      const ok = all.filter(isValid);
      const passes = ok.filter((r) => r.outcome === "pass").length;
      const passAt: Record<string, number> = {};
      for (let k = 1; k <= ok.length; k++) passAt[String(k)] = round3(passAtK(ok.length, passes, k));
      const counts = new Map<string, number>();
      for (const r of ok) counts.set(r.output_hash, (counts.get(r.output_hash) ?? 0) + 1);
      return {
        task_id: id,
        language: described?.language ?? "(missing)",
        tier: described?.tier ?? -1,
        runs: all.length,
        valid_runs: ok.length,
        passes,
        success_rate: share(passes, ok.length),
        pass_at_k: passAt,
        distinct_outputs: counts.size,
        determinism_rate: ok.length >= 2 ? round3(Math.max(...counts.values()) / ok.length) : null,
        mean_adherence: mean(ok.map((r) => r.telemetry.adherence_score)),
      };
    }),
  };
}

export function kpiExcludesPolluted(report: Report, isValid: IsValidRun): RuleResult {
  const expected = recomputeReportSummary(report, isValid);
  const difference = firstDifference(expected, report.summary, "summary");
  const excluded = report.test_runs.filter((r) => !isValid(r));
  const listed = excluded
    .slice(0, 3)
    .map((r) => `${r.test_id} ${r.outcome === "error" ? "error" : r.telemetry.run_quality_status}`)
    .join(", ");
  const note = excluded.length
    ? `${excluded.length} excluded run(s): ${listed}${excluded.length > 3 ? ", ..." : ""}`
    : "no run excluded";
  if (difference === null)
    return {
      rule: "kpi_excludes_polluted",
      passed: true,
      detail: `summary matches the ${expected.valid_runs} valid runs (${note})`,
    };
  return { rule: "kpi_excludes_polluted", passed: false, detail: `${difference} (${note})` };
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : round3(part / whole);
}

/**
 * Where `actual` first departs from `expected`, as one line, or null. Fields only `actual` has are
 * ignored (readers ignore unknown fields), except in pass@k maps, whose keys must match exactly.
 */
export function firstDifference(expected: unknown, actual: unknown, path: string): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path} is ${show(actual)}, expected a list`;
    if (actual.length !== expected.length)
      return `${path} has ${actual.length} entries, the valid runs give ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const found = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual))
      return `${path} is ${show(actual)}, expected an object`;
    const want = expected as Record<string, unknown>;
    const got = actual as Record<string, unknown>;
    for (const key of Object.keys(want)) {
      const found = firstDifference(want[key], got[key], `${path}.${key}`);
      if (found) return found;
    }
    if (path.endsWith(".pass_at_k")) {
      const extra = Object.keys(got).filter((k) => !(k in want));
      if (extra.length) return `${path} has k = ${extra.join(", ")}, beyond the valid runs`;
    }
    return null;
  }
  return Object.is(expected, actual)
    ? null
    : `${path} is ${show(actual)}, the valid runs give ${show(expected)}`;
}

function show(value: unknown): string {
  return value === undefined ? "missing" : JSON.stringify(value);
}
