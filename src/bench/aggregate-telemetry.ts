/**
 * Folds the call telemetry records of one test run into the run's own figures: the first call's
 * first-token latency, the peak memory over all calls, token counts and engine times summed (unknown if
 * any call did not say), and the time inside the model.
 */

import { computeTokenMetrics } from "../core/bench/token-metrics.js";
import { round3 } from "../core/shared/rounding.js";
import type { CallTelemetry, TokenMetrics } from "../spec/telemetry.js";

export interface CallAggregate {
  initLatency: number | null;
  peakMemoryRss: number | null;
  tokenMetrics: TokenMetrics;
  internalModelSeconds: number;
  nullReasons: Record<string, string>;
}

export function aggregateCalls(calls: readonly CallTelemetry[]): CallAggregate {
  const nullReasons: Record<string, string> = {};
  const first = calls[0];
  const initLatency = first?.init_latency ?? null;
  if (!first) nullReasons.init_latency = "no model call was made";
  else if (initLatency === null) nullReasons.init_latency = first.null_reasons.init_latency ?? "unknown";

  const peaks = calls.map((c) => c.peak_memory_rss).filter((p): p is number => p !== null);
  const peakMemoryRss = peaks.length > 0 ? Math.max(...peaks) : null;
  if (peakMemoryRss === null)
    nullReasons.peak_memory_rss = first?.null_reasons.peak_memory_rss ?? "no model call was made";

  const sum = (pick: (m: TokenMetrics) => number | null): number | null => {
    if (calls.length === 0) return null;
    let total = 0;
    for (const c of calls) {
      const value = pick(c.token_metrics);
      if (value === null) return null;
      total += value;
    }
    return total;
  };
  const source =
    calls.find((c) => c.token_metrics.timing_source !== null)?.token_metrics.timing_source ?? null;
  const prefill = sum((m) => m.latencies.prefill_seconds);
  const decode = sum((m) => m.latencies.decode_seconds);
  // One call: its own metrics, computed from unrounded engine figures. Several: their sums, through the
  // same rules as a single call.
  const only = calls.length === 1 ? calls[0] : undefined;
  const tokenMetrics = only
    ? only.token_metrics
    : computeTokenMetrics(
        {
          promptTokens: sum((m) => m.counts.prompt_tokens) ?? undefined,
          outputTokens: sum((m) => m.counts.output_tokens) ?? undefined,
          cachedPromptTokens: sum((m) => m.cached_prompt_tokens) ?? undefined,
        },
        source === null && prefill === null && decode === null
          ? undefined
          : {
              source: source ?? "replay",
              loadSeconds: sum((m) => m.latencies.load_seconds) ?? undefined,
              prefillSeconds: prefill ?? undefined,
              decodeSeconds: decode ?? undefined,
              decodeTokens: sum((m) => m.counts.decode_tokens ?? m.counts.output_tokens) ?? undefined,
            },
      );
  if (tokenMetrics.status !== "OK") {
    nullReasons.token_metrics =
      calls.find((c) => c.null_reasons.token_metrics)?.null_reasons.token_metrics ?? "no model call was made";
  }
  return {
    initLatency,
    peakMemoryRss,
    tokenMetrics,
    internalModelSeconds: round3(calls.reduce((s, c) => s + c.total_latency, 0)),
    nullReasons,
  };
}
