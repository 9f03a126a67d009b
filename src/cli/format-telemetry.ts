/** The telemetry record as a table for people. JSON (`--json`) carries the same record unchanged. */
import type { CallTelemetry } from "../spec/telemetry.js";

export function formatTelemetry(t: CallTelemetry): string {
  const m = t.token_metrics;
  const rows: Array<[string, string]> = [
    ["model", t.model_ref],
    [
      "outcome",
      t.error
        ? `error ${t.error.code}`
        : `ok (${t.finish_reason?.unified ?? "?"}${t.finish_reason?.raw ? `, raw "${t.finish_reason.raw}"` : ""})`,
    ],
    [
      "streaming",
      t.streaming
        ? t.true_streaming
          ? "yes (true token stream)"
          : "requested, adapter does not truly stream"
        : "no",
    ],
    ["init_latency", seconds(t.init_latency, t.null_reasons.init_latency)],
    ["total_latency", `${t.total_latency.toFixed(3)} s`],
    [
      "tokens",
      `prompt ${count(m.counts.prompt_tokens)}, output ${count(m.counts.output_tokens)}${m.cached_prompt_tokens !== null ? `, cached ${m.cached_prompt_tokens}` : ""}`,
    ],
    ["token status", m.status + (m.timing_source ? ` (engine timings: ${m.timing_source})` : "")],
    [
      "engine load/prefill/decode",
      `${s(m.latencies.load_seconds)} / ${s(m.latencies.prefill_seconds)} / ${s(m.latencies.decode_seconds)}`,
    ],
    ["prompt tok/s", rate(m.throughput.prompt_tokens_per_second)],
    ["generation tok/s", rate(m.throughput.generation_tokens_per_second)],
    [
      "peak_memory_rss",
      t.peak_memory_rss === null
        ? `unknown: ${t.null_reasons.peak_memory_rss ?? "?"}`
        : `${t.peak_memory_rss.toFixed(3)} MiB (${t.memory_method})`,
    ],
    ["retries", String(t.retries)],
  ];
  if (t.error) rows.push(["error", t.error.message]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n");
}

function seconds(value: number | null, reason: string | undefined): string {
  return value === null ? `unknown: ${reason ?? "?"}` : `${value.toFixed(3)} s`;
}
function s(value: number | null): string {
  return value === null ? "—" : `${value.toFixed(3)} s`;
}
function count(value: number | null): string {
  return value === null ? "unknown" : String(value);
}
function rate(value: number | null): string {
  return value === null ? "unknown" : value.toFixed(3);
}
