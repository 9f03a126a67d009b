/**
 * What a sweep's rows say: the efficiency frontier (the smallest quantization that is good enough, the
 * fastest one within a latency ceiling, the Pareto front of adherence against latency), a recommendation
 * in plain words, the stability KPIs and, for a context sweep, the largest safe context.
 *
 * The valid-run policy (docs/lab.md) holds throughout: picks, recommendations and KPIs come from valid
 * rows (their aggregates are over counted runs only). `includeInvalid` lets invalid rows into the Pareto
 * VIEW, by their all-runs measures, and changes nothing else.
 */
import type { EfficiencyFrontier, StabilityKpis, SweepRow, SweepSummary } from "../../spec/lab.js";
import { round3 } from "../shared/rounding.js";
import type { SweepRunFacts } from "./sweep-row.js";

export const DEFAULT_ADHERENCE_THRESHOLD = 0.9;

export interface FrontierOptions {
  adherenceThreshold: number;
  /** Seconds of median total latency; null: no ceiling. */
  latencyCeiling: number | null;
  /** Let invalid rows into the Pareto view (never into a pick). */
  includeInvalid?: boolean;
}

/** The frontier of a sweep's rows. Ties fall to the row listed first. */
export function efficiencyFrontier(rows: readonly SweepRow[], options: FrontierOptions): EfficiencyFrontier {
  const minimum = minimumViable(rows, options);
  const best = bestValue(rows, options);
  const { pareto, shownInvalid } = paretoFront(rows, options.includeInvalid === true);
  const parts: string[] = [];
  const threshold = ratio(options.adherenceThreshold);
  if (minimum) {
    const size = minimum.model_size_bytes === null ? "size unknown" : formatBytes(minimum.model_size_bytes);
    parts.push(`minimum viable: ${minimum.quant_tag} (the smallest meeting adherence ${threshold}, ${size})`);
  } else parts.push(`no valid row meets adherence ${threshold}`);
  if (best) {
    const under = options.latencyCeiling === null ? "" : ` within ${seconds(options.latencyCeiling)}`;
    parts.push(
      `best value: ${best.quant_tag} (the fastest meeting it${under}: ${seconds(best.total_latency)} median)`,
    );
  } else if (minimum && options.latencyCeiling !== null) {
    parts.push(`none meeting it is within the ${seconds(options.latencyCeiling)} latency ceiling`);
  }
  const picked = new Set([minimum?.quant_tag, best?.quant_tag]);
  const missed = rows
    .filter((r) => !picked.has(r.quant_tag))
    .map((r) => `${r.quant_tag}: ${missReason(r, options)}`);
  let reason = `${capitalize(parts.join("; "))}.`;
  if (missed.length > 0) reason += ` Left out: ${missed.join("; ")}.`;
  if (shownInvalid.length > 0)
    reason += ` --include-invalid lets ${shownInvalid.join(", ")} into the Pareto view by all their runs; an invalid row is never picked.`;
  return {
    minimum_viable_quant: minimum?.quant_tag ?? null,
    best_value_quant: best?.quant_tag ?? null,
    adherence_threshold: options.adherenceThreshold,
    latency_ceiling: options.latencyCeiling,
    reason,
    pareto,
    ...(options.includeInvalid ? { shown_invalid: shownInvalid } : {}),
  };
}

/** Whether a row's (valid) adherence reaches the threshold. */
export function meetsThreshold(row: SweepRow, threshold: number): boolean {
  return row.valid && row.adherence_score !== null && row.adherence_score >= threshold;
}

function withinCeiling(row: SweepRow, ceiling: number | null): boolean {
  return ceiling === null || (row.total_latency !== null && row.total_latency <= ceiling);
}

/** Smallest model, then lowest peak memory; an unknown size or memory sorts last. */
function minimumViable(rows: readonly SweepRow[], options: FrontierOptions): SweepRow | undefined {
  return pick(
    rows.filter((r) => meetsThreshold(r, options.adherenceThreshold)),
    (r) => [r.model_size_bytes, r.peak_memory_rss],
  );
}

/** Fastest median total latency within the ceiling; ties: less memory, then the smaller model. */
function bestValue(rows: readonly SweepRow[], options: FrontierOptions): SweepRow | undefined {
  return pick(
    rows.filter(
      (r) => meetsThreshold(r, options.adherenceThreshold) && withinCeiling(r, options.latencyCeiling),
    ),
    (r) => [r.total_latency, r.peak_memory_rss, r.model_size_bytes],
  );
}

function pick(rows: readonly SweepRow[], key: (row: SweepRow) => Array<number | null>): SweepRow | undefined {
  let best: SweepRow | undefined;
  for (const row of rows) {
    if (best === undefined || compareKeys(key(row), key(best)) < 0) best = row;
  }
  return best;
}

function compareKeys(a: Array<number | null>, b: Array<number | null>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? Number.POSITIVE_INFINITY;
    const y = b[i] ?? Number.POSITIVE_INFINITY;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

interface Point {
  tag: string;
  adherence: number;
  latency: number;
}

/** The rows no other row beats on both adherence (up) and latency (down), in row order. */
function paretoFront(
  rows: readonly SweepRow[],
  includeInvalid: boolean,
): { pareto: string[]; shownInvalid: string[] } {
  const points: Point[] = [];
  const shownInvalid: string[] = [];
  for (const row of rows) {
    const source = row.valid ? row : includeInvalid ? row.all_runs : undefined;
    if (!source || source.adherence_score === null || source.total_latency === null) continue;
    points.push({ tag: row.quant_tag, adherence: source.adherence_score, latency: source.total_latency });
    if (!row.valid) shownInvalid.push(row.quant_tag);
  }
  const dominated = (p: Point) =>
    points.some(
      (q) =>
        q !== p &&
        q.adherence >= p.adherence &&
        q.latency <= p.latency &&
        (q.adherence > p.adherence || q.latency < p.latency),
    );
  return { pareto: points.filter((p) => !dominated(p)).map((p) => p.tag), shownInvalid };
}

/** Why a row is not a pick, in a few words. */
function missReason(row: SweepRow, options: FrontierOptions): string {
  if (!row.valid) return `no valid run (${excludedRuns(row)})`;
  if (row.adherence_score === null) return "no adherence (no valid run produced code)";
  if (row.adherence_score < options.adherenceThreshold)
    return `adherence ${ratio(row.adherence_score)} is below the ${ratio(options.adherenceThreshold)} threshold`;
  if (!withinCeiling(row, options.latencyCeiling)) {
    return row.total_latency === null
      ? "no median latency to hold against the ceiling"
      : `median ${seconds(row.total_latency)} is over the ${seconds(options.latencyCeiling ?? 0)} ceiling`;
  }
  return "meets the threshold, but another row is smaller or faster";
}

function excludedRuns(row: SweepRow): string {
  const reasons = row.run_quality_reasons.length ? `: ${row.run_quality_reasons.join(", ")}` : "";
  return `${row.test_runs} made, all excluded${reasons}`;
}

export interface RecommendOptions {
  /** What a row is, for the sentences: "quantization" (default) or "context size". */
  noun?: string;
}

/**
 * The recommendation, in plain words, from valid rows only: which row to use and what it costs against
 * the most adherent alternative, which rows missed and why, and how many runs were excluded.
 */
export function recommend(
  rows: readonly SweepRow[],
  frontier: EfficiencyFrontier,
  facts: readonly SweepRunFacts[],
  options: RecommendOptions = {},
): string {
  const noun = options.noun ?? "quantization";
  const threshold = frontier.adherence_threshold;
  const ceiling = frontier.latency_ceiling;
  const excluded = excludedSentence(facts);
  if (rows.length === 0) return `No recommendation: the sweep has no rows.${excluded}`;
  if (!rows.some((r) => r.valid)) return `No recommendation: no ${noun} had a valid run.${excluded}`;
  const chosen = rows.find((r) => r.valid && r.quant_tag === frontier.best_value_quant);
  if (chosen) {
    let text = `Use ${chosen.quant_tag}: adherence ${ratio(chosen.adherence_score ?? 0)} at ${seconds(chosen.total_latency)} median`;
    const rival = pick(
      rows.filter((r) => r !== chosen && meetsThreshold(r, threshold)),
      (r) => [-(r.adherence_score ?? 0), -(r.model_size_bytes ?? 0)],
    );
    if (rival) text += `, ${comparison(chosen, rival)}`;
    const misses = rows
      .filter((r) => r !== chosen && !meetsThreshold(r, threshold))
      .map((r) => missClause(r, threshold));
    const slow = rows
      .filter((r) => r !== chosen && meetsThreshold(r, threshold) && !withinCeiling(r, ceiling))
      .map((r) => `${r.quant_tag} exceeded the ${seconds(ceiling ?? 0)} latency ceiling`);
    const clauses = [...misses, ...slow];
    return `${text}${clauses.length ? `; ${clauses.join("; ")}` : ""}.${excluded}`;
  }
  const minimum = rows.find((r) => r.valid && r.quant_tag === frontier.minimum_viable_quant);
  if (minimum && ceiling !== null) {
    return `No recommendation: no ${noun} meets both the ${ratio(threshold)} adherence threshold and the ${seconds(ceiling)} latency ceiling; the smallest meeting the threshold, ${minimum.quant_tag}, takes ${seconds(minimum.total_latency)} median.${excluded}`;
  }
  const best = pick(
    rows.filter((r) => r.valid && r.adherence_score !== null),
    (r) => [-(r.adherence_score ?? 0)],
  );
  const closest = best
    ? `best: ${best.quant_tag} at ${ratio(best.adherence_score ?? 0)}`
    : "no valid run produced code";
  return `No recommendation: no ${noun} reached the ${ratio(threshold)} adherence threshold (${closest}).${excluded}`;
}

/** "38 % faster than q8_0 with 0.01 lower adherence". */
function comparison(chosen: SweepRow, rival: SweepRow): string {
  const a = chosen.total_latency;
  const b = rival.total_latency;
  let speed = `compared with ${rival.quant_tag}`;
  if (a !== null && b !== null && b > 0) {
    const percent = Math.round((Math.abs(b - a) / b) * 100);
    speed =
      percent === 0
        ? `as fast as ${rival.quant_tag}`
        : `${percent} % ${a < b ? "faster" : "slower"} than ${rival.quant_tag}`;
  }
  const diff = round3((rival.adherence_score ?? 0) - (chosen.adherence_score ?? 0));
  const adherence =
    diff === 0 ? "equal adherence" : `${ratio(Math.abs(diff))} ${diff > 0 ? "lower" : "higher"} adherence`;
  return `${speed} with ${adherence}`;
}

function missClause(row: SweepRow, threshold: number): string {
  if (!row.valid) return `${row.quant_tag} had no valid run`;
  if (row.adherence_score === null) return `${row.quant_tag} produced no code`;
  return `${row.quant_tag} fell below the ${ratio(threshold)} threshold`;
}

/** " 2 of 12 runs were excluded as POLLUTED (COLD_MODEL_LOAD)." — empty when every run counted. */
export function excludedSentence(facts: readonly SweepRunFacts[]): string {
  const excluded = facts.filter((f) => !f.counted);
  if (excluded.length === 0) return "";
  const polluted = excluded.filter((f) => f.polluted);
  const errored = excluded.filter((f) => !f.polluted && f.errored);
  const reasons = [...new Set(polluted.flatMap((f) => f.reasons))].sort().join(", ");
  const of = `${excluded.length} of ${facts.length} runs ${excluded.length === 1 ? "was" : "were"} excluded`;
  if (errored.length === 0) return ` ${of} as POLLUTED (${reasons}).`;
  if (polluted.length === 0) return ` ${of}: ${errored.length === 1 ? "it" : "they"} ended in an error.`;
  return ` ${of}: ${polluted.length} POLLUTED (${reasons}), ${errored.length} ended in an error.`;
}

/**
 * The stability KPIs. `determinism_rate` and `frontier_success_rate` are over valid runs and rows only;
 * `missing_telemetry_rate` and `polluted_run_rate` measure the data itself, so they count every run made
 * (over valid runs alone they would be 0 by construction).
 */
export function stabilityKpis(
  rows: readonly SweepRow[],
  facts: readonly SweepRunFacts[],
  adherenceThreshold: number,
): StabilityKpis {
  const groups = new Map<string, string[]>();
  for (const f of facts) {
    if (!f.counted) continue;
    const key = `${f.row}\u0000${f.task_id}`;
    groups.set(key, [...(groups.get(key) ?? []), f.output_hash]);
  }
  const repeated = [...groups.values()].filter((hashes) => hashes.length >= 2);
  const valid = rows.filter((r) => r.valid);
  return {
    determinism_rate: share(repeated.filter((h) => new Set(h).size === 1).length, repeated.length),
    missing_telemetry_rate: share(facts.filter((f) => f.telemetry_missing).length, facts.length),
    polluted_run_rate: share(facts.filter((f) => f.polluted).length, facts.length),
    frontier_success_rate: share(
      valid.filter((r) => meetsThreshold(r, adherenceThreshold)).length,
      valid.length,
    ),
  };
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : round3(part / whole);
}

/** Adherence and thresholds as text: two decimals, three when two would hide a difference. */
export function ratio(value: number): string {
  const two = value.toFixed(2);
  return Number(two) === round3(value) ? two : round3(value).toFixed(3);
}

/** Seconds as text: one decimal from a second up, else three. */
export function seconds(value: number | null): string {
  if (value === null) return "unknown time";
  return `${value >= 1 ? value.toFixed(1) : value.toFixed(3)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface ContextCeilingOptions {
  /** Lowest acceptable mean adherence; 0 puts no floor (a row without adherence then passes). */
  adherenceFloor: number;
  /** Seconds: highest acceptable median first-token latency; null: none. */
  firstTokenCeiling: number | null;
  /** Tokens per second: lowest acceptable median decode speed; null: none. */
  decodeFloor: number | null;
}

/** `safe_context_ceiling` of the summary. */
export type SafeContextCeiling = NonNullable<SweepSummary["safe_context_ceiling"]>;

/**
 * The largest context size whose VALID row meets every floor and ceiling. A measure a limit needs but
 * the row lacks fails that limit: an unknown is not a pass.
 */
export function safeContextCeiling(
  rows: readonly SweepRow[],
  options: ContextCeilingOptions,
): SafeContextCeiling {
  const sized = rows
    .filter((r): r is SweepRow & { context_size: number } => typeof r.context_size === "number")
    .sort((a, b) => a.context_size - b.context_size);
  const judged = sized.map((row) => ({ row, problems: contextProblems(row, options) }));
  const passing = judged.filter((j) => j.problems.length === 0);
  const failing = judged
    .filter((j) => j.problems.length > 0)
    .map((j) => `${j.row.context_size}: ${j.problems.join(", ")}`);
  const top = passing.at(-1)?.row;
  const missed = failing.length ? ` Missed: ${failing.join("; ")}.` : "";
  const reason = top
    ? `${top.context_size} tokens is the largest context meeting every limit (${limitsText(options)}).${missed}`
    : sized.length === 0
      ? "No row names a context size."
      : `No context size meets every limit (${limitsText(options)}).${missed}`;
  return {
    context_size: top?.context_size ?? null,
    adherence_floor: options.adherenceFloor,
    first_token_ceiling: options.firstTokenCeiling,
    decode_floor: options.decodeFloor,
    reason,
  };
}

function contextProblems(row: SweepRow, options: ContextCeilingOptions): string[] {
  if (!row.valid) return [`no valid run (${excludedRuns(row)})`];
  const problems: string[] = [];
  if (options.adherenceFloor > 0) {
    if (row.adherence_score === null) problems.push("no adherence (no valid run produced code)");
    else if (row.adherence_score < options.adherenceFloor)
      problems.push(
        `adherence ${ratio(row.adherence_score)} is below the ${ratio(options.adherenceFloor)} floor`,
      );
  }
  if (options.firstTokenCeiling !== null) {
    if (row.init_latency === null) problems.push("first-token latency unknown");
    else if (row.init_latency > options.firstTokenCeiling)
      problems.push(
        `first token ${seconds(row.init_latency)} is over the ${seconds(options.firstTokenCeiling)} ceiling`,
      );
  }
  if (options.decodeFloor !== null) {
    const tps = row.generation_tokens_per_second;
    if (tps === null) problems.push("decode speed unknown");
    else if (tps < options.decodeFloor)
      problems.push(
        `decode ${tps.toFixed(1)} tok/s is under the ${options.decodeFloor.toFixed(1)} tok/s floor`,
      );
  }
  return problems;
}

function limitsText(options: ContextCeilingOptions): string {
  const limits = [
    options.adherenceFloor > 0 ? `adherence ≥ ${ratio(options.adherenceFloor)}` : "no adherence floor",
    options.firstTokenCeiling === null ? null : `first token ≤ ${seconds(options.firstTokenCeiling)}`,
    options.decodeFloor === null ? null : `decode ≥ ${options.decodeFloor.toFixed(1)} tok/s`,
  ];
  return limits.filter((l) => l !== null).join(", ");
}

/** The context sweep's recommendation: the safe ceiling, in plain words, from valid rows only. */
export function recommendContext(
  rows: readonly SweepRow[],
  ceiling: SafeContextCeiling,
  facts: readonly SweepRunFacts[],
): string {
  const excluded = excludedSentence(facts);
  const row = rows.find((r) => r.valid && r.context_size === ceiling.context_size);
  if (ceiling.context_size === null || !row)
    return `No recommendation: ${ceiling.reason.charAt(0).toLowerCase()}${ceiling.reason.slice(1)}${excluded}`;
  const measures = [
    row.adherence_score === null ? null : `adherence ${ratio(row.adherence_score)}`,
    row.init_latency === null ? null : `first token ${seconds(row.init_latency)}`,
    row.generation_tokens_per_second === null
      ? null
      : `decode ${row.generation_tokens_per_second.toFixed(1)} tok/s`,
  ].filter((m) => m !== null);
  const larger = rows
    .filter((r) => (r.context_size ?? 0) > (ceiling.context_size ?? 0))
    .map((r) => String(r.context_size));
  const beyond = larger.length ? `; ${larger.join(", ")} missed a limit` : "";
  return `Use a context of at most ${ceiling.context_size} tokens${measures.length ? `: ${measures.join(", ")}` : ""}${beyond}.${excluded}`;
}
