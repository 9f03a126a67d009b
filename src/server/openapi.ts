/**
 * `/openapi.json`: the API described in OpenAPI 3.1, its schemas made from the same zod schemas that
 * check every request and artifact (JSON Schema 2020-12, which OpenAPI 3.1 uses as is). A test checks
 * every response of the API suite against it.
 */
import { z } from "zod";
import { ComparisonSchema } from "../spec/comparison.js";
import { ConcurrencySweepSchema } from "../spec/concurrency.js";
import { OrketEventSchema } from "../spec/events.js";
import { SweepSummarySchema } from "../spec/lab.js";
import { ReportSchema } from "../spec/report.js";
import { ErrorBodySchema, JobRequestSchema, JobSchema, LeaderboardRowSchema } from "../spec/server.js";
import { SidecarSummarySchema } from "../spec/sidecar.js";
import { HistoryRowSchema } from "../store/history-store.js";
import { ORKET_VERSION } from "../version.js";

type Json = Record<string, unknown>;

const SCHEMAS: Record<string, z.ZodType> = {
  Error: ErrorBodySchema,
  JobRequest: JobRequestSchema,
  Job: JobSchema,
  Event: OrketEventSchema,
  Report: ReportSchema,
  SweepSummary: SweepSummarySchema,
  ConcurrencySweep: ConcurrencySweepSchema,
  Comparison: ComparisonSchema,
  HistoryEntry: HistoryRowSchema,
  LeaderboardRow: LeaderboardRowSchema,
  SidecarSummary: SidecarSummarySchema,
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ "application/json": { schema } });
const page = (item: Json) => ({
  type: "object",
  required: ["items", "total", "offset"],
  properties: {
    items: { type: "array", items: item },
    total: { type: "integer" },
    offset: { type: "integer" },
  },
});
const errors = {
  "400": { description: "bad request (usage)", content: json(ref("Error")) },
  "401": { description: "no or wrong API key", content: json(ref("Error")) },
  "404": { description: "unknown id", content: json(ref("Error")) },
  "422": { description: "the work failed", content: json(ref("Error")) },
  "500": { description: "internal error", content: json(ref("Error")) },
};
const ok = (schema: Json, description = "ok") => ({
  "200": { description, content: json(schema) },
  ...errors,
});
const idParam = (name: string, description: string, pattern = "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$") => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string", pattern },
});
const pageParams = [
  { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500, default: 50 } },
  { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
];
const anyObject = { type: "object" };

let cached: Json | undefined;

export function openApiDocument(): Json {
  if (cached) return cached;
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const { $schema: _drop, ...body } = z.toJSONSchema(schema, {
      io: "output",
      unrepresentable: "any",
    }) as Json;
    schemas[name] = body;
  }
  const historyId = idParam("id", "a history entry's id", "^[1-9][0-9]{0,15}$");
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Orket",
      version: ORKET_VERSION,
      description:
        "The API of `orket serve`: jobs with live events, runs, boards, the benchmark history, reports, sweeps, comparisons, the leaderboard.",
    },
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "ORKET_API_KEY" } },
    },
    security: [{}, { bearer: [] }],
    paths: {
      "/api/health": {
        get: {
          summary: "liveness and version",
          responses: ok({
            type: "object",
            required: ["ok", "version"],
            properties: { ok: { type: "boolean" }, version: { type: "string" } },
          }),
        },
      },
      "/api/jobs": {
        get: {
          summary: "jobs, newest first",
          parameters: [
            ...pageParams,
            {
              name: "state",
              in: "query",
              schema: { enum: ["queued", "running", "done", "failed", "cancelled", "interrupted"] },
            },
          ],
          responses: ok(page(ref("Job"))),
        },
        post: {
          summary: "start a bench, a sweep or an epic run (queued behind jobs on the same backend)",
          requestBody: { required: true, content: json(ref("JobRequest")) },
          responses: { "201": { description: "filed", content: json(ref("Job")) }, ...errors },
        },
      },
      "/api/jobs/{id}": {
        get: { summary: "one job", parameters: [idParam("id", "job id")], responses: ok(ref("Job")) },
      },
      "/api/jobs/{id}/cancel": {
        post: {
          summary: "cancel (a running job ends interrupted, its partial results written)",
          parameters: [idParam("id", "job id")],
          responses: ok(ref("Job")),
        },
      },
      "/api/jobs/{id}/resume": {
        post: {
          summary: "put an interrupted, cancelled or failed job back in line",
          parameters: [idParam("id", "job id")],
          responses: ok(ref("Job")),
        },
      },
      "/api/jobs/{id}/events": {
        get: {
          summary: "the job's events as Server-Sent Events (id = seq; Last-Event-ID resumes), then job_end",
          parameters: [
            idParam("id", "job id"),
            { name: "Last-Event-ID", in: "header", schema: { type: "string", pattern: "^[0-9]+$" } },
          ],
          responses: {
            "200": {
              description: "event stream",
              content: { "text/event-stream": { schema: ref("Event") } },
            },
            ...errors,
          },
        },
      },
      "/api/runs": {
        get: { summary: "epic runs, newest first", parameters: pageParams, responses: ok(page(anyObject)) },
      },
      "/api/runs/{id}": {
        get: {
          summary: "one run and its turns",
          parameters: [idParam("id", "run id")],
          responses: ok({
            type: "object",
            required: ["run", "turns"],
            properties: { run: anyObject, turns: { type: "array" } },
          }),
        },
      },
      "/api/runs/{id}/traces": {
        get: {
          summary: "a run's turns with memory traces",
          parameters: [idParam("id", "run id")],
          responses: ok({ type: "object", required: ["turns"], properties: { turns: { type: "array" } } }),
        },
      },
      "/api/runs/{id}/traces/check": {
        get: {
          summary: "check every turn's memory traces (orket memory check)",
          parameters: [idParam("id", "run id")],
          responses: ok({
            type: "object",
            required: ["ok", "turns"],
            properties: { ok: { type: "boolean" }, turns: { type: "array" } },
          }),
        },
      },
      "/api/traces/compare": {
        post: {
          summary: "compare two runs' memory traces turn by turn (orket memory compare)",
          requestBody: {
            required: true,
            content: json({
              type: "object",
              required: ["left", "right"],
              properties: { left: { type: "string" }, right: { type: "string" } },
              additionalProperties: false,
            }),
          },
          responses: ok({
            type: "object",
            required: ["equivalent", "turns"],
            properties: { equivalent: { type: "boolean" }, turns: { type: "integer" } },
          }),
        },
      },
      "/api/builds": {
        get: {
          summary: "builds of epics",
          responses: ok({ type: "object", required: ["items"], properties: { items: { type: "array" } } }),
        },
      },
      "/api/builds/{id}/board": {
        get: {
          summary: "a build's cards and their statuses",
          parameters: [idParam("id", "build id")],
          responses: ok({
            type: "object",
            required: ["build", "issues"],
            properties: { build: anyObject, issues: { type: "array" } },
          }),
        },
      },
      "/api/history": {
        get: {
          summary: "every recorded bench and sweep row, newest first",
          parameters: [
            ...pageParams,
            ...["model", "bank", "role", "since", "until"].map((name) => ({
              name,
              in: "query",
              schema: { type: "string" },
            })),
          ],
          responses: ok(page(ref("HistoryEntry"))),
        },
      },
      "/api/history/{id}": {
        get: { summary: "one history entry", parameters: [historyId], responses: ok(ref("HistoryEntry")) },
      },
      "/api/reports/{id}": {
        get: {
          summary: "the report of a history entry",
          parameters: [historyId],
          responses: ok(ref("Report")),
        },
      },
      "/api/reports/{id}/summary": {
        get: {
          summary: "the report without its test runs",
          parameters: [historyId],
          responses: ok(anyObject),
        },
      },
      "/api/leaderboard": {
        get: {
          summary: "model × quantization ranked by pass rate, with intervals",
          parameters: ["bank", "role"].map((name) => ({ name, in: "query", schema: { type: "string" } })),
          responses: ok({
            type: "object",
            required: ["rows"],
            properties: { rows: { type: "array", items: ref("LeaderboardRow") } },
          }),
        },
      },
      "/api/compare": {
        post: {
          summary: "compare reports by history id (orket report compare)",
          requestBody: {
            required: true,
            content: json({
              type: "object",
              required: ["baseline", "candidates"],
              properties: {
                baseline: { type: "integer", minimum: 1 },
                candidates: {
                  type: "array",
                  items: { type: "integer", minimum: 1 },
                  minItems: 1,
                  maxItems: 16,
                },
                include_invalid: { type: "boolean" },
                fail_on: { type: "string" },
                strict: { type: "boolean" },
                resamples: { type: "integer", minimum: 100, maximum: 20000 },
              },
              additionalProperties: false,
            }),
          },
          responses: ok(ref("Comparison")),
        },
      },
      "/api/sweeps": {
        get: {
          summary: "sweeps with rows in the history",
          responses: ok({ type: "object", required: ["items"], properties: { items: { type: "array" } } }),
        },
      },
      "/api/sweeps/{id}": {
        get: {
          summary: "a sweep's summary",
          parameters: [idParam("id", "sweep id")],
          responses: ok(ref("SweepSummary")),
        },
      },
      "/api/concurrency": {
        get: {
          summary: "concurrency sweeps under the project's orket-sweeps/, newest first",
          responses: ok({
            type: "object",
            required: ["items"],
            properties: {
              items: {
                type: "array",
                items: {
                  type: "object",
                  required: ["sweep_id", "model_ref", "generated_at", "levels", "knee"],
                  properties: {
                    sweep_id: { type: "string" },
                    model_ref: { type: "string" },
                    generated_at: { type: "string" },
                    levels: { type: "array", items: { type: "integer" } },
                    knee: { type: ["integer", "null"] },
                  },
                },
              },
            },
          }),
        },
      },
      "/api/concurrency/{id}": {
        get: {
          summary: "a concurrency sweep (orket.concurrency_sweep.v1)",
          parameters: [idParam("id", "concurrency sweep id")],
          responses: ok(ref("ConcurrencySweep")),
        },
      },
      "/api/lab/probe": {
        get: {
          summary:
            "one hardware sample (orket lab probe): backend, GPU, temperature, VRAM, clocks, throttling",
          parameters: [
            { name: "gpu", in: "query", schema: { type: "integer", minimum: 0, maximum: 63, default: 0 } },
          ],
          responses: ok({
            type: "object",
            required: ["summary"],
            properties: { summary: ref("SidecarSummary") },
          }),
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          responses: {
            "200": {
              description: "text exposition format",
              content: { "text/plain": { schema: { type: "string" } } },
            },
          },
        },
      },
    },
  };
  return cached;
}
