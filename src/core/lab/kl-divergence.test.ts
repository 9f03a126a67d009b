import { describe, expect, it } from "vitest";
import {
  PROBABILITY_FLOOR,
  positionDivergence,
  referencePosition,
  summarizeKld,
  textWindows,
} from "./kl-divergence.js";

const dist = (...p: number[]) => Float64Array.from(p);

describe("KL divergence at one position", () => {
  it("is zero for identical distributions, with the same top token", () => {
    const p = dist(0.7, 0.2, 0.1);
    expect(positionDivergence(referencePosition(p), p)).toEqual({ kld: 0, sameTop: true });
  });

  it("matches a hand-computed value and notices a different top token", () => {
    // KL([0.5, 0.5] ‖ [0.9, 0.1]) = 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1) = 0.5108256...
    const { kld, sameTop } = positionDivergence(referencePosition(dist(0.5, 0.5)), dist(0.9, 0.1));
    expect(kld).toBeCloseTo(0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1), 6);
    expect(sameTop).toBe(true); // ties go to the first token in both
    const flipped = positionDivergence(referencePosition(dist(0.6, 0.4)), dist(0.4, 0.6));
    expect(flipped.sameTop).toBe(false);
    expect(flipped.kld).toBeCloseTo(0.6 * Math.log(0.6 / 0.4) + 0.4 * Math.log(0.4 / 0.6), 6);
  });

  it("skips tokens the reference gives no weight, and floors a candidate's zero", () => {
    expect(positionDivergence(referencePosition(dist(1, 0)), dist(0.5, 0.5)).kld).toBeCloseTo(Math.log(2), 6);
    const floored = positionDivergence(referencePosition(dist(0.5, 0.5)), dist(1, 0)).kld;
    expect(floored).toBeCloseTo(0.5 * Math.log(0.5) + 0.5 * (Math.log(0.5) - Math.log(PROBABILITY_FLOOR)), 3);
    expect(Number.isFinite(floored)).toBe(true);
  });

  it("refuses distributions over different vocabularies", () => {
    expect(() => positionDivergence(referencePosition(dist(0.5, 0.5)), dist(1, 0, 0))).toThrow(
      /vocabularies differ/,
    );
  });
});

describe("summaries", () => {
  it("report mean, its standard error, quantiles and the same-top share like llama-perplexity", () => {
    const values = Array.from({ length: 101 }, (_, i) => i / 100);
    const s = summarizeKld(values, 80);
    expect(s?.positions).toBe(101);
    expect(s?.mean_kld).toBeCloseTo(0.5, 12);
    const variance = values.reduce((a, v) => a + v * v, 0) / 101 - 0.25;
    expect(s?.mean_kld_uncertainty).toBeCloseTo(Math.sqrt(variance / 100), 12);
    expect(s?.median_kld).toBeCloseTo(0.5, 12);
    expect(s?.p99_kld).toBeCloseTo(0.99, 12);
    expect(s?.max_kld).toBe(1);
    expect(s?.same_top_percent).toBeCloseTo((100 * 80) / 101, 12);
    const share = 80 / 101;
    expect(s?.same_top_uncertainty_percent).toBeCloseTo(100 * Math.sqrt((share * (1 - share)) / 100), 12);
    expect(summarizeKld([], 0)).toBeNull();
    expect(summarizeKld([0.25], 1)).toMatchObject({
      mean_kld_uncertainty: 0,
      same_top_uncertainty_percent: 0,
    });
  });

  it("cut a text into llama-perplexity's windows, scoring the second half of each", () => {
    expect(textWindows(6780, 128)).toEqual({ windows: 52, first: 64, scored: 52 * 63 });
    expect(textWindows(255, 128)).toEqual({ windows: 1, first: 64, scored: 63 });
    expect(textWindows(9, 4)).toEqual({ windows: 2, first: 2, scored: 2 });
  });
});
