/**
 * The comparison's statistics against values known by hand or from R/NumPy, and the bootstrap's
 * coverage on simulated paired data of a known difference.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "./random.js";
import {
  mcnemarExact,
  pairedMeanInterval,
  pairedProportionInterval,
  percentileInterval,
  quantileSorted,
  resampleCounts,
  WeightedSample,
} from "./statistics.js";

describe("quantileSorted (type 7)", () => {
  it("matches NumPy's default on known values", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantileSorted([10], 0.99)).toBe(10);
    expect(quantileSorted([1, 3, 7, 15, 31], 0.25)).toBe(3);
    expect(quantileSorted([], 0.5)).toBeNull();
  });
});

describe("McNemar's exact test", () => {
  it("gives the two-sided binomial p of the discordant pairs", () => {
    // 1 newly failing against 11 newly passing: 2 × (C(12,0) + C(12,1)) / 2^12.
    expect(mcnemarExact(1, 11).p_value).toBeCloseTo((2 * (1 + 12)) / 4096, 9);
    // Symmetric, and 1 when the discordant pairs split evenly or there are none.
    expect(mcnemarExact(11, 1).p_value).toBeCloseTo(mcnemarExact(1, 11).p_value, 12);
    expect(mcnemarExact(3, 3).p_value).toBe(1);
    expect(mcnemarExact(0, 0).p_value).toBe(1);
    // 0 against 5: 2 / 32.
    expect(mcnemarExact(0, 5).p_value).toBeCloseTo(0.0625, 9);
  });
});

describe("pairedMeanInterval", () => {
  it("is the Student-t interval of the mean", () => {
    const result = pairedMeanInterval([1, 2, 3, 4, 5]);
    // mean 3, sd sqrt(2.5), se sqrt(0.5), t(0.975, 4) = 2.776445
    expect(result?.mean).toBe(3);
    expect(result?.standard_error).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(result?.interval?.[0]).toBeCloseTo(3 - 2.776445 * Math.sqrt(0.5), 5);
    expect(result?.interval?.[1]).toBeCloseTo(3 + 2.776445 * Math.sqrt(0.5), 5);
  });

  it("has no interval with one difference and nothing with none", () => {
    expect(pairedMeanInterval([0.5])).toEqual({ mean: 0.5, standard_error: null, interval: null });
    expect(pairedMeanInterval([])).toBeNull();
  });
});

describe("pairedProportionInterval (Agresti–Min)", () => {
  it("adds a half to each cell of the paired table", () => {
    // 4 tasks, all newly failing: centre (0.5 − 4.5) / 6 = −2/3, se sqrt((5/6 − 4/9) / 6).
    const all = pairedProportionInterval({ bothPass: 0, newlyFailing: 4, newlyPassing: 0, bothFail: 0 });
    const se = Math.sqrt((5 / 6 - 4 / 9) / 6);
    expect(all?.mean).toBe(-1);
    expect(all?.interval?.[0]).toBe(-1);
    expect(all?.interval?.[1]).toBeCloseTo(-2 / 3 + 1.959964 * se, 5);
    // Two tasks that both flipped are not enough to exclude no change (a t interval would say they are).
    const two = pairedProportionInterval({ bothPass: 0, newlyFailing: 2, newlyPassing: 0, bothFail: 0 });
    expect(two?.interval?.[0]).toBeLessThan(0);
    expect(two?.interval?.[1]).toBeGreaterThan(0);
    expect(pairedMeanInterval([-1, -1])?.interval).toEqual([-1, -1]);
    expect(
      pairedProportionInterval({ bothPass: 0, newlyFailing: 0, newlyPassing: 0, bothFail: 0 }),
    ).toBeNull();
  });
});

describe("WeightedSample", () => {
  it("gives the same quantiles and maximum as the resample written out in full", () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 200; trial++) {
      const tasks = 1 + Math.floor(random() * 12);
      const perTask = Array.from({ length: tasks }, () =>
        Array.from({ length: Math.floor(random() * 4) }, () => Math.round(random() * 20) / 4),
      );
      const sample = new WeightedSample(perTask);
      const counts = resampleCounts(tasks, random, new Uint32Array(tasks));
      const expanded = perTask.flatMap((values, t) =>
        Array.from({ length: counts[t] ?? 0 }, () => values).flat(),
      );
      expanded.sort((a, b) => a - b);
      const out: Array<number | null> = [null, null, null, null];
      sample.quantiles([0.5, 0.9, 0.99], counts, out);
      const expected =
        expanded.length === 0
          ? [null, null, null, null]
          : [...[0.5, 0.9, 0.99].map((q) => quantileSorted(expanded, q)), expanded[expanded.length - 1]];
      for (let i = 0; i < 4; i++) {
        if (expected[i] === null) expect(out[i]).toBeNull();
        else expect(out[i]).toBeCloseTo(expected[i] as number, 10);
      }
    }
  });

  it("reads the sample itself without counts", () => {
    const out: Array<number | null> = [null, null];
    new WeightedSample([[3, 1], [2], []]).quantiles([0.5], null, out);
    expect(out).toEqual([2, 3]);
  });
});

describe("the paired cluster bootstrap's coverage", () => {
  it("covers a known median difference in at least 93 % of 1,000 seeded simulations", () => {
    // Each simulation: 40 tasks whose paired difference is normal around a true 0.3 (so the median of
    // the differences is 0.3); the interval is the percentile bootstrap the comparison uses.
    const truth = 0.3;
    const random = mulberry32(2024);
    const normal = () => {
      const u = 1 - random();
      const v = random();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    let covered = 0;
    const simulations = 1000;
    const tasks = 40;
    const counts = new Uint32Array(tasks);
    const out: Array<number | null> = [null, null];
    for (let s = 0; s < simulations; s++) {
      const sample = new WeightedSample(Array.from({ length: tasks }, () => [truth + normal()]));
      const replicates: number[] = [];
      for (let r = 0; r < 400; r++) {
        sample.quantiles([0.5], resampleCounts(tasks, random, counts), out);
        replicates.push(out[0] as number);
      }
      const interval = percentileInterval(replicates) as [number, number];
      if (interval[0] <= truth && truth <= interval[1]) covered++;
    }
    expect(covered / simulations).toBeGreaterThanOrEqual(0.93);
  });
});
