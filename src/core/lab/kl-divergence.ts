/**
 * KL divergence of a quantization from its reference, token by token, the way llama.cpp's
 * `llama-perplexity --kl-divergence` reports it: at every scored position, KL(P_ref ‖ P_q) =
 * Σ p_ref · (log p_ref − log p_q) over the whole vocabulary, and whether the two top tokens agree; over
 * all positions, the mean with its standard error, the median, p99 and maximum, and the share of
 * positions whose top tokens agree. Pure: distributions in, figures out.
 */
import { quantileSorted } from "../shared/statistics.js";

/**
 * The smallest probability a float32 softmax gives before it rounds to zero; a candidate probability of
 * zero is read as this, so that a token the reference gives weight to costs a large, finite amount.
 */
export const PROBABILITY_FLOOR = 1.4e-45;

/**
 * One position's reference distribution: the log-probability of every token (float32, as llama.cpp
 * keeps logits, so that a long reference fits in memory), and the top token.
 */
export interface ReferencePosition {
  logProbs: Float32Array;
  top: number;
}

/** A reference distribution from token probabilities (index = token id). */
export function referencePosition(probabilities: Float64Array): ReferencePosition {
  const logProbs = new Float32Array(probabilities.length);
  let top = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    logProbs[i] = p > 0 ? Math.log(p) : Number.NEGATIVE_INFINITY;
    if (p > (probabilities[top] as number)) top = i;
  }
  return { logProbs, top };
}

/** KL(P_ref ‖ P_q) at one position, and whether the candidate's top token is the reference's. */
export function positionDivergence(
  reference: ReferencePosition,
  candidate: Float64Array,
): { kld: number; sameTop: boolean } {
  if (candidate.length !== reference.logProbs.length) {
    throw new RangeError(
      `vocabularies differ: ${reference.logProbs.length} tokens in the reference, ${candidate.length} in the candidate`,
    );
  }
  let kld = 0;
  let top = 0;
  for (let i = 0; i < candidate.length; i++) {
    const q = candidate[i] as number;
    if (q > (candidate[top] as number)) top = i;
    const logP = reference.logProbs[i] as number;
    if (logP === Number.NEGATIVE_INFINITY) continue;
    kld += Math.exp(logP) * (logP - Math.log(q > 0 ? q : PROBABILITY_FLOOR));
  }
  // Rounding can leave a hair below zero for identical distributions; KL divergence is never negative.
  return { kld: Math.max(0, kld), sameTop: top === reference.top };
}

export type KldSummary = {
  /** Scored positions (tokens whose next-token distribution was compared). */
  positions: number;
  mean_kld: number;
  /** Standard error of the mean, as llama-perplexity prints it after "±". */
  mean_kld_uncertainty: number;
  median_kld: number;
  p99_kld: number;
  max_kld: number;
  /** Share of positions whose top tokens agree, in percent. */
  same_top_percent: number;
  same_top_uncertainty_percent: number;
};

/** The figures over all positions; null when nothing was scored. */
export function summarizeKld(values: readonly number[], sameTop: number): KldSummary | null {
  const n = values.length;
  if (n === 0) return null;
  let sum = 0;
  let sum2 = 0;
  for (const v of values) {
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, sum2 / n - mean * mean) : 0;
  const sorted = [...values].sort((a, b) => a - b);
  const share = sameTop / n;
  return {
    positions: n,
    mean_kld: mean,
    mean_kld_uncertainty: n > 1 ? Math.sqrt(variance / (n - 1)) : 0,
    median_kld: quantileSorted(sorted, 0.5) as number,
    p99_kld: quantileSorted(sorted, 0.99) as number,
    max_kld: sorted[n - 1] as number,
    same_top_percent: 100 * share,
    same_top_uncertainty_percent: n > 1 ? 100 * Math.sqrt((share * (1 - share)) / (n - 1)) : 0,
  };
}

/**
 * The positions llama-perplexity scores in a text: the tokens cut into windows of `ctx` (the remainder
 * dropped), and in each window the positions from `ctx/2` to `ctx − 2`, each predicting the token after
 * it (the first half only gives the second half its context).
 */
export function textWindows(
  tokenCount: number,
  ctx: number,
): { windows: number; first: number; scored: number } {
  const windows = Math.floor(tokenCount / ctx);
  const first = Math.floor(ctx / 2);
  return { windows, first, scored: windows * (ctx - 1 - first) };
}
