/**
 * `/metrics` in Prometheus' text format: the GenAI client histograms of the OpenTelemetry export, under
 * Prometheus names (dots to underscores, the unit as a suffix), fed by the same call observer, and
 * `orket_jobs{state}`, the server's jobs by state. Each is filled from the calls this server's jobs
 * made since it started.
 */
import { Gauge, Histogram, Registry } from "prom-client";
import type { JobState } from "../spec/server.js";
import { addObserver } from "../telemetry/observers.js";
import { callAttributes, DURATION_BUCKETS, TOKEN_BUCKETS } from "../telemetry/otel-export.js";

export interface ServerMetrics {
  render(): Promise<string>;
  readonly contentType: string;
  /** Stops observing calls. */
  close(): void;
}

const LABELS = [
  "gen_ai_operation_name",
  "gen_ai_provider_name",
  "gen_ai_request_model",
  "gen_ai_response_model",
  "server_address",
  "server_port",
  "error_type",
] as const;

/** OpenTelemetry attribute names as Prometheus label names (`gen_ai.request.model` → `gen_ai_request_model`). */
function labels(attributes: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    out[key.replace(/\./g, "_")] = String(value);
  }
  return out;
}

export function createServerMetrics(jobCounts: () => Record<JobState, number>): ServerMetrics {
  const registry = new Registry();
  const histogram = (name: string, help: string, buckets: readonly number[], extra: string[] = []) =>
    new Histogram({
      name,
      help,
      buckets: [...buckets],
      labelNames: [...LABELS, ...extra],
      registers: [registry],
    });
  const duration = histogram(
    "gen_ai_client_operation_duration_seconds",
    "GenAI operation duration (gen_ai.client.operation.duration).",
    DURATION_BUCKETS,
  );
  const tokens = histogram(
    "gen_ai_client_token_usage",
    "Number of input and output tokens used (gen_ai.client.token.usage).",
    TOKEN_BUCKETS,
    ["gen_ai_token_type"],
  );
  const firstChunk = histogram(
    "gen_ai_client_operation_time_to_first_chunk_seconds",
    "Time to receive the first chunk of a streamed answer (gen_ai.client.operation.time_to_first_chunk).",
    DURATION_BUCKETS,
  );
  const perChunk = histogram(
    "gen_ai_client_operation_time_per_output_chunk_seconds",
    "Time between streamed chunks, for each chunk after the first (gen_ai.client.operation.time_per_output_chunk).",
    DURATION_BUCKETS,
  );
  new Gauge({
    name: "orket_jobs",
    help: "The server's jobs by state.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      for (const [state, count] of Object.entries(jobCounts())) this.set({ state }, count);
    },
  });

  const remove = addObserver({
    onCall(observation) {
      const t = observation.telemetry;
      const base = labels(callAttributes(observation).metricAttributes);
      duration.observe(base, t.total_latency);
      if (t.outcome === "ok") {
        const { prompt_tokens: input, output_tokens: output } = t.token_metrics.counts;
        if (input !== null) tokens.observe({ ...base, gen_ai_token_type: "input" }, input);
        if (output !== null) tokens.observe({ ...base, gen_ai_token_type: "output" }, output);
      }
      if (t.streaming && t.true_streaming) {
        const first = t.client_timings.first_token_seconds;
        if (first !== null) firstChunk.observe(base, first);
        for (const gap of observation.chunkGapsSeconds) perChunk.observe(base, gap);
      }
    },
  });
  return {
    render: () => registry.metrics(),
    contentType: registry.contentType,
    close: remove,
  };
}
