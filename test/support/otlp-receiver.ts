/**
 * A minimal OTLP/HTTP receiver for tests: it accepts the JSON bodies the OTLP HTTP exporters send to
 * `/v1/traces`, `/v1/metrics` and `/v1/logs`, keeps them, and answers 200 as a collector does. The
 * helpers flatten the bodies into spans, metric points and log records with plain attribute objects.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export interface ReceivedHistogramPoint {
  metric: string;
  unit: string;
  count: number;
  sum: number;
  bounds: number[];
  bucketCounts: number[];
  attributes: Record<string, unknown>;
}

export interface ReceivedLog {
  eventName: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  url: string;
  bodies: Record<"traces" | "metrics" | "logs", unknown[]>;
  contentTypes: string[];
  spans(): ReceivedSpan[];
  histograms(): ReceivedHistogramPoint[];
  logs(): ReceivedLog[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: OtlpReceiver["bodies"] = { traces: [], metrics: [], logs: [] };
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const signal = /^\/v1\/(traces|metrics|logs)$/.exec(req.url ?? "")?.[1] as
        | keyof typeof bodies
        | undefined;
      if (req.method !== "POST" || !signal) {
        res.writeHead(404).end();
        return;
      }
      let raw = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
      contentTypes.push(String(req.headers["content-type"]));
      bodies[signal].push(JSON.parse(raw.toString("utf8")));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    contentTypes,
    spans: () => flattenSpans(bodies.traces),
    histograms: () => flattenHistograms(bodies.metrics),
    logs: () => flattenLogs(bodies.logs),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function attributeValue(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(attributeValue);
  return undefined;
}

function attributes(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = attributeValue(kv.value);
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: OTLP JSON is walked as received
type Json = any;

function flattenSpans(bodies: Json[]): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const body of bodies) {
    for (const rs of body.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          out.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? "",
            name: s.name,
            kind: s.kind,
            startNs: BigInt(s.startTimeUnixNano),
            endNs: BigInt(s.endTimeUnixNano),
            status: s.status ?? {},
            attributes: attributes(s.attributes),
            resource,
          });
        }
      }
    }
  }
  return out;
}

function flattenHistograms(bodies: Json[]): ReceivedHistogramPoint[] {
  // Cumulative temporality: the last export of a series holds everything; keep the last point per series.
  const last = new Map<string, ReceivedHistogramPoint>();
  for (const body of bodies) {
    for (const rm of body.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          for (const p of m.histogram?.dataPoints ?? []) {
            const point: ReceivedHistogramPoint = {
              metric: m.name,
              unit: m.unit,
              count: Number(p.count),
              sum: Number(p.sum),
              bounds: (p.explicitBounds ?? []).map(Number),
              bucketCounts: (p.bucketCounts ?? []).map(Number),
              attributes: attributes(p.attributes),
            };
            last.set(`${m.name} ${JSON.stringify(point.attributes)}`, point);
          }
        }
      }
    }
  }
  return [...last.values()];
}

function flattenLogs(bodies: Json[]): ReceivedLog[] {
  const out: ReceivedLog[] = [];
  for (const body of bodies) {
    for (const rl of body.resourceLogs ?? []) {
      for (const sl of rl.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) {
          out.push({
            eventName: r.eventName ?? "",
            traceId: r.traceId ?? "",
            spanId: r.spanId ?? "",
            attributes: attributes(r.attributes),
          });
        }
      }
    }
  }
  return out;
}
