/**
 * The statistics of comparing two runs over the same tasks (docs/compare.md): quantiles, an exact
 * McNemar test on discordant pairs, a t interval of paired differences, and a paired cluster bootstrap
 * that resamples tasks (every run of a drawn task comes along, in both reports at once), so that repeats
 * of one task are not counted as independent evidence. Pure: the random source is passed in.
 */

import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import binomialTest from "@stdlib/stats-binomial-test";

/** Linear interpolation between closest ranks (R's type 7, NumPy's default) of sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const below = sorted[lo] as number;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return below + (h - lo) * (above - below);
}

export interface McNemar {
  /** Pairs that passed in the baseline and fail in the candidate. */
  newly_failing: number;
  /** Pairs that failed in the baseline and pass in the candidate. */
  newly_passing: number;
  /** Two-sided exact p (a binomial test of the discordant pairs at one half); 1 with none. */
  p_value: number;
}

/** McNemar's exact test: under no change, a discordant pair is as likely to go one way as the other. */
export function mcnemarExact(newlyFailing: number, newlyPassing: number): McNemar {
  const discordant = newlyFailing + newlyPassing;
  const p = discordant === 0 ? 1 : Math.min(1, binomialTest(newlyPassing, discordant, { p: 0.5 }).pValue);
  return { newly_failing: newlyFailing, newly_passing: newlyPassing, p_value: p };
}

export interface MeanInterval {
  mean: number;
  standard_error: number | null;
  /** The `level` interval of the mean; null with fewer than two differences. */
  interval: [number, number] | null;
}

/**
 * The mean of paired differences with a Student-t interval (the Central Limit Theorem over tasks, as
 * "Adding Error Bars to Evals", Miller 2024, recommends for paired eval scores). A sample with no
 * spread at all gets the zero-width interval at its mean: every task moved by the same amount.
 */
export function pairedMeanInterval(differences: readonly number[], level = 0.95): MeanInterval | null {
  const n = differences.length;
  if (n === 0) return null;
  const mean = differences.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, standard_error: null, interval: null };
  const variance = differences.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1);
  const se = Math.sqrt(variance / n);
  const t = tQuantile(1 - (1 - level) / 2, n - 1);
  return { mean, standard_error: se, interval: [mean - t * se, mean + t * se] };
}

/** Draws `tasks` indices with replacement as counts per index (how often each task is in the resample). */
export function resampleCounts(tasks: number, random: () => number, into: Uint32Array): Uint32Array {
  into.fill(0);
  for (let i = 0; i < tasks; i++) {
    const drawn = Math.min(tasks - 1, Math.floor(random() * tasks));
    into[drawn] = (into[drawn] as number) + 1;
  }
  return into;
}

/**
 * Values of one report, grouped by task and sorted once, so that a resample's quantiles are one walk:
 * each value counts as often as its task was drawn.
 */
export class WeightedSample {
  readonly values: Float64Array;
  readonly taskOf: Uint32Array;

  constructor(perTask: ReadonlyArray<readonly number[]>) {
    const pairs: Array<[number, number]> = [];
    perTask.forEach((values, task) => {
      for (const v of values) pairs.push([v, task]);
    });
    pairs.sort((a, b) => a[0] - b[0]);
    this.values = Float64Array.from(pairs, (p) => p[0]);
    this.taskOf = Uint32Array.from(pairs, (p) => p[1]);
  }

  get size(): number {
    return this.values.length;
  }

  /**
   * The type-7 quantiles `qs` (ascending) and the maximum of the sample in which task t appears
   * counts[t] times (all ones: the sample itself). Null entries when the resample drew no value.
   */
  quantiles(qs: readonly number[], counts: Uint32Array | null, out: Array<number | null>): void {
    const { values, taskOf } = this;
    const weight = (i: number) => (counts === null ? 1 : (counts[taskOf[i] as number] as number));
    let total = 0;
    for (let i = 0; i < values.length; i++) total += weight(i);
    if (total === 0) {
      out.fill(null, 0, qs.length + 1);
      return;
    }
    // One walk up the sorted values: `end` is one past the last position (in the sample with each value
    // repeated by its task's count) that `current` occupies. Positions asked are nondecreasing, except
    // that a quantile's lower position may be the previous quantile's lower one again.
    let i = -1;
    let end = 0;
    let current = Number.NaN;
    let lastLo = -1;
    let lastLoValue = Number.NaN;
    const valueAt = (position: number): number => {
      if (position === lastLo) return lastLoValue;
      while (end <= position) {
        i++;
        const w = weight(i);
        if (w === 0) continue;
        end += w;
        current = values[i] as number;
      }
      return current;
    };
    qs.forEach((q, k) => {
      const h = (total - 1) * q;
      const lo = Math.floor(h);
      const below = valueAt(lo);
      lastLo = lo;
      lastLoValue = below;
      const above = lo + 1 < total ? valueAt(lo + 1) : below;
      out[k] = below + (h - lo) * (above - below);
    });
    for (let j = values.length - 1; j >= 0; j--) {
      if (weight(j) > 0) {
        out[qs.length] = values[j] as number;
        return;
      }
    }
  }
}

/** The two-sided percentile interval of bootstrap replicates (nulls dropped); null with none. */
export function percentileInterval(replicates: number[], level = 0.95): [number, number] | null {
  const known = replicates.filter((r) => Number.isFinite(r)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const alpha = (1 - level) / 2;
  return [quantileSorted(known, alpha) as number, quantileSorted(known, 1 - alpha) as number];
}
