/**
 * The leaderboard and the trend of the project's benchmark history (docs/compare.md, History): models
 * × quantizations ranked by pass rate pooled over their recorded valid runs, with an exact
 * (Clopper-Pearson) 95 % interval, speed and memory beside; and one model's figures over time.
 */
import jStat from "jstat";
import { median } from "../shared/stats.js";

/** The fields of a history row the leaderboard reads. */
export interface HistoryFigures {
  generated_at: string;
  model_ref: string;
  quantization: string | null;
  bank_name: string;
  bank_version: string;
  host: string;
  valid_runs: number;
  passes: number;
  pass_rate: number | null;
  median_init_latency: number | null;
  median_total_latency: number | null;
  median_generation_tps: number | null;
  peak_memory_rss: number | null;
}

export interface LeaderboardRow {
  rank: number;
  model_ref: string;
  quantization: string | null;
  bank: string;
  reports: number;
  valid_runs: number;
  passes: number;
  /** Pooled over the valid runs of every recorded report; null with none. */
  pass_rate: number | null;
  /** Exact 95 % interval of the pass rate; null with no valid run. */
  interval: [number, number] | null;
  median_init_latency: number | null;
  median_generation_tps: number | null;
  peak_memory_rss: number | null;
  last_run: string;
}

/** An exact binomial (Clopper-Pearson) interval for `passes` of `runs`. */
export function passRateInterval(passes: number, runs: number, level = 0.95): [number, number] | null {
  if (runs === 0) return null;
  const alpha = 1 - level;
  const lower = passes === 0 ? 0 : jStat.beta.inv(alpha / 2, passes, runs - passes + 1);
  const upper = passes === runs ? 1 : jStat.beta.inv(1 - alpha / 2, passes + 1, runs - passes);
  return [lower, upper];
}

/** Rows grouped by model, quantization and bank; ranked by pass rate, then its lower bound, then speed. */
export function leaderboard(entries: readonly HistoryFigures[]): LeaderboardRow[] {
  const groups = new Map<string, HistoryFigures[]>();
  for (const e of entries) {
    const key = JSON.stringify([e.model_ref, e.quantization, e.bank_name, e.bank_version]);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const rows = [...groups.values()].map((list) => {
    const first = list[0] as HistoryFigures;
    const valid = list.reduce((a, e) => a + e.valid_runs, 0);
    const passes = list.reduce((a, e) => a + e.passes, 0);
    return {
      rank: 0,
      model_ref: first.model_ref,
      quantization: first.quantization,
      bank: `${first.bank_name} ${first.bank_version}`,
      reports: list.length,
      valid_runs: valid,
      passes,
      pass_rate: valid === 0 ? null : passes / valid,
      interval: passRateInterval(passes, valid),
      median_init_latency: median(list.map((e) => e.median_init_latency)),
      median_generation_tps: median(list.map((e) => e.median_generation_tps)),
      peak_memory_rss: median(list.map((e) => e.peak_memory_rss)),
      last_run: list
        .map((e) => e.generated_at)
        .sort()
        .at(-1) as string,
    };
  });
  const order = (v: number | null) => (v === null ? Number.NEGATIVE_INFINITY : v);
  rows.sort(
    (a, b) =>
      order(b.pass_rate) - order(a.pass_rate) ||
      order(b.interval?.[0] ?? null) - order(a.interval?.[0] ?? null) ||
      order(b.median_generation_tps) - order(a.median_generation_tps) ||
      a.model_ref.localeCompare(b.model_ref),
  );
  rows.forEach((row, i) => {
    row.rank = i + 1;
  });
  return rows;
}

/** One model's recorded runs, oldest first: the figures a drift of the model or the box shows in. */
export function trend(entries: readonly HistoryFigures[]): HistoryFigures[] {
  return [...entries].sort((a, b) => a.generated_at.localeCompare(b.generated_at));
}
