/**
 * The concurrency sweep's arithmetic (pure): a level's request samples into its row (percentiles,
 * throughput, goodput under the SLO), the knee of a sweep, and the `--slo` syntax.
 */
import { quantileSorted } from "../shared/statistics.js";

export type Slo = {
  ttft_ms: number | null;
  itl_ms: number | null;
};

/** One request as the client saw it; times in ms from its dispatch, null when it never got there. */
export interface RequestSample {
  ok: boolean;
  error_code: string | null;
  ttft_ms: number | null;
  e2e_ms: number;
  /** Gaps between consecutive content chunks. */
  itl_ms: number[];
  /** First content chunk to last, over output tokens − 1; null with fewer than two tokens. */
  tpot_ms: number | null;
  output_tokens: number | null;
  prompt_tokens: number | null;
}

export type Percentiles = {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  samples: number;
};

const r3 = (v: number) => Math.round(v * 1000) / 1000;

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const v = quantileSorted(sorted, q);
    return v === null ? null : r3(v);
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), samples: sorted.length };
}

/** Whether one request met every limit of the SLO (its TTFT, and its mean inter-token gap). */
export function meetsSlo(sample: RequestSample, slo: Slo): boolean {
  if (!sample.ok) return false;
  if (slo.ttft_ms !== null && (sample.ttft_ms === null || sample.ttft_ms > slo.ttft_ms)) return false;
  if (slo.itl_ms !== null && sample.tpot_ms !== null && sample.tpot_ms > slo.itl_ms) return false;
  return true;
}

export interface LevelFigures {
  requests: number;
  ok: number;
  errors: number;
  error_codes: Record<string, number>;
  wall_seconds: number;
  ttft_ms: Percentiles;
  itl_ms: Percentiles;
  tpot_ms: Percentiles;
  e2e_ms: Percentiles;
  output_tokens: number | null;
  prompt_tokens: number | null;
  output_tokens_per_second: number | null;
  requests_per_second: number | null;
  goodput_rps: number | null;
  slo_met_share: number | null;
  slo_broken: boolean | null;
  null_reasons: Record<string, string>;
}

/** A level's row from its samples and its wall time (first dispatch to last answer). */
export function levelFigures(
  samples: readonly RequestSample[],
  wallSeconds: number,
  slo: Slo | null,
): LevelFigures {
  const ok = samples.filter((s) => s.ok);
  const errorCodes: Record<string, number> = {};
  for (const s of samples)
    if (!s.ok) errorCodes[s.error_code ?? "UNKNOWN"] = (errorCodes[s.error_code ?? "UNKNOWN"] ?? 0) + 1;
  const nullReasons: Record<string, string> = {};
  const sum = (pick: (s: RequestSample) => number | null): number | null => {
    let total = 0;
    for (const s of ok) {
      const v = pick(s);
      if (v === null) return null;
      total += v;
    }
    return total;
  };
  const outputTokens = ok.length === 0 ? null : sum((s) => s.output_tokens);
  const promptTokens = ok.length === 0 ? null : sum((s) => s.prompt_tokens);
  if (ok.length === 0) nullReasons.output_tokens = "no request succeeded";
  else if (outputTokens === null) nullReasons.output_tokens = "a response gave no usage (token counts)";
  const perSecond = (v: number | null) => (v === null || wallSeconds <= 0 ? null : r3(v / wallSeconds));
  const itl = ok.flatMap((s) => s.itl_ms);
  if (itl.length === 0) nullReasons.itl_ms = "no stream had two content chunks";
  const ttft = percentiles(ok.flatMap((s) => (s.ttft_ms === null ? [] : [s.ttft_ms])));
  const tpot = percentiles(ok.flatMap((s) => (s.tpot_ms === null ? [] : [s.tpot_ms])));
  let goodput: number | null = null;
  let share: number | null = null;
  let broken: boolean | null = null;
  if (slo === null) nullReasons.goodput_rps = "no --slo was given";
  else {
    const met = samples.filter((s) => meetsSlo(s, slo)).length;
    goodput = perSecond(met);
    share = samples.length === 0 ? null : r3(met / samples.length);
    broken =
      (slo.ttft_ms !== null && (ttft.p90 === null || ttft.p90 > slo.ttft_ms)) ||
      (slo.itl_ms !== null && tpot.p90 !== null && tpot.p90 > slo.itl_ms);
  }
  return {
    requests: samples.length,
    ok: ok.length,
    errors: samples.length - ok.length,
    error_codes: errorCodes,
    wall_seconds: r3(wallSeconds),
    ttft_ms: ttft,
    itl_ms: percentiles(itl),
    tpot_ms: tpot,
    e2e_ms: percentiles(ok.map((s) => s.e2e_ms)),
    output_tokens: outputTokens,
    prompt_tokens: promptTokens,
    output_tokens_per_second: perSecond(outputTokens),
    requests_per_second: perSecond(ok.length),
    goodput_rps: goodput,
    slo_met_share: share,
    slo_broken: broken,
    null_reasons: nullReasons,
  };
}

/**
 * The knee: the lowest level whose p90 TTFT is over twice level 1's (the lowest level swept), or that
 * breaks the SLO. Null when no level does, or when the first level has no TTFT to compare with.
 */
export function findKnee(
  rows: ReadonlyArray<{ concurrency: number; ttft_ms: Percentiles; slo_broken: boolean | null }>,
): { concurrency: number | null; reason: string } {
  const sorted = [...rows].sort((a, b) => a.concurrency - b.concurrency);
  const base = sorted[0];
  if (!base) return { concurrency: null, reason: "no level ran" };
  const baseP90 = base.ttft_ms.p90;
  for (const row of sorted) {
    if (row.slo_broken === true)
      return {
        concurrency: row.concurrency,
        reason: `${row.concurrency} concurrent: the SLO is broken (p90)`,
      };
    if (baseP90 !== null && row !== base && row.ttft_ms.p90 !== null && row.ttft_ms.p90 > 2 * baseP90)
      return {
        concurrency: row.concurrency,
        reason: `${row.concurrency} concurrent: p90 TTFT ${row.ttft_ms.p90} ms is over twice that at ${base.concurrency} (${baseP90} ms)`,
      };
  }
  if (baseP90 === null)
    return { concurrency: null, reason: `level ${base.concurrency} has no TTFT to compare with` };
  return {
    concurrency: null,
    reason: `no level's p90 TTFT went over twice that at ${base.concurrency} (${baseP90} ms)${sorted.some((r) => r.slo_broken !== null) ? " or broke the SLO" : ""}`,
  };
}

/**
 * `--slo ttft:500ms,itl:50ms`: limits in ms or s (`ttft:0.5s`). Throws with a message naming the
 * part that is wrong.
 */
export function parseSlo(text: string, flag = "--slo"): Slo {
  const slo: Slo = { ttft_ms: null, itl_ms: null };
  for (const part of text.split(",").map((p) => p.trim())) {
    const match = /^(ttft|itl):(\d+(?:\.\d+)?)(ms|s)$/.exec(part);
    if (!match)
      throw new Error(`${flag} "${part}": expected ttft:<n>ms or itl:<n>ms (or s), e.g. ttft:500ms,itl:50ms`);
    const value = Number(match[2]) * (match[3] === "s" ? 1000 : 1);
    if (value <= 0) throw new Error(`${flag} "${part}": a limit must be above 0`);
    const key = match[1] === "ttft" ? "ttft_ms" : "itl_ms";
    if (slo[key] !== null) throw new Error(`${flag} names ${match[1]} twice`);
    slo[key] = value;
  }
  return slo;
}

/** `--levels 1,2,4,8,16`: distinct positive integers, ascending. */
export function parseLevels(text: string, flag = "--levels"): number[] {
  const levels = text.split(",").map((p) => p.trim());
  const out: number[] = [];
  for (const level of levels) {
    if (!/^\d+$/.test(level) || Number(level) < 1 || Number(level) > 1024)
      throw new Error(`${flag} "${level}": each level is a whole number of clients from 1 to 1024`);
    if (out.includes(Number(level))) throw new Error(`${flag} names ${level} twice`);
    out.push(Number(level));
  }
  return out.sort((a, b) => a - b);
}

/** `--duration 60s` (also `90`, `2m`, `500ms`): seconds. */
export function parseDuration(text: string, flag = "--duration"): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`${flag} "${text}": expected a time such as 60s, 2m or 500ms`);
  const seconds = Number(match[1]) * (match[2] === "m" ? 60 : match[2] === "ms" ? 0.001 : 1);
  if (seconds <= 0 || seconds > 86_400) throw new Error(`${flag} "${text}": from above 0 to 24 hours`);
  return seconds;
}
