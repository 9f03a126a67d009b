/**
 * Canonical token metrics from what the engine reported. Counts and engine timings are taken as they
 * are; throughput is derived only from engine timings, never from client wall time, so a slow network
 * or a queue in front of the server cannot pass for a slow model.
 */
import type { ServerTimings, Usage } from "../../spec/model.js";
import type { TokenMetrics, TokenStatus } from "../../spec/telemetry.js";
import { round3 } from "../shared/rounding.js";

export function computeTokenMetrics(
  usage: Usage | undefined,
  timings: ServerTimings | undefined,
): TokenMetrics {
  const prompt = knownCount(usage?.promptTokens);
  const output = knownCount(usage?.outputTokens);
  const load = knownSeconds(timings?.loadSeconds);
  const prefill = knownSeconds(timings?.prefillSeconds);
  const decode = knownSeconds(timings?.decodeSeconds);
  const decodeTokens = knownCount(timings?.decodeTokens) ?? output;

  return {
    status: tokenStatus(prompt !== null && output !== null, prefill !== null && decode !== null),
    counts: {
      prompt_tokens: prompt,
      output_tokens: output,
      total_tokens: prompt !== null && output !== null ? prompt + output : null,
      decode_tokens: decodeTokens,
    },
    latencies: {
      load_seconds: round3(load),
      prefill_seconds: round3(prefill),
      decode_seconds: round3(decode),
    },
    throughput: {
      // Cached prompt tokens were not evaluated in the prefill window, so they do not count toward its rate.
      prompt_tokens_per_second: rate(
        prompt === null ? null : prompt - (knownCount(usage?.cachedPromptTokens) ?? 0),
        prefill,
      ),
      // Over the tokens the decode window holds (llama.cpp: all but the first), as the engine counts them.
      generation_tokens_per_second: rate(decodeTokens, decode),
    },
    timing_source: timings?.source ?? null,
    cached_prompt_tokens: knownCount(usage?.cachedPromptTokens),
    engine_reported: engineReported(timings),
  };
}

/**
 * The rates the engine printed itself (llama.cpp's `predicted_per_second` and `prompt_per_second`), kept
 * beside Orket's own so that anyone can see the two agree; null for engines that print none.
 */
function engineReported(timings: ServerTimings | undefined): TokenMetrics["engine_reported"] {
  const raw = timings?.raw;
  if (timings?.source !== "llama.cpp" || !raw) return null;
  const pick = (key: string): number | null => {
    const value = raw[key];
    return typeof value === "number" && Number.isFinite(value) && value > 0 ? round3(value) : null;
  };
  return {
    generation_tokens_per_second: pick("predicted_per_second"),
    prompt_tokens_per_second: pick("prompt_per_second"),
  };
}

export function tokenStatus(countsKnown: boolean, timingsKnown: boolean): TokenStatus {
  if (countsKnown && timingsKnown) return "OK";
  if (timingsKnown) return "TOKEN_COUNT_UNAVAILABLE";
  if (countsKnown) return "TIMING_UNAVAILABLE";
  return "TOKEN_AND_TIMING_UNAVAILABLE";
}

function rate(tokens: number | null, seconds: number | null): number | null {
  if (tokens === null || seconds === null || seconds <= 0) return null;
  return round3(tokens / seconds);
}

function knownCount(value: number | undefined): number | null {
  return value !== undefined && Number.isInteger(value) && value >= 0 ? value : null;
}

function knownSeconds(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : null;
}
