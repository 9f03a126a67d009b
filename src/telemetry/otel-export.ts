/**
 * OpenTelemetry export, in the GenAI semantic conventions: every model call a span `chat {model}` with
 * its usage, finish reasons and server, nested under the span of its turn or test run and of its bench,
 * sweep or epic run; the four GenAI client histograms; each scored test run a `gen_ai.evaluation.result`
 * event. Everything is sent over OTLP/HTTP (JSON) to `OTEL_EXPORTER_OTLP_ENDPOINT`, or to the standard
 * default `http://localhost:4318`.
 *
 * The spans and figures are built from the same telemetry record a call writes (`orket.call_telemetry.v1`)
 * and are never measured a second time: a span's duration is the record's `total_latency`, its token
 * counts the record's counts. The SDK packages are imported here, on first use, so that a command run
 * without export loads none of them (docs/telemetry.md, "OpenTelemetry").
 */
import type { Attributes, Context, Histogram, Span, Tracer } from "@opentelemetry/api";
import type { Logger } from "@opentelemetry/api-logs";
import type { ExportResult } from "@opentelemetry/core";
import { ORKET_VERSION as VERSION } from "../version.js";
import {
  addObserver,
  type CallObservation,
  type Observer,
  type ScopeEnd,
  type ScopeStart,
} from "./observers.js";

/** The conventions' bucket boundaries, in seconds, for the three duration histograms. */
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;
/** The conventions' bucket boundaries for `gen_ai.client.token.usage`. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;

export const GEN_AI_METRICS = {
  duration: "gen_ai.client.operation.duration",
  tokenUsage: "gen_ai.client.token.usage",
  timeToFirstChunk: "gen_ai.client.operation.time_to_first_chunk",
  timePerOutputChunk: "gen_ai.client.operation.time_per_output_chunk",
} as const;

export const EVALUATION_EVENT = "gen_ai.evaluation.result";
/** `gen_ai.evaluation.name` of a bench test run's score. */
export const EVALUATION_NAME = "orket.test_run";
export const DEFAULT_OTLP_ENDPOINT = "http://localhost:4318";

export interface OtelExportOptions {
  /** OTLP/HTTP base URL (`/v1/traces`, `/v1/metrics`, `/v1/logs` are added); default: the environment's. */
  endpoint?: string | undefined;
  /** A W3C `traceparent` to nest under: the span of the process that started this one (a sweep row). */
  traceparent?: string | undefined;
  /** Milliseconds between metric exports (default `OTEL_METRIC_EXPORT_INTERVAL`, else 60 s); the last is at shutdown. */
  metricIntervalMs?: number | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface OtelExport {
  /** Where the export goes (for the one line a command prints). */
  readonly endpoint: string;
  /** The `traceparent` of the innermost open span, for a child process to nest under; null: none open. */
  traceparent(): string | null;
  /** Ends spans still open (as unfinished), sends everything, and stops. Returns the export's failures. */
  shutdown(): Promise<string[]>;
}

/** True when export is on: `--otel`, or an OTLP endpoint in the environment, unless the SDK is disabled. */
export function otelRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  return Boolean(flag) || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** The OTLP/HTTP base URL export goes to: the option, else the environment's, else the default. */
export function otlpEndpoint(options: Pick<OtelExportOptions, "endpoint" | "env"> = {}): string {
  const env = options.env ?? process.env;
  return (options.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ?? DEFAULT_OTLP_ENDPOINT).replace(
    /\/+$/,
    "",
  );
}

/** Starts the export: from now until `shutdown`, Orket's calls and scopes become spans, metrics and events. */
export async function startOtelExport(options: OtelExportOptions = {}): Promise<OtelExport> {
  const env = options.env ?? process.env;
  const endpoint = otlpEndpoint(options);
  const [api, apiLogs, core, resources, traceSdk, metricSdk, logSdk, traceOtlp, metricOtlp, logOtlp] =
    await Promise.all([
      import("@opentelemetry/api"),
      import("@opentelemetry/api-logs"),
      import("@opentelemetry/core"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/sdk-metrics"),
      import("@opentelemetry/sdk-logs"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/exporter-metrics-otlp-http"),
      import("@opentelemetry/exporter-logs-otlp-http"),
    ]);
  void apiLogs;

  const failures = new Set<string>();
  /** Notes an exporter's failed batch; the command says so once, at the end. */
  const watch = <T extends { export(items: never, done: (result: ExportResult) => void): void }>(
    signal: string,
    exporter: T,
  ): T => {
    const original = exporter.export.bind(exporter);
    exporter.export = ((items: never, done: (result: ExportResult) => void) =>
      original(items, (result) => {
        if (result.code !== core.ExportResultCode.SUCCESS) {
          failures.add(`${signal}: ${result.error?.message ?? "export failed"}`);
        }
        done(result);
      })) as T["export"];
    return exporter;
  };

  const resource = resources
    .resourceFromAttributes({ "service.name": "orket", "service.version": VERSION })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const url = (path: string) => `${endpoint}/${path}`;
  const spanExporter = watch("traces", new traceOtlp.OTLPTraceExporter({ url: url("v1/traces") }));
  const tracerProvider = new traceSdk.BasicTracerProvider({
    resource,
    spanProcessors: [new traceSdk.BatchSpanProcessor(spanExporter)],
  });
  const metricExporter = watch("metrics", new metricOtlp.OTLPMetricExporter({ url: url("v1/metrics") }));
  const meterProvider = new metricSdk.MeterProvider({
    resource,
    readers: [
      new metricSdk.PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: options.metricIntervalMs ?? metricInterval(env),
      }),
    ],
  });
  const logExporter = watch("logs", new logOtlp.OTLPLogExporter({ url: url("v1/logs") }));
  const loggerProvider = new logSdk.LoggerProvider({
    resource,
    processors: [new logSdk.BatchLogRecordProcessor({ exporter: logExporter })],
  });

  const tracer = tracerProvider.getTracer("orket", VERSION);
  const meter = meterProvider.getMeter("orket", VERSION);
  const logger = loggerProvider.getLogger("orket", VERSION);
  const histogram = (name: string, unit: string, description: string, buckets: readonly number[]) =>
    meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries: [...buckets] } });
  const instruments: Instruments = {
    duration: histogram(GEN_AI_METRICS.duration, "s", "GenAI operation duration.", DURATION_BUCKETS),
    tokenUsage: histogram(
      GEN_AI_METRICS.tokenUsage,
      "{token}",
      "Number of input and output tokens used.",
      TOKEN_BUCKETS,
    ),
    timeToFirstChunk: histogram(
      GEN_AI_METRICS.timeToFirstChunk,
      "s",
      "Time to receive the first chunk of a streamed answer.",
      DURATION_BUCKETS,
    ),
    timePerOutputChunk: histogram(
      GEN_AI_METRICS.timePerOutputChunk,
      "s",
      "Time between streamed chunks, for each chunk after the first.",
      DURATION_BUCKETS,
    ),
  };

  const propagator = new core.W3CTraceContextPropagator();
  let root: Context = api.ROOT_CONTEXT;
  if (options.traceparent) {
    root = propagator.extract(root, { traceparent: options.traceparent }, api.defaultTextMapGetter);
  }
  const spans = new SpanStack(api, tracer, root);
  const traceparent = () => {
    const carrier: Record<string, string> = {};
    propagator.inject(spans.innermostContext(), carrier, api.defaultTextMapSetter);
    return carrier.traceparent ?? null;
  };
  const observer: Observer = {
    ...exportObserver(api, spans, instruments, logger),
    carrier() {
      const parent = traceparent();
      return parent ? { traceparent: parent, endpoint } : null;
    },
  };
  const remove = addObserver(observer);

  let stopped: Promise<string[]> | undefined;
  return {
    endpoint,
    traceparent,
    shutdown() {
      stopped ??= (async () => {
        remove();
        spans.endAll();
        await Promise.allSettled([
          tracerProvider.shutdown(),
          meterProvider.shutdown(),
          loggerProvider.shutdown(),
        ]).then((results) => {
          for (const r of results) if (r.status === "rejected") failures.add(String(r.reason));
        });
        return [...failures];
      })();
      return stopped;
    },
  };
}

type Api = typeof import("@opentelemetry/api");

interface Instruments {
  duration: Histogram;
  tokenUsage: Histogram;
  timeToFirstChunk: Histogram;
  timePerOutputChunk: Histogram;
}

/** The open scopes' spans, innermost last: Orket works one test run or turn at a time in a process. */
class SpanStack {
  private readonly open: Array<{ id: number; span: Span; context: Context }> = [];

  constructor(
    private readonly api: Api,
    readonly tracer: Tracer,
    private readonly root: Context,
  ) {}

  innermostContext(): Context {
    return this.open.at(-1)?.context ?? this.root;
  }

  push(id: number, name: string, attributes: Attributes): void {
    const parent = this.innermostContext();
    const span = this.tracer.startSpan(name, { kind: this.api.SpanKind.INTERNAL, attributes }, parent);
    this.open.push({ id, span, context: this.api.trace.setSpan(parent, span) });
  }

  /** Ends the scope's span and any left open inside it (a scope that ended by an exception). */
  pop(id: number): { span: Span; context: Context } | undefined {
    const at = this.open.findIndex((entry) => entry.id === id);
    if (at < 0) return undefined;
    const entry = this.open[at];
    for (const inner of this.open.splice(at).slice(1).reverse()) endUnfinished(this.api, inner.span);
    return entry;
  }

  endAll(): void {
    for (const entry of this.open.splice(0).reverse()) endUnfinished(this.api, entry.span);
  }
}

function endUnfinished(api: Api, span: Span): void {
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: "not finished when the export stopped" });
  span.end();
}

function exportObserver(api: Api, spans: SpanStack, instruments: Instruments, logger: Logger): Observer {
  return {
    onScopeStart(scope: ScopeStart) {
      spans.push(scope.id, `${scope.kind} ${scope.name}`, {
        "orket.scope": scope.kind,
        ...definedAttributes(scope.attributes),
      });
    },
    onScopeEnd(scope: ScopeStart, end: ScopeEnd) {
      const entry = spans.pop(scope.id);
      if (!entry) return;
      entry.span.setAttributes({ "orket.status": end.status, ...definedAttributes(end.attributes ?? {}) });
      if (end.failed) entry.span.setStatus({ code: api.SpanStatusCode.ERROR, message: end.status });
      if (end.score) {
        logger.emit({
          eventName: EVALUATION_EVENT,
          context: entry.context,
          attributes: evaluationAttributes(end.score),
        });
      }
      entry.span.end();
    },
    onCall(observation: CallObservation) {
      const { attributes, metricAttributes } = callAttributes(observation);
      const t = observation.telemetry;
      const endMs = performance.timeOrigin + performance.now();
      const span = spans.tracer.startSpan(
        `chat ${observation.requestModel}`,
        {
          kind: observation.endpoint ? api.SpanKind.CLIENT : api.SpanKind.INTERNAL,
          attributes,
          startTime: endMs - t.total_latency * 1000,
        },
        spans.innermostContext(),
      );
      if (t.outcome === "error") {
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: t.error?.message ?? "model call failed" });
      }
      span.end(endMs);

      instruments.duration.record(t.total_latency, metricAttributes);
      if (t.outcome === "ok") {
        const counts = t.token_metrics.counts;
        if (counts.prompt_tokens !== null)
          instruments.tokenUsage.record(counts.prompt_tokens, {
            ...metricAttributes,
            "gen_ai.token.type": "input",
          });
        if (counts.output_tokens !== null)
          instruments.tokenUsage.record(counts.output_tokens, {
            ...metricAttributes,
            "gen_ai.token.type": "output",
          });
      }
      if (t.streaming && t.true_streaming) {
        const first = t.client_timings.first_token_seconds;
        if (first !== null) instruments.timeToFirstChunk.record(first, metricAttributes);
        for (const gap of observation.chunkGapsSeconds)
          instruments.timePerOutputChunk.record(gap, metricAttributes);
      }
    },
  };
}

/**
 * `gen_ai.provider.name`: the conventions name no local engine, so Orket uses the engine's own name where
 * it knows it (`llama.cpp` for the embedded engine and for an OpenAI-compatible server that reports
 * llama.cpp timings, `ollama`), and `openai` for any other OpenAI-compatible server, as the conventions
 * ask of a client speaking the OpenAI API.
 */
export function providerName(telemetry: CallObservation["telemetry"]): string {
  switch (telemetry.provider) {
    case "gguf":
      return "llama.cpp";
    case "ollama":
      return "ollama";
    case "openai":
      return telemetry.token_metrics.timing_source === "llama.cpp" ? "llama.cpp" : "openai";
    default:
      return "orket.replay";
  }
}

/** The span's attributes, and the subset the metrics carry (the conventions' metric attributes). */
export function callAttributes(observation: CallObservation): {
  attributes: Attributes;
  metricAttributes: Attributes;
} {
  const t = observation.telemetry;
  const server = serverOf(observation.endpoint);
  const metricAttributes: Attributes = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": providerName(t),
    "gen_ai.request.model": observation.requestModel,
    ...(observation.responseModel ? { "gen_ai.response.model": observation.responseModel } : {}),
    ...(server ? { "server.address": server.address, "server.port": server.port } : {}),
    ...(t.outcome === "error" ? { "error.type": t.error?.code ?? "error" } : {}),
  };
  const counts = t.token_metrics.counts;
  const attributes: Attributes = {
    ...metricAttributes,
    "gen_ai.request.stream": t.streaming,
    ...(counts.prompt_tokens !== null ? { "gen_ai.usage.input_tokens": counts.prompt_tokens } : {}),
    ...(counts.output_tokens !== null ? { "gen_ai.usage.output_tokens": counts.output_tokens } : {}),
    ...(t.finish_reason ? { "gen_ai.response.finish_reasons": [t.finish_reason.unified] } : {}),
    ...(t.streaming && t.client_timings.first_token_seconds !== null
      ? { "gen_ai.response.time_to_first_chunk": t.client_timings.first_token_seconds }
      : {}),
    "orket.call_id": t.call_id,
    "orket.model_ref": t.model_ref,
    "orket.retries": t.retries,
  };
  return { attributes, metricAttributes };
}

/** `server.address` and `server.port` of a base URL (the scheme's port when it names none). */
export function serverOf(endpoint: string | null): { address: string; port: number } | null {
  if (!endpoint) return null;
  try {
    const url = new URL(endpoint);
    const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    return { address: url.hostname.replace(/^\[|\]$/g, ""), port };
  } catch {
    return null;
  }
}

/** A test run's score as a `gen_ai.evaluation.result` event's attributes. */
export function evaluationAttributes(score: NonNullable<ScopeEnd["score"]>): Attributes {
  const examples =
    score.examplesPassed !== null && score.examplesTotal !== null && score.examplesTotal > 0
      ? score.examplesPassed / score.examplesTotal
      : null;
  const value = examples ?? score.adherenceScore;
  const parts = [
    score.examplesTotal !== null
      ? `${score.examplesPassed ?? 0}/${score.examplesTotal} examples passed`
      : null,
    score.adherenceScore !== null ? `adherence ${score.adherenceScore}` : null,
    score.errorCode !== null ? `error ${score.errorCode}` : null,
  ].filter((p) => p !== null);
  return {
    "gen_ai.evaluation.name": EVALUATION_NAME,
    "gen_ai.evaluation.score.label": score.outcome,
    ...(value !== null ? { "gen_ai.evaluation.score.value": value } : {}),
    "gen_ai.evaluation.explanation": parts.length > 0 ? parts.join("; ") : "nothing was scored",
    ...(score.errorCode !== null ? { "error.type": score.errorCode } : {}),
    ...(score.adherenceScore !== null ? { "orket.adherence_score": score.adherenceScore } : {}),
    ...(score.examplesTotal !== null
      ? { "orket.examples.passed": score.examplesPassed ?? 0, "orket.examples.total": score.examplesTotal }
      : {}),
  };
}

function definedAttributes(attributes: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      out[key] = value;
  }
  return out;
}

function metricInterval(env: NodeJS.ProcessEnv): number {
  const raw = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return Number.isFinite(raw) && raw > 0 ? raw : 60_000;
}
