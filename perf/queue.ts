/**
 * The queue's own cost, on loopback, with an instant model (a replay script that answers at once with
 * no code, so no evaluator runs): what BullMQ and Redis add to a test run, not what a GPU does.
 *
 * 1. Overhead per test run: one worker process; jobs sent one at a time, each waited for. Overhead is
 *    the round trip (enqueue → record read back by the controller) minus the job's own processing time
 *    as BullMQ stamped it (worker start → record stored). Target: median under 5 ms.
 * 2. Scale: 10,000 queued test runs (50 tasks × 200 runs) through 1, 4 and 8 worker processes with
 *    `orket bench --queue`'s controller: exactly 10,000 records, each test run once; runs/s; Redis's
 *    used memory at its peak (sampled every 100 ms).
 *
 * Needs `npm run build` (workers are `orket worker` processes) and Debian's redis-server.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { bankSha256, loadBank } from "../src/bench/bank/bank-loader.js";
import { canonicalJson } from "../src/core/shared/canonical-json.js";
import { quantileSorted } from "../src/core/shared/statistics.js";
import { parseQueueUrl } from "../src/queue/address.js";
import { bullConnection } from "../src/queue/connection.js";
import { jobData, runQueuedBenchmark } from "../src/queue/controller.js";
import { bankKey } from "../src/queue/keys.js";
import { queueModelFor, queueNameFor } from "../src/queue/models.js";
import type { QueueJob } from "../src/spec/queue.js";
import { freePort } from "../test/support/llama-cpp.js";
import { writeScript } from "../test/support/script-cassette.js";

const CLI = join(process.cwd(), "dist", "cli", "main.js");
if (spawnSync("redis-server", ["--version"]).status !== 0)
  throw new Error("perf:queue needs redis-server (apt-get install redis-server)");

const root = mkdtempSync(join(tmpdir(), "orket-perf-queue-"));
const models = join(root, "models");
mkdirSync(models);
const cassette = join(models, "instant.jsonl");
writeScript(cassette, ["I will not write code today."]);
writeFileSync(cassette, readFileSync(cassette, "utf8").replace('"match":"sequence"', '"match":"cycle"'));
const modelRef = `replay/${cassette}`;

const port = await freePort();
const redisProcess = spawn(
  "redis-server",
  [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    root,
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--save",
    "",
  ],
  { stdio: "ignore" },
);
const url = `redis://127.0.0.1:${port}`;
const redis = new Redis(url, { maxRetriesPerRequest: null });
// Refused until redis-server listens: the pings below wait for it.
redis.on("error", () => undefined);
for (let i = 0; i < 100; i++) {
  if (
    await redis.ping().then(
      () => true,
      () => false,
    )
  )
    break;
  await new Promise((r) => setTimeout(r, 50));
}

function startWorker(id: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "worker",
      "--queue",
      url,
      "--models-dir",
      models,
      "--id",
      id,
      "--pacing",
      "instant",
      "--no-sidecar",
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, CI: "true" },
    },
  );
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes(`worker ${id} on `)) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker ${id} exited ${code}: ${log}`)));
  });
}
async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.once("exit", () => resolve());
          w.kill("SIGTERM");
        }),
    ),
  );
}
const median = (values: number[]) =>
  quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  ) as number;
const p = (values: number[], q: number) =>
  quantileSorted(
    [...values].sort((a, b) => a - b),
    q,
  ) as number;

console.log(
  `perf:queue: redis-server ${spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.match(/v=(\S+)/)?.[1]} on loopback, appendonly everysec; ${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`,
);

// 1. Overhead per test run, one job at a time.
{
  const workers = [await startWorker("overhead")];
  const bank = await loadBank("builtin");
  const sha = bankSha256(bank);
  await redis.set(bankKey(sha), canonicalJson(bank));
  const model = await queueModelFor(modelRef);
  const connection = bullConnection(parseQueueUrl(url));
  const queue = new Queue<QueueJob>(queueNameFor(model), { connection });
  const events = new QueueEvents(queueNameFor(model), { connection });
  await events.waitUntilReady();
  const task = bank.tasks[0];
  if (!task) throw new Error("empty bank");
  const settings = {
    mode: "direct" as const,
    seed: 42,
    temperature: 0,
    lane: "ci" as const,
    vramProfile: "safe" as const,
  };
  const overheads: number[] = [];
  const roundTrips: number[] = [];
  const N = 300;
  for (let i = 0; i < N + 20; i++) {
    const started = performance.now();
    const job = await queue.add("test_run", jobData("perf", task, i, sha, model, { home: root }, settings), {
      jobId: `perf.${i}`,
    });
    await job.waitUntilFinished(events, 30_000);
    const roundTrip = performance.now() - started;
    const done = await queue.getJob(job.id as string);
    const processing = (done?.finishedOn ?? 0) - (done?.processedOn ?? 0);
    // The first 20 warm the worker's model and caches up; they are not counted.
    if (i >= 20) {
      roundTrips.push(roundTrip);
      overheads.push(roundTrip - processing);
    }
  }
  console.log(
    `  overhead per test run (enqueue → worker start → record read back, minus the job's processing), ${N} jobs one at a time: median ${median(overheads).toFixed(2)} ms, p90 ${p(overheads, 0.9).toFixed(2)} ms (round trip median ${median(roundTrips).toFixed(2)} ms) — target < 5 ms ${median(overheads) < 5 ? "PASS" : "FAIL"}`,
  );
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await stopWorkers(workers);
}

// 2. 10,000 test runs through 1, 4 and 8 workers.
for (const count of [1, 4, 8]) {
  const workers = await Promise.all(
    Array.from({ length: count }, (_, i) => startWorker(`scale-${count}-${i}`)),
  );
  await redis.call("MEMORY", "PURGE").catch(() => undefined);
  const base = Number((await redis.info("memory")).match(/used_memory:(\d+)/)?.[1]);
  let peak = base;
  const sampler = setInterval(() => {
    void redis.info("memory").then((text) => {
      peak = Math.max(peak, Number(text.match(/used_memory:(\d+)/)?.[1]));
    });
  }, 100);
  const started = performance.now();
  const { report } = await runQueuedBenchmark({
    model: modelRef,
    tasks: "1-50",
    runs: 200,
    home: join(root, "home"),
    queue: url,
    out: join(root, `scale-${count}`),
    sidecar: false,
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const ids = report.test_runs.map((r) => r.test_id);
  const perWorker = new Map<string, number>();
  for (const r of report.test_runs)
    perWorker.set(r.worker?.id ?? "none", (perWorker.get(r.worker?.id ?? "none") ?? 0) + 1);
  console.log(
    `  ${count} worker(s): ${ids.length} records, ${new Set(ids).size} distinct (exactly 10000: ${ids.length === 10_000 && new Set(ids).size === 10_000 ? "PASS" : "FAIL"}); ${seconds.toFixed(1)} s, ${(ids.length / seconds).toFixed(0)} runs/s; Redis used memory at its peak ${(peak / 2 ** 20).toFixed(1)} MiB (${((peak - base) / 2 ** 20).toFixed(1)} MiB over the ${(base / 2 ** 20).toFixed(1)} MiB before the run); runs per worker ${[...perWorker.values()].join("/")}`,
  );
  await stopWorkers(workers);
}

redis.disconnect();
redisProcess.kill("SIGKILL");
process.exit(0);
