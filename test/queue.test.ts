/**
 * The queue on a real redis-server with real worker processes (`orket worker`, the built CLI): a bench
 * through the queue gives the same per-task outcomes as a local one, and each fault — a worker killed
 * with -9, Redis killed with -9 and restarted, the controller killed and resumed, a job that keeps
 * failing — ends with exactly one record per test run. Locks are 2 s here (30 s by default), so a dead
 * worker's job is taken again in seconds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runBenchmark } from "../src/bench/runner.js";
import { type QueuedBenchmarkOptions, runQueuedBenchmark } from "../src/queue/controller.js";
import type { OrketEvent } from "../src/spec/events.js";
import type { Report, TestRun } from "../src/spec/report.js";
import { MEMORIZER_F32 } from "./support/llama-cpp.js";
import { makeTls, startRedis, type TestRedis } from "./support/redis.js";
import { runCli } from "./support/run-cli.js";
import { writeScript } from "./support/script-cassette.js";

const CLI = join(process.cwd(), "dist", "cli", "main.js");
const steadyLoad = {
  sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }),
};

/** A worker process; resolves once it has announced itself. */
async function startWorkerProcess(
  queue: string,
  modelsDir: string,
  id: string,
  lockMs = 2000,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; log: () => string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "worker",
      "--queue",
      queue,
      "--models-dir",
      modelsDir,
      "--id",
      id,
      "--lock-ms",
      String(lockMs),
      "--no-sidecar",
    ],
    {
      env: { ...process.env, CI: "true", OLLAMA_HOST: "", OPENAI_BASE_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${id} did not start in 30 s:\n${log}`)), 30_000);
    const check = () => {
      if (log.includes(`worker ${id} on `)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${id} exited ${code}:\n${log}`));
    });
  });
  return {
    child,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      });
    },
  };
}

/** Exactly one record per test run: the ids are those planned, each once. */
function expectExactlyOnce(report: Report, expected: string[]): void {
  const ids = report.test_runs.map((r) => r.test_id);
  expect(ids.length).toBe(expected.length);
  expect(new Set(ids).size).toBe(expected.length);
  expect([...ids].sort()).toEqual([...expected].sort());
}

/** A slow scripted model: every answer takes `delayMs`, answers cycle forever. */
function slowModelDir(root: string, delayMs: number): { dir: string; ref: string } {
  const dir = join(root, "models");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "slow.jsonl");
  writeScript(path, [{ text: "```python\ndef clamp(value, low, high):\n    return value\n```", delayMs }]);
  // `cycle`: the script answers any number of requests.
  const text = readFileSync(path, "utf8").replace('"match":"sequence"', '"match":"cycle"');
  writeFileSync(path, text);
  return { dir, ref: `replay/${path}` };
}

const FOUR = ["py/clamp#0", "py/is-palindrome#0", "py/count-vowels#0", "py/chunk#0"];

describe("the queue on a real Redis, with worker processes", () => {
  let redis: TestRedis;
  const workers: Array<{ stop(): Promise<void> }> = [];
  /** A bench of `model` through this Redis, its home and out folder under `root`, read every 300 ms. */
  const queuedBench = (root: string, model: { ref: string }, options: Partial<QueuedBenchmarkOptions>) =>
    runQueuedBenchmark({
      model: model.ref,
      home: join(root, "home"),
      queue: redis.url,
      out: join(root, "out"),
      loadSampler: steadyLoad,
      pollMs: 300,
      ...options,
    });

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("a bench over the queue on two workers gives the same per-task outcomes as a local bench", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-same-"));
    const models = join(root, "models");
    mkdirSync(models);
    symlinkSync(MEMORIZER_F32, join(models, "memorizer.gguf"));
    workers.push(
      ...(await Promise.all([
        startWorkerProcess(redis.url, models, "same-a"),
        startWorkerProcess(redis.url, models, "same-b"),
      ])),
    );
    const events: OrketEvent[] = [];
    const common = {
      model: `gguf/${MEMORIZER_F32}`,
      tasks: "1-8",
      home: join(root, "home"),
      loadSampler: steadyLoad,
    };
    const queued = await runQueuedBenchmark({
      ...common,
      queue: redis.url,
      out: join(root, "queued"),
      reporter: { onEvent: (e) => void events.push(e) },
      sidecar: false,
    });
    const local = await runBenchmark({ ...common, out: join(root, "local"), sidecar: false });
    const outcomes = (runs: TestRun[]) => Object.fromEntries(runs.map((r) => [r.test_id, r.outcome]));
    expect(outcomes(queued.report.test_runs)).toEqual(outcomes(local.report.test_runs));
    expect(Object.keys(outcomes(queued.report.test_runs))).toHaveLength(8);
    expect(queued.reports).toHaveLength(1);
    // The same progress as a local bench: a start and an end per test run, then the run's end.
    expect(events.filter((e) => e.type === "test_run_end")).toHaveLength(8);
    expect(events.filter((e) => e.type === "test_run_start").length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: "run_end", status: "done", done: 8, total: 8 });
    // Every record names its worker and the hardware; the report names the batch and its workers.
    for (const run of queued.report.test_runs) expect(run.worker?.id).toMatch(/^same-[ab]$/);
    const settings = queued.report.settings;
    expect(settings.hardware).toEqual({
      mixed: false,
      fingerprints: [run0(queued.report).worker?.hardware_fingerprint],
    });
    expect(settings.queue?.workers.reduce((n, w) => n + w.runs, 0)).toBe(8);
    expect(queued.report.reproducibility?.model.file_sha256).toBe(
      local.report.reproducibility?.model.file_sha256,
    );
    // Nothing of the batch is left behind: its jobs have left Redis, its collected records the disk.
    const client = new Redis(redis.url);
    expect(await client.keys(`bull:*:${queued.batch_id}.*`)).toEqual([]);
    client.disconnect();
    expect(existsSync(join(root, "queued", "orket_queue_records.ndjson"))).toBe(false);
  }, 180_000);

  it("a sweep over the queue: each row's runs come from the workers of its own model", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-sweep-"));
    const fast = slowModelDir(root, 5);
    // A second model: another script, so another sha256 and another queue.
    const other = join(fast.dir, "other.jsonl");
    writeScript(other, ["```python\ndef clamp(value, low, high):\n    return low\n```"]);
    writeFileSync(other, readFileSync(other, "utf8").replace('"match":"sequence"', '"match":"cycle"'));
    workers.push(await startWorkerProcess(redis.url, fast.dir, "sweep-a"));
    const { runQuantSweep } = await import("../src/lab/sweep.js");
    const { summary } = await runQuantSweep({
      models: [
        { quant: "fast", ref: fast.ref },
        { quant: "other", ref: `replay/${other}` },
      ],
      tasks: "1-3",
      skipCanary: true,
      home: join(root, "home"),
      out: join(root, "sweep"),
      rowIsolation: "in-process",
      loadSampler: steadyLoad,
      sidecar: false,
      runBench: (options) => runQueuedBenchmark({ ...options, queue: redis.url, pollMs: 300 }),
    } as Parameters<typeof runQuantSweep>[0]);
    expect(summary.rows.map((r) => r.quant_tag)).toEqual(["fast", "other"]);
    for (const row of summary.rows) {
      const report = JSON.parse(readFileSync(row.report_path as string, "utf8")) as Report;
      expectExactlyOnce(report, FOUR.slice(0, 3));
      expect(new Set(report.test_runs.map((r) => r.worker?.id))).toEqual(new Set(["sweep-a"]));
      expect(report.settings.queue?.model_key).toMatch(/^replay-[0-9a-f]{64}$/);
    }
    expect(summary.null_reasons.hardware_fingerprint_source).toMatch(/workers/);
  }, 120_000);

  it("orket serve --queue hands a bench job to the workers, and its report names them", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-serve-"));
    const model = slowModelDir(root, 5);
    workers.push(await startWorkerProcess(redis.url, model.dir, "serve-a"));
    const { startServer } = await import("../src/server/serve.js");
    const server = await startServer({
      projectDir: root,
      home: join(root, "home"),
      port: 0,
      queue: redis.url,
    });
    try {
      const created = (await (
        await fetch(`${server.url}/api/jobs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ kind: "bench", model: model.ref, tasks: "1-3" }),
        })
      ).json()) as { job_id: string; backend: string };
      expect(created.backend).toBe(`queue ${redis.url}`);
      let job: { state: string; result: { report_path: string } | null } = { state: "queued", result: null };
      for (let i = 0; i < 200 && !["done", "failed"].includes(job.state); i++) {
        await new Promise((r) => setTimeout(r, 200));
        job = (await (await fetch(`${server.url}/api/jobs/${created.job_id}`)).json()) as typeof job;
      }
      expect(job.state).toBe("done");
      const report = JSON.parse(readFileSync(job.result?.report_path as string, "utf8")) as Report;
      expectExactlyOnce(report, FOUR.slice(0, 3));
      expect(report.test_runs.every((r) => r.worker?.id === "serve-a")).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("SIGTERM stops a worker after the test run in progress: its record comes back, then it exits 0", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-term-"));
    const model = slowModelDir(root, 1500);
    const worker = await startWorkerProcess(redis.url, model.dir, "term-a");
    workers.push(worker);
    const exited = new Promise<number | null>((resolve) =>
      worker.child.once("exit", (code) => resolve(code)),
    );
    const { report } = await queuedBench(root, model, {
      tasks: "1",
      reporter: { onEvent: (e) => e.type === "test_run_start" && worker.child.kill("SIGTERM") },
    });
    expectExactlyOnce(report, ["py/clamp#0"]);
    expect(report.test_runs[0]?.worker?.id).toBe("term-a");
    expect(await exited).toBe(0);
    expect(worker.log()).toMatch(
      /SIGTERM: finishing the test run in progress[\s\S]*stopped after 1 test run/,
    );
  }, 60_000);

  it("a worker killed with -9 mid-job: its job is taken by another worker, one record per test run", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-kill-"));
    const model = slowModelDir(root, 1500);
    const first = await startWorkerProcess(redis.url, model.dir, "kill-a");
    workers.push(first);
    let killed = false;
    let killedTest = "";
    const events: OrketEvent[] = [];
    const pending = queuedBench(root, model, {
      tasks: "1-4",
      reporter: {
        onEvent: (e) => {
          events.push(e);
          // Kill the only worker as soon as it has started its first job.
          if (e.type === "test_run_start" && !killed) {
            killed = true;
            killedTest = e.test_id;
            first.child.kill("SIGKILL");
            void startWorkerProcess(redis.url, model.dir, "kill-b").then((w) => workers.push(w));
          }
        },
      },
    });
    const { report } = await pending;
    expect(killed).toBe(true);
    expectExactlyOnce(report, FOUR);
    // Nothing failed: the killed worker's job was run again, by the second worker, to the end.
    expect(report.test_runs.every((r) => r.worker?.id === "kill-b" || r.worker?.id === "kill-a")).toBe(true);
    expect(report.test_runs.find((r) => r.test_id === killedTest)?.worker?.id).toBe("kill-b");
    expect(report.test_runs.filter((r) => r.telemetry.error?.code === "QUEUE_JOB_FAILED")).toEqual([]);
  }, 120_000);

  it("Redis killed with -9 and restarted mid-batch: workers and controller reconnect, one record per test run", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-redis-"));
    const model = slowModelDir(root, 1000);
    workers.push(
      ...(await Promise.all([
        startWorkerProcess(redis.url, model.dir, "redis-a", 5000),
        startWorkerProcess(redis.url, model.dir, "redis-b", 5000),
      ])),
    );
    let restarted: Promise<void> | null = null;
    const { report } = await queuedBench(root, model, {
      tasks: "1-4",
      runs: 2,
      reporter: {
        onEvent: (e) => {
          if (e.type === "test_run_end" && e.done === 2 && restarted === null) {
            redis.kill9();
            restarted = new Promise((r) => setTimeout(r, 1000)).then(() => redis.restart());
          }
        },
      },
    });
    expect(restarted).not.toBeNull();
    await restarted;
    expectExactlyOnce(
      report,
      FOUR.flatMap((id) => [id, id.replace("#0", "#1")]),
    );
    expect(report.test_runs.filter((r) => r.telemetry.error?.code === "QUEUE_JOB_FAILED")).toEqual([]);
  }, 120_000);

  it("the controller killed with -9: --resume collects what the workers did meanwhile, one record per test run", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-controller-"));
    const model = slowModelDir(root, 700);
    workers.push(await startWorkerProcess(redis.url, model.dir, "ctl-a"));
    const out = join(root, "out");
    const args = [
      "bench",
      "--queue",
      redis.url,
      "--model",
      model.ref,
      "--tasks",
      "1-4",
      "--runs",
      "2",
      "--reporter",
      "plain",
    ];
    const controller = spawn(process.execPath, [CLI, ...args, "--out", out], {
      env: { ...process.env, CI: "true", ORKET_HOME: join(root, "home") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress in 60 s:\n${log}`)), 60_000);
      controller.stderr.on("data", (d: Buffer) => {
        log += d.toString();
        if (/\[2\/8\]/.test(log)) {
          clearTimeout(timer);
          controller.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((r) => controller.once("exit", r));
    const resumed = await runCli([...args, "--resume", out], { env: { ORKET_HOME: join(root, "home") } });
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")) as Report;
    expectExactlyOnce(
      report,
      FOUR.flatMap((id) => [id, id.replace("#0", "#1")]),
    );
    expect(report.interrupted).toBe(false);
    // Resumed once more, the finished batch is read back: nothing is enqueued or run again.
    const before = readFileSync(join(out, "orket_report.json"), "utf8");
    const again = await runCli([...args, "--resume", out], { env: { ORKET_HOME: join(root, "home") } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/already complete: its report is read back, nothing is enqueued/);
    expect(readFileSync(join(out, "orket_report.json"), "utf8")).toBe(before);
  }, 120_000);

  it("a job that keeps failing ends as a failed record with its reason, never as a gap", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-fail-"));
    const model = slowModelDir(root, 10);
    const client = new Redis(redis.url);
    let removed: Promise<unknown> | null = null;
    const { report } = await queuedBench(root, model, {
      tasks: "1-2",
      attempts: 2,
      reporter: {
        onEvent: (e) => {
          // Once the jobs are queued, take the bank away and only then start a worker: every attempt throws.
          if (e.type === "run_start")
            removed = client
              .keys("orket:bank:*")
              .then((keys) => (keys.length ? client.del(...keys) : 0))
              .then(() => startWorkerProcess(redis.url, model.dir, "fail-a"))
              .then((w) => workers.push(w));
        },
      },
    });
    await removed;
    client.disconnect();
    expectExactlyOnce(report, ["py/clamp#0", "py/is-palindrome#0"]);
    for (const run of report.test_runs) {
      expect(run.outcome).toBe("error");
      expect(run.telemetry.error?.code).toBe("QUEUE_JOB_FAILED");
      expect(run.telemetry.error?.message).toMatch(/failed after 2 attempt\(s\).*is not in the queue/);
      expect(run.telemetry.run_quality_status).toBe("POLLUTED");
    }
  }, 60_000);

  it("a job carries no address and no API key, and a wrong password or URL is refused in one line", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-secret-"));
    const controller = new AbortController();
    const client = new Redis(redis.url);
    const done = runQueuedBenchmark({
      model: "openai/some-served-model",
      tasks: "1-2",
      home: join(root, "home"),
      queue: redis.url,
      out: join(root, "out"),
      providers: { openaiBaseURL: "http://10.1.2.3:8080/v1", openaiApiKey: "sk-very-secret-key-123" },
      signal: controller.signal,
      reporter: { onEvent: (e) => e.type === "run_start" && controller.abort() },
    });
    const result = await done;
    expect(result.report.interrupted).toBe(true);
    const keys = await client.keys("*");
    for (const key of keys) {
      const type = await client.type(key);
      const dump =
        type === "hash"
          ? JSON.stringify(await client.hgetall(key))
          : type === "string"
            ? await client.get(key)
            : "";
      expect(dump ?? "").not.toContain("sk-very-secret-key-123");
      expect(dump ?? "").not.toContain("10.1.2.3");
    }
    client.disconnect();
    const bad = await runCli(["bench", "--queue", "http://127.0.0.1:1", "--model", "openai/x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^orket: BAD_QUEUE_URL: --queue takes a redis:\/\/ or rediss:\/\/ URL/);
    const refused = await runCli([
      "worker",
      "--queue",
      `redis://:wrong@127.0.0.1:${redis.port}`,
      "--models-dir",
      root,
    ]);
    expect(refused.code).not.toBe(0);
  }, 60_000);
});

function run0(report: Report): TestRun {
  return report.test_runs[0] as TestRun;
}

describe("the queue over TLS with a password, as any Redis client connects", () => {
  it("runs a bench through rediss:// with a password, the server checked against its CA", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-queue-tls-"));
    const tls = makeTls(root);
    const password = "a password, with spaces";
    const redis = await startRedis({ password, tls });
    const ca = { NODE_EXTRA_CA_CERTS: tls.ca };
    const model = slowModelDir(root, 5);
    const worker = await startWorkerProcess(redis.url, model.dir, "tls-a", 2000, ca);
    try {
      expect(redis.url).toMatch(/^rediss:\/\//);
      const out = join(root, "out");
      const run = await runCli(
        ["bench", "--queue", redis.url, "--model", model.ref, "--tasks", "1-2", "--out", out],
        {
          env: { ...ca, ORKET_HOME: join(root, "home") },
        },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toContain(password);
      const report = JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")) as Report;
      expectExactlyOnce(report, ["py/clamp#0", "py/is-palindrome#0"]);
      expect(report.settings.queue?.queue).toMatch(/^rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      // Without the CA the server's certificate is not trusted: refused in one line.
      const untrusted = await runCli([
        "bench",
        "--queue",
        redis.url,
        "--model",
        model.ref,
        "--tasks",
        "1",
        "--out",
        join(root, "x"),
      ]);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr.trim()).toMatch(
        /^orket: QUEUE_UNREACHABLE: cannot reach the queue at rediss:\/\/:\*\*\*@/,
      );
    } finally {
      await worker.stop();
      await redis.stop();
    }
  }, 90_000);
});
