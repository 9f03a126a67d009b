/**
 * The statistics of comparing two runs over the same tasks (docs/compare.md): quantiles, an exact
 * McNemar test on discordant pairs, a t interval of paired differences, and a paired cluster bootstrap
 * that resamples tasks (every run of a drawn task comes along, in both reports at once), so that repeats
 * of one task are not counted as independent evidence. Pure: the random source is passed in.
 */

import jStat from "jstat";

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
  // Two-sided: twice the tail of the rarer direction (the binomial at one half is symmetric).
  const p =
    discordant === 0
      ? 1
      : Math.min(1, 2 * jStat.binomial.cdf(Math.min(newlyFailing, newlyPassing), discordant, 0.5));
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
  const t = jStat.studentt.inv(1 - (1 - level) / 2, n - 1);
  return { mean, standard_error: se, interval: [mean - t * se, mean + t * se] };
}

/**
 * The difference of two paired proportions (candidate − baseline) with the Agresti–Min interval: a
 * Wald interval on the 2×2 table of paired outcomes with ½ added to each cell (Agresti and Min, 2005).
 * For one pass/fail outcome per task on each side, where the t interval of the differences is
 * degenerate when every task moved the same way (zero spread claims certainty from two tasks).
 */
export function pairedProportionInterval(
  table: { bothPass: number; newlyFailing: number; newlyPassing: number; bothFail: number },
  level = 0.95,
): MeanInterval | null {
  const n = table.bothPass + table.newlyFailing + table.newlyPassing + table.bothFail;
  if (n === 0) return null;
  const mean = (table.newlyPassing - table.newlyFailing) / n;
  const adjusted = n + 2;
  const lost = (table.newlyFailing + 0.5) / adjusted;
  const gained = (table.newlyPassing + 0.5) / adjusted;
  const centre = gained - lost;
  const se = Math.sqrt((lost + gained - centre ** 2) / adjusted);
  const z = jStat.normal.inv(1 - (1 - level) / 2, 0, 1);
  return {
    mean,
    standard_error: se,
    interval: [Math.max(-1, centre - z * se), Math.min(1, centre + z * se)],
  };
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
    this.perTaskSize = Uint32Array.from(perTask, (values) => values.length);
    const first = perTask[0]?.length ?? 0;
    this.uniform = first > 0 && perTask.every((values) => values.length === first) ? first : null;
  }

  /** How many values each task has; `uniform` is that number when every task has the same (and some). */
  private readonly perTaskSize: Uint32Array;
  private readonly uniform: number | null;
  private readonly plans = new Map<string, WalkPlan>();

  get size(): number {
    return this.values.length;
  }

  /**
   * The type-7 quantiles `qs` (ascending) and the maximum of the sample in which task t appears
   * counts[t] times (null: the sample itself); `counts` is a draw of resampleCounts (its counts sum to the
   * number of tasks). Null entries when the resample drew no value.
   */
  quantiles(qs: readonly number[], counts: Uint32Array | null, out: Array<number | null>): void {
    const total = this.resampledSize(counts);
    if (total === 0) {
      out.fill(null, 0, qs.length + 1);
      return;
    }
    // The positions asked (0-based, in the resample with each value repeated as often as its task was
    // drawn): floor(h) and floor(h) + 1 of each quantile, and the last. Those in the lower half are
    // found walking up from the smallest value, the others walking down from the largest, so a walk
    // covers only the part of the sample it needs (p90, p99 and the max touch the top tenth).
    const plan = this.plan(qs, total);
    const found = plan.found;
    this.walk(plan.up, plan.upRank, counts, found, 1);
    this.walk(plan.down, plan.downRank, counts, found, -1);
    qs.forEach((q, k) => {
      const h = (total - 1) * q;
      const below = found[2 * k] as number;
      const above = found[2 * k + 1] as number;
      out[k] = below + (h - Math.floor(h)) * (above - below);
    });
    out[qs.length] = found[found.length - 1] as number;
  }

  /**
   * Which positions a resample of `total` values needs for `qs` (floor(h) and floor(h) + 1 of each, and
   * the last), split into those walked up to from the bottom and down to from the top, nearest first.
   * The same for every resample of one size, so it is made once per size.
   */
  private plan(qs: readonly number[], total: number): WalkPlan {
    const key = `${qs.join(",")}@${total}`;
    const cached = this.plans.get(key);
    if (cached !== undefined) return cached;
    const positions: number[] = [];
    for (const q of qs) {
      const lo = Math.floor((total - 1) * q);
      positions.push(lo, Math.min(lo + 1, total - 1));
    }
    positions.push(total - 1);
    const order = positions.map((_, i) => i);
    const up = order.filter((i) => (positions[i] as number) < total / 2);
    up.sort((x, y) => (positions[x] as number) - (positions[y] as number));
    const down = order.filter((i) => (positions[i] as number) >= total / 2);
    down.sort((x, y) => (positions[y] as number) - (positions[x] as number));
    const plan: WalkPlan = {
      up,
      upRank: up.map((i) => positions[i] as number),
      down,
      downRank: down.map((i) => total - 1 - (positions[i] as number)),
      found: new Array<number>(positions.length).fill(Number.NaN),
    };
    if (this.plans.size > 64) this.plans.clear();
    this.plans.set(key, plan);
    return plan;
  }

  /** How many values the resample holds: each task's values times its count. */
  private resampledSize(counts: Uint32Array | null): number {
    if (counts === null) return this.values.length;
    // resampleCounts draws exactly as many tasks as there are: with the same number of values in every
    // task, the resample's size is known without a pass.
    if (this.uniform !== null) return counts.length * this.uniform;
    let total = 0;
    const { perTaskSize } = this;
    for (let t = 0; t < perTaskSize.length; t++) total += (counts[t] as number) * (perTaskSize[t] as number);
    return total;
  }

  /**
   * Walks the sorted values from the bottom (`step` 1) or the top (−1), counting positions filled, and
   * records the value of each wanted slot (`wanted`, nearest first) at its rank (`ranks`: its distance
   * from the start of the walk). The hot loop touches one count per value until the farthest rank is passed.
   */
  private walk(
    wanted: readonly number[],
    ranks: readonly number[],
    counts: Uint32Array | null,
    found: number[],
    step: 1 | -1,
  ): void {
    if (wanted.length === 0) return;
    const { values, taskOf } = this;
    const n = values.length;
    let k = 0;
    let target = ranks[0] as number;
    let filled = 0;
    // Four copies of one loop (direction × with or without counts), so the hot one has no branch but
    // its exit; V8 keeps each monomorphic.
    const record = (i: number): boolean => {
      const value = values[i] as number;
      do {
        found[wanted[k] as number] = value;
        k++;
        if (k === wanted.length) return true;
        target = ranks[k] as number;
      } while (target < filled);
      return false;
    };
    if (counts === null) {
      if (step === 1) {
        for (let i = 0; i < n; i++) if (target < ++filled && record(i)) return;
      } else {
        for (let i = n - 1; i >= 0; i--) if (target < ++filled && record(i)) return;
      }
    } else if (step === 1) {
      for (let i = 0; i < n; i++) {
        filled += counts[taskOf[i] as number] as number;
        if (target < filled && record(i)) return;
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        filled += counts[taskOf[i] as number] as number;
        if (target < filled && record(i)) return;
      }
    }
  }
}

interface WalkPlan {
  up: number[];
  upRank: number[];
  down: number[];
  downRank: number[];
  /** Scratch: the values found, by slot. */
  found: number[];
}

/** The two-sided percentile interval of bootstrap replicates (nulls dropped); null with none. */
export function percentileInterval(replicates: number[], level = 0.95): [number, number] | null {
  const known = replicates.filter((r) => Number.isFinite(r)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const alpha = (1 - level) / 2;
  return [quantileSorted(known, alpha) as number, quantileSorted(known, 1 - alpha) as number];
}
