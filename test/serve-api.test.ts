/**
 * `orket serve`'s API over real HTTP: a server on a free loopback port over a fresh project, benches run
 * as jobs on the embedded engine with the code-writing fixture model, their events followed over SSE
 * (with a disconnect and a `Last-Event-ID` resume), their reports read back by history id and compared,
 * and every bad input the routes refuse. Every response is checked against the server's own
 * `/openapi.json`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConcurrencySweep } from "../src/lab/concurrency.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { MEMORIZER_F32 } from "./support/llama-cpp.js";
import { startLoadServer } from "./support/load-server.js";
import { runCli } from "./support/run-cli.js";
import { answer, call as toolCall, writeScript } from "./support/script-cassette.js";

type Json = Record<string, unknown>;

const MODEL = `gguf/${MEMORIZER_F32}`;

/** Checks responses against the server's OpenAPI document: the schema of (method, route, status). */
class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false });
  readonly checked = new Set<string>();

  constructor(private readonly doc: Json) {
    const components = (doc.components as Json).schemas as Json;
    this.ajv.addSchema({ $id: "orket", components: { schemas: components } });
  }

  check(method: string, url: string, status: number, body: unknown): void {
    const path = new URL(url).pathname;
    const paths = this.doc.paths as Record<string, Json>;
    const route = Object.keys(paths).find((template) =>
      new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path),
    );
    if (!route) throw new Error(`${method} ${path} is not in /openapi.json`);
    const operation = (paths[route] as Json)[method.toLowerCase()] as Json | undefined;
    if (!operation) throw new Error(`${method} ${route} is not in /openapi.json`);
    const response = (operation.responses as Json)[String(status)] as Json | undefined;
    if (!response)
      throw new Error(`${method} ${route} answered ${status}, which /openapi.json does not list`);
    const content = response.content as Json | undefined;
    const schema = (content?.["application/json"] as Json | undefined)?.schema;
    if (schema === undefined) return;
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"orket#/components/'));
    const validate = this.ajv.compile(rewritten);
    if (!validate(body)) {
      throw new Error(`${method} ${path} ${status}: ${this.ajv.errorsText(validate.errors)}`);
    }
    this.checked.add(`${method} ${route} ${status}`);
  }
}

describe("orket serve: the API", () => {
  let server: RunningServer;
  let openapi: OpenApiChecker;
  let project: string;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const url = `${server.url}${path}`;
    const response = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const json =
      text.length > 0 && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
    openapi?.check(method, url, response.status, json);
    return { status: response.status, body: json as Json, headers: response.headers };
  }

  async function waitFor(jobId: string, states: string[]): Promise<Json> {
    for (let i = 0; i < 600; i++) {
      const { body } = await call("GET", `/api/jobs/${jobId}`);
      if (states.includes(body.state as string)) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} never reached ${states.join("/")}`);
  }

  /** Reads a job's SSE stream until `stopAfter` events (then disconnects) or its end. */
  async function events(jobId: string, options: { lastEventId?: number; stopAfter?: number } = {}) {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/jobs/${jobId}/events`, {
      headers: options.lastEventId === undefined ? {} : { "Last-Event-ID": String(options.lastEventId) },
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const got: Array<{ id: string | undefined; event: string | undefined; data: Json }> = [];
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream())
      .getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        got.push({ id: value.id, event: value.event, data: JSON.parse(value.data) });
        if (options.stopAfter !== undefined && got.length >= options.stopAfter) {
          controller.abort();
          break;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    return got;
  }

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), "orket-serve-"));
    server = await startServer({ projectDir: project, home: join(project, "home"), port: 0 });
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    openapi = new OpenApiChecker(doc as Json);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves its OpenAPI document and says it is alive", async () => {
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(doc).toMatchObject({ openapi: "3.1.0", info: { title: "Orket" } });
    const health = await call("GET", "/api/health");
    expect(health.body).toMatchObject({ ok: true });
  });

  it("runs a bench as a job, streams its events live, and files its report in the history", async () => {
    const created = await call("POST", "/api/jobs", { kind: "bench", model: MODEL, tasks: "1-3" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: "bench", backend: "embedded" });
    const jobId = created.body.job_id as string;

    // Connect, take three events, drop the connection; reconnect with Last-Event-ID: nothing is missed.
    const first = await events(jobId, { stopAfter: 3 });
    expect(first.map((e) => Number(e.id))).toEqual([0, 1, 2]);
    const rest = await events(jobId, { lastEventId: 2 });
    const ids = rest.filter((e) => e.event !== "job_end").map((e) => Number(e.id));
    expect(ids[0]).toBe(3);
    expect(ids).toEqual(ids.map((_, i) => 3 + i));
    const all = [...first, ...rest].filter((e) => e.event !== "job_end").map((e) => e.data);
    expect(all.find((e) => e.type === "run_start")).toMatchObject({ command: "bench", total: 3 });
    expect(all.filter((e) => e.type === "test_run_end")).toHaveLength(3);
    expect(all.at(-1)).toMatchObject({ type: "run_end", status: "done" });
    expect(rest.at(-1)).toMatchObject({ event: "job_end", data: { state: "done" } });

    const job = await waitFor(jobId, ["done"]);
    const historyIds = (job.result as { history_ids: number[] }).history_ids;
    expect(historyIds).toHaveLength(1);
    const [historyId] = historyIds;
    const report = await call("GET", `/api/reports/${historyId}`);
    expect(report.status).toBe(200);
    expect((report.body.test_runs as unknown[]).length).toBe(3);
    const summary = await call("GET", `/api/reports/${historyId}/summary`);
    expect(summary.body).not.toHaveProperty("test_runs");
    expect(summary.body.summary).toMatchObject({ test_runs: 3 });

    // A stream opened after the job ended replays everything, then job_end.
    const replay = await events(jobId);
    expect(replay.filter((e) => e.event !== "job_end")).toHaveLength(all.length);
  }, 120_000);

  it("lists jobs and the history, ranks the leaderboard, and compares two reports", async () => {
    const again = await call("POST", "/api/jobs", { kind: "bench", model: MODEL, tasks: "1-3" });
    const job = await waitFor(again.body.job_id as string, ["done"]);
    const list = await call("GET", "/api/jobs?limit=1");
    expect(list.body).toMatchObject({ total: 2, offset: 0 });
    expect((list.body.items as Json[]).map((j) => j.job_id)).toEqual([job.job_id]);

    const history = await call("GET", "/api/history?model=memorizer");
    expect(history.body.total).toBe(2);
    const [newest, oldest] = history.body.items as Json[];
    const board = await call("GET", "/api/leaderboard");
    expect((board.body.rows as Json[])[0]).toMatchObject({
      rank: 1,
      reports: 2,
      valid_runs: expect.any(Number),
    });
    const comparison = await call("POST", "/api/compare", {
      baseline: oldest?.history_id,
      candidates: [newest?.history_id],
      resamples: 200,
    });
    expect(comparison.status).toBe(200);
    expect(comparison.body).toMatchObject({ schema_version: "orket.comparison.v1" });
    const gate = await call("POST", "/api/compare", {
      baseline: oldest?.history_id,
      candidates: [newest?.history_id],
      fail_on: "pass_rate:-2pp",
      resamples: 200,
    });
    expect(gate.body.gate_failed).toBe(false);
  }, 120_000);

  it("queues a second job behind the first on one backend, cancels, and resumes", async () => {
    const first = await call("POST", "/api/jobs", { kind: "bench", model: MODEL, tasks: "1-6" });
    const second = await call("POST", "/api/jobs", { kind: "bench", model: MODEL, tasks: "1-2" });
    expect(second.body).toMatchObject({ state: "queued", queue_position: 1 });
    // A queued job is taken out of line; the running one is stopped with its partial report.
    const cancelledQueued = await call("POST", `/api/jobs/${second.body.job_id}/cancel`);
    expect(cancelledQueued.body.state).toBe("cancelled");
    await waitFor(first.body.job_id as string, ["running"]);
    await call("POST", `/api/jobs/${first.body.job_id}/cancel`);
    const stopped = await waitFor(first.body.job_id as string, ["cancelled", "done"]);
    expect(stopped.state).toBe("cancelled");
    const resumed = await call("POST", `/api/jobs/${first.body.job_id}/resume`);
    expect(["queued", "running"]).toContain(resumed.body.state);
    const done = await waitFor(first.body.job_id as string, ["done"]);
    expect(done.attempts).toBe(2);
    const report = await call(
      "GET",
      `/api/reports/${(done.result as { history_ids: number[] }).history_ids[0]}`,
    );
    expect((report.body.test_runs as unknown[]).length).toBe(6);
    // Its events carry on numbering across both attempts.
    const all = await events(first.body.job_id as string);
    const ids = all.filter((e) => e.event !== "job_end").map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i));
    expect(all.filter((e) => e.data.type === "run_start")).toHaveLength(2);
  }, 180_000);

  it("refuses bad ids, bad bodies, path tricks and oversized bodies, each with its code", async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ["GET", "/api/jobs/nope", undefined, 404, "UNKNOWN_ID"],
      ["GET", "/api/jobs/..%2F..%2Fetc%2Fpasswd", undefined, 400, "BAD_REQUEST"],
      ["GET", "/api/reports/..%2F..%2Fetc%2Fpasswd", undefined, 400, "BAD_REQUEST"],
      ["GET", "/api/reports/0", undefined, 400, "BAD_REQUEST"],
      ["GET", "/api/reports/999", undefined, 404, "UNKNOWN_ID"],
      ["GET", "/api/runs/%2Fetc%2Fpasswd", undefined, 400, "BAD_REQUEST"],
      ["GET", "/api/builds/nope/board", undefined, 404, "UNKNOWN_ID"],
      ["GET", "/api/sweeps/abc", undefined, 404, "UNKNOWN_ID"],
      ["GET", "/api/jobs?limit=0", undefined, 400, "BAD_REQUEST"],
      ["GET", "/api/jobs?state=sleeping", undefined, 400, "BAD_REQUEST"],
      ["POST", "/api/jobs", "{not json", 400, "BAD_REQUEST"],
      ["POST", "/api/jobs", { kind: "bench" }, 400, "BAD_REQUEST"],
      ["POST", "/api/jobs", { kind: "dance", model: MODEL }, 400, "BAD_REQUEST"],
      ["POST", "/api/jobs", { kind: "bench", model: MODEL, path: "/etc" }, 400, "BAD_REQUEST"],
      ["POST", "/api/jobs", { kind: "run", epic: "../../etc" }, 400, "BAD_REQUEST"],
      ["POST", "/api/compare", { baseline: 1, candidates: [] }, 400, "BAD_REQUEST"],
      ["POST", "/api/compare", { baseline: 998, candidates: [999] }, 404, "UNKNOWN_ID"],
      ["POST", "/api/jobs/nope/cancel", undefined, 404, "UNKNOWN_ID"],
      ["GET", "/api/nothing-here", undefined, 404, "UNKNOWN_ROUTE"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await call(method, path, body).catch((error: Error) => {
        // Paths the router does not know are not in the OpenAPI document: check them without it.
        if (!/not in \/openapi\.json/.test(error.message)) throw error;
        return undefined;
      });
      const got: { status: number; body: Json } =
        response ??
        (await fetch(`${server.url}${path}`, { method }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as Json,
        })));
      expect(got.status, `${method} ${path}`).toBe(status);
      expect((got.body.error as Json).code, `${method} ${path}`).toBe(code);
      expect(JSON.stringify(got.body)).not.toMatch(/\n\s+at /);
    }
    const big = await fetch(`${server.url}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "bench", model: MODEL, tasks: "x".repeat(100_000) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: Json }).error.code).toBe("PAYLOAD_TOO_LARGE");
    // A job whose model cannot load fails as a job, with the library's own error code.
    const broken = await call("POST", "/api/jobs", {
      kind: "bench",
      model: "gguf/./missing.gguf",
      tasks: "1",
    });
    const failed = await waitFor(broken.body.job_id as string, ["failed", "done"]);
    expect(failed).toMatchObject({ state: expect.stringMatching(/failed|done/) });
  }, 60_000);

  it("runs an epic as a job, and shows its run, its turns and its board", async () => {
    const cassette = writeScript(join(project, "script.jsonl"), [
      answer(
        toolCall("write_file", {
          path: "greet.py",
          content: "def greet(name):\n    return f'Hello, {name}!'\n",
        }),
        toolCall("update_issue_status", { status: "code_review" }),
      ),
      answer(
        toolCall("add_issue_comment", { body: "meets the requirements" }),
        toolCall("update_issue_status", { status: "awaiting_guard_review" }),
      ),
      answer(toolCall("update_issue_status", { status: "done" })),
    ]);
    const init = await runCli(["init", project, "--model", `replay/${cassette}`], {
      env: { ORKET_HOME: join(project, "home") },
    });
    expect(init.code, init.stderr).toBe(0);
    const created = await call("POST", "/api/jobs", {
      kind: "run",
      epic: "hello-python",
      model: `replay/${cassette}`,
      memory_trace: true,
    });
    const job = await waitFor(created.body.job_id as string, ["done", "failed"]);
    expect(job.state).toBe("done");
    const runId = (job.result as { run_id: string }).run_id;
    const runs = await call("GET", "/api/runs?limit=5");
    expect((runs.body.items as Json[]).map((r) => r.run_id)).toContain(runId);
    const run = await call("GET", `/api/runs/${runId}`);
    expect(run.body.run).toMatchObject({ run_id: runId, status: "done" });
    expect((run.body.turns as unknown[]).length).toBeGreaterThanOrEqual(3);
    const builds = await call("GET", "/api/builds");
    const [build] = builds.body.items as Json[];
    const board = await call("GET", `/api/builds/${build?.build_id}/board`);
    expect((board.body.issues as Json[]).find((i) => i.id === "greet")).toMatchObject({ status: "done" });

    // Its memory traces: every turn has one, each checks out, and the run compares equal to itself.
    const traces = await call("GET", `/api/runs/${runId}/traces`);
    expect((traces.body.turns as Json[]).map((t) => t.turn)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^greet\/001-/)]),
    );
    const checked = await call("GET", `/api/runs/${runId}/traces/check`);
    expect(checked.body.ok).toBe(true);
    const same = await call("POST", "/api/traces/compare", { left: runId, right: runId });
    expect(same.body).toMatchObject({ equivalent: true, turns: (traces.body.turns as unknown[]).length });
    expect((await call("POST", "/api/traces/compare", { left: runId, right: "nope" })).status).toBe(404);
    expect((await call("POST", "/api/traces/compare", { left: "../x", right: runId })).status).toBe(400);
  }, 60_000);

  it("lists the project's concurrency sweeps and serves one by id, never by path", async () => {
    const load = await startLoadServer();
    try {
      await runConcurrencySweep({
        model: "openai/load",
        providers: { openaiBaseURL: `${load.baseUrl}/v1` },
        levels: [1, 2],
        requests: 4,
        out: join(project, "orket-sweeps", "load-1"),
      });
    } finally {
      await load.close();
    }
    const list = await call("GET", "/api/concurrency");
    expect(list.status).toBe(200);
    const items = list.body.items as Array<{ sweep_id: string }>;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ model_ref: "openai/load", levels: [1, 2] });
    const one = await call("GET", `/api/concurrency/${items[0]?.sweep_id}`);
    expect(one.status).toBe(200);
    expect(one.body.rows).toHaveLength(2);
    expect((await call("GET", "/api/concurrency/0123456789abcdef")).status).toBe(404);
    expect((await call("GET", `/api/concurrency/${encodeURIComponent("../../etc/passwd")}`)).status).toBe(
      400,
    );
  });

  it("takes one hardware sample for the lab probe", async () => {
    const probe = await call("GET", "/api/lab/probe");
    expect(probe.status).toBe(200);
    expect(probe.body.summary).toMatchObject({ backend: expect.stringMatching(/^(nvidia|rocm|cpu)$/) });
    expect((await call("GET", "/api/lab/probe?gpu=-1")).status).toBe(400);
  });

  it("checked every kind of answer it got against /openapi.json", () => {
    for (const route of [
      "GET /api/health 200",
      "POST /api/jobs 201",
      "GET /api/jobs 200",
      "GET /api/jobs/{id} 200",
      "POST /api/jobs/{id}/cancel 200",
      "POST /api/jobs/{id}/resume 200",
      "GET /api/history 200",
      "GET /api/reports/{id} 200",
      "GET /api/reports/{id}/summary 200",
      "GET /api/leaderboard 200",
      "POST /api/compare 200",
      "GET /api/jobs/{id} 404",
      "POST /api/jobs 400",
      "POST /api/compare 404",
      "GET /api/lab/probe 200",
      "GET /api/runs 200",
      "GET /api/runs/{id} 200",
      "GET /api/builds 200",
      "GET /api/builds/{id}/board 200",
      "GET /api/runs/{id}/traces 200",
      "GET /api/runs/{id}/traces/check 200",
      "POST /api/traces/compare 200",
      "GET /api/concurrency 200",
      "GET /api/concurrency/{id} 200",
      "GET /api/concurrency/{id} 404",
    ]) {
      expect(openapi.checked, route).toContain(route);
    }
  });

  it("sends no CORS headers unless asked", async () => {
    const response = await fetch(`${server.url}/api/health`, { headers: { Origin: "http://evil.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("orket serve: safe by default", () => {
  it("refuses a non-loopback host without a key, and a short key", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-serve-host-"));
    await expect(
      startServer({ projectDir: project, home: project, port: 0, host: "0.0.0.0" }),
    ).rejects.toThrow(/--host 0\.0\.0\.0 is reachable from other machines: set ORKET_API_KEY/);
    await expect(
      startServer({ projectDir: project, home: project, port: 0, apiKey: "short" }),
    ).rejects.toThrow(/shorter than 16/);
  });

  it("asks every API and metrics request for the key, compared in constant time", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-serve-key-"));
    const key = "k".repeat(32);
    const server = await startServer({
      projectDir: project,
      home: project,
      port: 0,
      apiKey: key,
      corsOrigin: "http://dash.example",
    });
    try {
      for (const path of ["/api/health", "/api/jobs", "/metrics"]) {
        const none = await fetch(`${server.url}${path}`);
        expect(none.status, path).toBe(401);
        expect(((await none.json()) as { error: Json }).error.code).toBe("UNAUTHORIZED");
        const wrong = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${key}x` } });
        expect(wrong.status, path).toBe(401);
        const right = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
        expect(right.status, path).toBe(200);
      }
      const preflight = await fetch(`${server.url}/api/jobs`, {
        method: "OPTIONS",
        headers: { Origin: "http://dash.example", "Access-Control-Request-Method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBe("http://dash.example");
      const other = await fetch(`${server.url}/api/health`, {
        headers: { Origin: "http://evil.example", Authorization: `Bearer ${key}` },
      });
      expect(other.headers.get("access-control-allow-origin")).not.toBe("http://evil.example");
    } finally {
      await server.close();
    }
  });
});
