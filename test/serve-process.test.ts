/**
 * `orket serve` as a real process: SIGTERM in the middle of a job stops it accepting, ends the job as
 * interrupted with its partial report written, and exits 0; a new server finds the job interrupted and
 * resumes it from its journal, its events numbered on from where they stopped. And a real Prometheus
 * (Debian's package, started here on a loopback port) scrapes `/metrics` and answers for it through its
 * own query API. Neither skips: a missing `prometheus` fails the test (`.ci/run` installs it).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MEMORIZER_F32 } from "./support/llama-cpp.js";

type Json = Record<string, unknown>;

interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

async function serve(project: string, extra: string[] = []): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [join(process.cwd(), "dist/cli/main.js"), "serve", "--port", "0", "--project", project, ...extra],
    { cwd: project, env: { ...process.env, ORKET_HOME: join(project, "home"), OLLAMA_HOST: "", CI: "true" } },
  );
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  for (let i = 0; i < 200; i++) {
    const url = /serving .* on (http:\/\/\S+)/.exec(stderr)?.[1];
    if (url) return { child, url, stderr: () => stderr, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`orket serve did not start:\n${stderr}`);
}

async function json(url: string, init?: RequestInit): Promise<Json> {
  const response = await fetch(url, init);
  return (await response.json()) as Json;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("orket serve as a process", () => {
  it("SIGTERM ends a running job as interrupted with its partial report; a new server resumes it", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-serve-proc-"));
    const first = await serve(project);
    const job = await json(`${first.url}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "bench", model: `gguf/${MEMORIZER_F32}`, tasks: "1-16" }),
    });
    const jobId = job.job_id as string;
    await until("three finished test runs", async () => {
      const now = await json(`${first.url}/api/jobs/${jobId}`);
      return (now.events as number) >= 8 ? now : undefined;
    });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.stderr()).toMatch(/SIGTERM: stopping; running jobs end as interrupted/);
    const report = JSON.parse(
      readFileSync(join(project, ".orket", "jobs", jobId, "out", "orket_report.json"), "utf8"),
    );
    expect(report.interrupted).toBe(true);
    const partial = (report.test_runs as unknown[]).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(16);

    const second = await serve(project);
    const found = await json(`${second.url}/api/jobs/${jobId}`);
    expect(found).toMatchObject({ state: "interrupted", attempts: 1 });
    const eventsBefore = found.events as number;
    await json(`${second.url}/api/jobs/${jobId}/resume`, { method: "POST" });
    const done = await until("the resumed job", async () => {
      const now = await json(`${second.url}/api/jobs/${jobId}`);
      return now.state === "done" ? now : undefined;
    });
    expect(done.attempts).toBe(2);
    const full = JSON.parse(
      readFileSync(join(project, ".orket", "jobs", jobId, "out", "orket_report.json"), "utf8"),
    );
    expect(full.interrupted).toBe(false);
    expect((full.test_runs as unknown[]).length).toBe(16);
    // The events file numbers on across both servers: 0, 1, 2, … with no gap or repeat.
    const lines = readFileSync(join(project, ".orket", "jobs", jobId, "events.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(lines.length).toBeGreaterThan(eventsBefore);
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual(lines.map((_, i) => i));
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 180_000);

  it("kill -9 leaves the job running in the store; the next server marks it interrupted", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-serve-kill-"));
    const first = await serve(project);
    const job = await json(`${first.url}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "bench", model: `gguf/${MEMORIZER_F32}`, tasks: "1-16" }),
    });
    await until("the job running", async () => {
      const now = await json(`${first.url}/api/jobs/${job.job_id}`);
      return (now.events as number) >= 4 ? now : undefined;
    });
    first.child.kill("SIGKILL");
    await first.exited;
    const second = await serve(project);
    const found = await json(`${second.url}/api/jobs/${job.job_id}`);
    expect(found).toMatchObject({ state: "interrupted", error: { code: "SERVER_STOPPED" } });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 120_000);

  it("is scraped by a real Prometheus, which answers for orket_jobs and the GenAI histograms", async () => {
    const prometheus = spawnSync("prometheus", ["--version"], { encoding: "utf8" });
    if (prometheus.error) {
      throw new Error("prometheus is not installed: apt-get install prometheus (.ci/run installs it)");
    }
    const project = mkdtempSync(join(tmpdir(), "orket-serve-prom-"));
    const server = await serve(project);
    const job = await json(`${server.url}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "bench", model: `gguf/${MEMORIZER_F32}`, tasks: "1-2" }),
    });
    await until("the job", async () => {
      const now = await json(`${server.url}/api/jobs/${job.job_id}`);
      return now.state === "done" ? now : undefined;
    });
    const target = new URL(server.url).host;
    const port = await freePort();
    const config = join(project, "prometheus.yml");
    writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: orket\n    static_configs:\n      - targets: ["${target}"]\n`,
    );
    const prom = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(project, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
    children.push(prom);
    const query = async (q: string) =>
      json(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
    const done = await until(
      "Prometheus to scrape orket_jobs",
      async () => {
        const answer = await query('orket_jobs{state="done"}');
        const result = (answer?.data as { result?: Array<{ value: [number, string] }> } | undefined)?.result;
        return result?.length ? result : undefined;
      },
      60_000,
    );
    expect(Number(done[0]?.value[1])).toBe(1);
    type Answer = { data: { result: Array<{ value: [number, string] }> } };
    const calls = (await query("sum(gen_ai_client_operation_duration_seconds_count)")) as Answer | undefined;
    expect(Number(calls?.data.result[0]?.value[1])).toBe(2);
    const tokens = (await query('gen_ai_client_token_usage_count{gen_ai_token_type="output"}')) as
      | Answer
      | undefined;
    expect(tokens?.data.result).toHaveLength(1);
    prom.kill("SIGTERM");
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 120_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
