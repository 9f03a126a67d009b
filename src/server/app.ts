/**
 * The HTTP API of `orket serve`, on Hono. Every route calls the same library functions the CLI does
 * and has no logic of its own beyond reading its parameters: jobs (a bench, a sweep or an epic run,
 * started, followed live over Server-Sent Events, cancelled, resumed), the project's runs and boards,
 * the benchmark history and its reports, the leaderboard, comparisons, sweeps, the lab probe, the
 * OpenAPI document and Prometheus metrics. Things are named by id, never by path: a report is reachable
 * once it is in the project's history (docs/serve.md).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { streamSSE } from "hono/streaming";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { compareReportFiles } from "../bench/compare.js";
import { leaderboard } from "../core/bench/leaderboard.js";
import { TraceFileError } from "../memory/trace-file.js";
import { checkTracePath, compareTracePaths, listTurnTraces } from "../memory/trace-folders.js";
import { ConcurrencySweepSchema } from "../spec/concurrency.js";
import { SweepSummarySchema } from "../spec/lab.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { type Report, ReportSchema } from "../spec/report.js";
import { ID_PATTERN, IdSchema, JobRequestSchema, JobStateSchema } from "../spec/server.js";
import { CardStore } from "../store/card-store.js";
import type { Database } from "../store/db.js";
import { HistoryStore } from "../store/history-store.js";
import { RunStore } from "../store/run-store.js";
import { startSidecar } from "../telemetry/sidecar.js";
import { ORKET_VERSION } from "../version.js";
import type { JobManager } from "./jobs.js";
import type { ServerMetrics } from "./metrics.js";
import { openApiDocument } from "./openapi.js";

export interface AppOptions {
  db: Database;
  jobs: JobManager;
  metrics: ServerMetrics;
  /** Bearer key every /api and /metrics request must carry; undefined: none (loopback only). */
  apiKey?: string | undefined;
  /** `--cors <origin>`: the one origin allowed to call the API from a browser. */
  corsOrigin?: string | undefined;
  /** Largest request body, bytes (default 64 KiB). */
  maxBodyBytes?: number;
  /** How long the SSE stream waits before a keep-alive comment, ms (default 15 s). */
  keepAliveMs?: number;
  /** The project folder: concurrency sweeps are found under its `orket-sweeps/`. */
  projectDir?: string | undefined;
}

/** A failure a route answers with, as the CLI would print it: its code, its message, its HTTP status. */
export class ApiError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = {
    BAD_REQUEST: "usage",
    UNKNOWN_ID: "usage",
    UNKNOWN_ROUTE: "usage",
    UNAUTHORIZED: "usage",
    PAYLOAD_TOO_LARGE: "usage",
  };
  override readonly code:
    | "BAD_REQUEST"
    | "UNKNOWN_ID"
    | "UNKNOWN_ROUTE"
    | "UNAUTHORIZED"
    | "PAYLOAD_TOO_LARGE";
  constructor(
    code: "BAD_REQUEST" | "UNKNOWN_ID" | "UNKNOWN_ROUTE" | "UNAUTHORIZED" | "PAYLOAD_TOO_LARGE",
    message: string,
    readonly status: ContentfulStatusCode,
  ) {
    super(message);
    this.code = code;
  }
}

const STATUS_OF_CLASS: Record<ExitClass, ContentfulStatusCode> = { usage: 400, failed: 422, internal: 500 };

const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});

const CompareBody = z.strictObject({
  baseline: z.number().int().positive(),
  candidates: z.array(z.number().int().positive()).min(1).max(16),
  include_invalid: z.boolean().optional(),
  fail_on: z.string().max(1000).optional(),
  strict: z.boolean().optional(),
  resamples: z.number().int().min(100).max(20_000).optional(),
});

function id(value: string | undefined, what: string): string {
  if (value === undefined || !ID_PATTERN.test(value)) {
    throw new ApiError("BAD_REQUEST", `${what}: not an id (letters, digits and . _ - : @)`, 400);
  }
  return value;
}

function numericId(value: string | undefined, what: string): number {
  if (value === undefined || !/^[1-9][0-9]{0,15}$/.test(value)) {
    throw new ApiError("BAD_REQUEST", `${what}: not a history id (a positive whole number)`, 400);
  }
  return Number(value);
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "(body)";
  throw new ApiError("BAD_REQUEST", `${where} ${path}: ${issue?.message ?? "invalid"}`, 400);
}

/** Equal keys in constant time: both sides are hashed first, so their lengths leak nothing either. */
export function sameKey(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A sweep's id: the first 16 hex digits of its summary path's sha256 (paths are never sent). */
export function sweepId(summaryPath: string): string {
  return createHash("sha256").update(summaryPath).digest("hex").slice(0, 16);
}

export function createApp(options: AppOptions): Hono {
  const { db, jobs, metrics } = options;
  const history = new HistoryStore(db);
  const cards = new CardStore(db);
  const runs = new RunStore(db);
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof ApiError)
      return c.json({ error: { code: error.code, message: error.message } }, error.status);
    if (OrketError.isInstance(error)) {
      return c.json(
        { error: { code: error.code, message: error.message } },
        STATUS_OF_CLASS[error.exitClass],
      );
    }
    // Internal: the message a person can act on, never a stack.
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return c.json({ error: { code: "INTERNAL", message: message ?? "internal error" } }, 500);
  });
  app.notFound((c) =>
    c.json({ error: { code: "UNKNOWN_ROUTE", message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );

  if (options.corsOrigin) {
    app.use(
      "/api/*",
      cors({ origin: options.corsOrigin, allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID"] }),
    );
  }
  const apiKey = options.apiKey;
  if (apiKey) {
    const guard = async (
      c: { req: { header(name: string): string | undefined } },
      next: () => Promise<void>,
    ) => {
      const header = c.req.header("authorization") ?? "";
      const given = /^Bearer (.+)$/i.exec(header)?.[1];
      if (given === undefined || !sameKey(given, apiKey)) {
        throw new ApiError(
          "UNAUTHORIZED",
          "this server needs its API key: Authorization: Bearer <ORKET_API_KEY>",
          401,
        );
      }
      await next();
    };
    app.use("/api/*", guard);
    app.use("/metrics", guard);
  }
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 64 * 1024,
      onError: (c) =>
        c.json(
          {
            error: {
              code: "PAYLOAD_TOO_LARGE",
              message: `request body over ${options.maxBodyBytes ?? 64 * 1024} bytes`,
            },
          },
          413,
        ),
    }),
  );

  const body = async (c: { req: { json(): Promise<unknown> } }): Promise<unknown> => {
    try {
      return await c.req.json();
    } catch {
      throw new ApiError("BAD_REQUEST", "the body is not JSON", 400);
    }
  };

  app.get("/api/health", (c) => c.json({ ok: true, version: ORKET_VERSION }));

  // Jobs.
  app.get("/api/jobs", (c) => {
    const page = parse(PageQuery, c.req.query(), "query");
    const stateText = c.req.query("state");
    const state = stateText === undefined ? undefined : parse(JobStateSchema, stateText, "query state");
    const { items, total } = jobs.list({ state, limit: page.limit, offset: page.offset });
    return c.json({ items, total, offset: page.offset });
  });
  app.post("/api/jobs", async (c) => {
    const request = parse(JobRequestSchema, await body(c), "body");
    return c.json(jobs.create(request), 201);
  });
  app.get("/api/jobs/:id", (c) => {
    const job = jobs.get(id(c.req.param("id"), "job id"));
    if (!job) throw new ApiError("UNKNOWN_ID", `no job ${c.req.param("id")}`, 404);
    return c.json(job);
  });
  app.post("/api/jobs/:id/cancel", (c) => {
    const job = jobs.cancel(id(c.req.param("id"), "job id"));
    if (!job) throw new ApiError("UNKNOWN_ID", `no job ${c.req.param("id")}`, 404);
    return c.json(job);
  });
  app.post("/api/jobs/:id/resume", (c) => {
    const job = jobs.resume(id(c.req.param("id"), "job id"));
    if (!job) throw new ApiError("UNKNOWN_ID", `no job ${c.req.param("id")}`, 404);
    return c.json(job);
  });
  app.get("/api/jobs/:id/events", (c) => {
    const jobId = id(c.req.param("id"), "job id");
    if (!jobs.get(jobId)) throw new ApiError("UNKNOWN_ID", `no job ${jobId}`, 404);
    const last = c.req.header("last-event-id") ?? c.req.query("after");
    const after = last === undefined ? -1 : /^(0|[1-9][0-9]{0,9})$/.test(last) ? Number(last) : Number.NaN;
    if (Number.isNaN(after)) throw new ApiError("BAD_REQUEST", "Last-Event-ID: not an event number", 400);
    return streamSSE(c, async (stream) => {
      const queue: Array<{ seq: number; type: string; data: string }> = [];
      let wake: (() => void) | undefined;
      let ended = false;
      const follow = jobs.follow(
        jobId,
        after,
        (event) => {
          queue.push({ seq: event.seq, type: event.type, data: JSON.stringify(event) });
          wake?.();
        },
        () => {
          ended = true;
          wake?.();
        },
      );
      ended ||= follow.ended;
      stream.onAbort(() => {
        follow.stop();
        ended = true;
        wake?.();
      });
      const send = async (e: { seq: number; type: string; data: string }) =>
        stream.writeSSE({ id: String(e.seq), event: e.type, data: e.data });
      for (const event of follow.backlog)
        await send({ seq: event.seq, type: event.type, data: JSON.stringify(event) });
      let sent = follow.backlog.at(-1)?.seq ?? after;
      for (;;) {
        while (queue.length > 0) {
          const next = queue.shift() as (typeof queue)[number];
          if (next.seq > sent) {
            await send(next);
            sent = next.seq;
          }
        }
        if (ended || stream.aborted) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.keepAliveMs ?? 15_000).unref();
        });
        wake = undefined;
        if (queue.length === 0 && !ended && !stream.aborted) await stream.write(": keep-alive\n\n");
      }
      follow.stop();
      const job = jobs.get(jobId);
      await stream.writeSSE({ event: "job_end", data: JSON.stringify(job) });
    });
  });

  // Epic runs and boards.
  app.get("/api/runs", (c) => {
    const page = parse(PageQuery, c.req.query(), "query");
    return c.json({
      items: runs.listRunHeads(page.limit, page.offset),
      total: runs.countRuns(),
      offset: page.offset,
    });
  });
  app.get("/api/runs/:id", (c) => {
    const runId = id(c.req.param("id"), "run id");
    const run = runs.getRun(runId);
    if (!run) throw new ApiError("UNKNOWN_ID", `no run ${runId}`, 404);
    return c.json({ run, turns: runs.listLedger(runId) });
  });
  // A run's memory traces (recorded with memory_trace / --memory-trace): listed, checked, compared.
  const runFolder = (runId: string) => {
    const run = runs.getRun(runId);
    if (!run) throw new ApiError("UNKNOWN_ID", `no run ${runId}`, 404);
    return join(run.workspace, "runs", runId);
  };
  const traces = async <T>(runId: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (error instanceof TraceFileError) {
        throw new ApiError("UNKNOWN_ID", `run ${runId} has no memory traces (run it with memory_trace)`, 404);
      }
      throw error;
    }
  };
  app.get("/api/runs/:id/traces", async (c) => {
    const runId = id(c.req.param("id"), "run id");
    const set = await traces(runId, () => listTurnTraces(runFolder(runId)));
    return c.json({ turns: set.turns.map((t) => ({ turn: t.key, retrieval: t.retrieval !== null })) });
  });
  app.get("/api/runs/:id/traces/check", async (c) => {
    const runId = id(c.req.param("id"), "run id");
    const checked = await traces(runId, () => checkTracePath({ trace: runFolder(runId) }));
    return c.json({
      ok: checked.ok,
      turns: checked.turns.map((t) => ({ turn: t.turn, result: t.result })),
    });
  });
  app.post("/api/traces/compare", async (c) => {
    const request = parse(z.strictObject({ left: IdSchema, right: IdSchema }), await body(c), "body");
    const left = runFolder(request.left);
    const right = runFolder(request.right);
    return c.json(
      await traces(`${request.left} or ${request.right}`, () => compareTracePaths({ left, right })),
    );
  });

  app.get("/api/builds", (c) => c.json({ items: cards.listBuilds() }));
  app.get("/api/builds/:id/board", (c) => {
    const buildId = id(c.req.param("id"), "build id");
    const build = cards.getBuild(buildId);
    if (!build) throw new ApiError("UNKNOWN_ID", `no build ${buildId}`, 404);
    return c.json({ build, issues: cards.getIssues(buildId) });
  });

  // The benchmark history, its reports, the leaderboard and comparisons.
  const HistoryQuery = PageQuery.extend({
    model: z.string().max(500).optional(),
    bank: z.string().max(500).optional(),
    role: z.string().max(100).optional(),
    since: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    until: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  });
  app.get("/api/history", (c) => {
    const q = parse(HistoryQuery, c.req.query(), "query");
    const all = history.list({ model: q.model, bank: q.bank, role: q.role, since: q.since, until: q.until });
    return c.json({ items: all.slice(q.offset, q.offset + q.limit), total: all.length, offset: q.offset });
  });
  const entry = (historyId: number) => {
    const found = history.get(historyId);
    if (!found) throw new ApiError("UNKNOWN_ID", `no history entry ${historyId}`, 404);
    return found;
  };
  // Reports are read and validated once while their file is unchanged (size and mtime): a 10,000-task
  // report is 12 MB of JSON, and its summary route must answer in milliseconds.
  const reports = new Map<string, { stamp: string; report: Report; summary: string }>();
  const readReport = async (historyId: number) => {
    const e = entry(historyId);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(e.report_path);
    } catch {
      throw new ApiError("UNKNOWN_ID", `history entry ${historyId}: its report file is gone`, 404);
    }
    const stamp = `${info.size}:${info.mtimeMs}`;
    const cached = reports.get(e.report_path);
    if (cached?.stamp === stamp) return cached;
    const report = ReportSchema.parse(JSON.parse(await readFile(e.report_path, "utf8")));
    // The summary is the report without its per-run and per-task lists: what a list of reports or a
    // page header needs. Serialized once; the full report has the rest.
    const { test_runs: _runs, summary: figures, ...rest } = report;
    const { tasks: _tasks, ...headline } = figures;
    const fresh = { stamp, report, summary: JSON.stringify({ ...rest, summary: headline }) };
    reports.set(e.report_path, fresh);
    if (reports.size > 8) reports.delete(reports.keys().next().value as string);
    return fresh;
  };
  app.get("/api/history/:id", (c) => c.json(entry(numericId(c.req.param("id"), "history id"))));
  app.get("/api/reports/:id", async (c) =>
    c.json((await readReport(numericId(c.req.param("id"), "report id"))).report),
  );
  app.get("/api/reports/:id/summary", async (c) => {
    const { summary } = await readReport(numericId(c.req.param("id"), "report id"));
    return c.body(summary, 200, { "content-type": "application/json" });
  });
  app.get("/api/leaderboard", (c) => {
    const q = parse(
      z.object({ bank: z.string().max(500).optional(), role: z.string().max(100).optional() }),
      c.req.query(),
      "query",
    );
    return c.json({ rows: leaderboard(history.list({ bank: q.bank, role: q.role })) });
  });
  app.post("/api/compare", async (c) => {
    const request = parse(CompareBody, await body(c), "body");
    const path = (historyId: number) => entry(historyId).report_path;
    const comparison = await compareReportFiles({
      baseline: path(request.baseline),
      candidates: request.candidates.map(path),
      includeInvalid: request.include_invalid,
      failOn: request.fail_on,
      strict: request.strict,
      resamples: request.resamples,
    });
    return c.json(comparison);
  });

  // Sweeps: those whose rows are in the history.
  const sweeps = () => {
    const paths = new Map<string, string>();
    for (const e of history.list()) if (e.sweep_path) paths.set(sweepId(e.sweep_path), e.sweep_path);
    return paths;
  };
  app.get("/api/sweeps", (c) => c.json({ items: [...sweeps().keys()].map((sweep_id) => ({ sweep_id })) }));
  app.get("/api/sweeps/:id", async (c) => {
    const sweep = id(c.req.param("id"), "sweep id");
    const path = sweeps().get(sweep);
    if (!path || !existsSync(path)) throw new ApiError("UNKNOWN_ID", `no sweep ${sweep}`, 404);
    return c.json(SweepSummarySchema.parse(JSON.parse(await readFile(path, "utf8"))));
  });

  // Concurrency sweeps: those under the project's orket-sweeps/ (one folder each, as the CLI writes
  // them), named by the hash of their path; nothing outside the project is read.
  const concurrencySweeps = async () => {
    const found = new Map<string, string>();
    if (!options.projectDir) return found;
    const root = join(options.projectDir, "orket-sweeps");
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const path = join(root, entry.name, "concurrency_sweep.json");
      if (existsSync(path)) found.set(sweepId(path), path);
    }
    return found;
  };
  app.get("/api/concurrency", async (c) => {
    const items = [];
    for (const [sweep_id, path] of await concurrencySweeps()) {
      const parsed = ConcurrencySweepSchema.safeParse(
        JSON.parse(await readFile(path, "utf8").catch(() => "null")),
      );
      if (!parsed.success) continue;
      items.push({
        sweep_id,
        model_ref: parsed.data.model_ref,
        generated_at: parsed.data.generated_at,
        levels: parsed.data.settings.levels,
        knee: parsed.data.knee.concurrency,
      });
    }
    items.sort((a, b) => b.generated_at.localeCompare(a.generated_at));
    return c.json({ items });
  });
  app.get("/api/concurrency/:id", async (c) => {
    const sweep = id(c.req.param("id"), "concurrency sweep id");
    const path = (await concurrencySweeps()).get(sweep);
    if (!path) throw new ApiError("UNKNOWN_ID", `no concurrency sweep ${sweep}`, 404);
    return c.json(ConcurrencySweepSchema.parse(JSON.parse(await readFile(path, "utf8"))));
  });

  // The dashboard (built by Vite into dist/web): public files; the API behind them asks for the key.
  const web = dashboardDir();
  if (web) {
    const root = relative(process.cwd(), web) || ".";
    app.use("/assets/*", serveStatic({ root }));
    app.get("/", serveStatic({ root, path: "index.html" }));
  } else {
    app.get("/", (c) =>
      c.text(
        "orket serve: the dashboard is not built (npm run build); the API is under /api, see /openapi.json\n",
      ),
    );
  }

  // The lab probe: one hardware sample, as `orket lab probe --json` takes it (nvidia-smi, rocm-smi or
  // the CPU), with the GPU's temperature for the thermal gate.
  app.get("/api/lab/probe", async (c) => {
    const gpu = parse(z.coerce.number().int().min(0).max(63).default(0), c.req.query("gpu"), "query gpu");
    const sidecar = startSidecar({ relay: false, gpuIndex: gpu });
    return c.json({ summary: await sidecar.stop() });
  });

  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  app.get("/metrics", async (c) => {
    const text = await metrics.render();
    return c.body(text, 200, { "content-type": metrics.contentType });
  });
  return app;
}

/** dist/web beside the built server (dist/server), or the repository's dist/web when run from source. */
function dashboardDir(): string | undefined {
  for (const candidate of ["../web/", "../../dist/web/"]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return undefined;
}
