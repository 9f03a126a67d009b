/**
 * `orket bench --queue`: the controller. It puts the bank where workers can read it, enqueues one job per
 * test run on the model's queue (job ids fixed by the batch and the run's position, so enqueuing twice
 * adds nothing), follows BullMQ's events for live progress, and reads each finished job's record back
 * from the queue. The queue is the journal: a killed controller's `--resume` finds every record the
 * workers made meanwhile. The records become the same `orket_report.json` as a local bench: one per
 * hardware fingerprint, unless `--mixed-hardware` asks for one report that says so.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { bankSha256 } from "../bench/bank/bank-loader.js";
import { identityMismatch, type JournalIdentity } from "../bench/journal.js";
import { unknownEngine } from "../bench/reproducibility.js";
import {
  assembleReport,
  type BenchmarkOptions,
  type BenchmarkResult,
  benchmarkIdentity,
  emitTestRunEnd,
  failedTestRun,
  fileReport,
  planBenchmark,
  type TestRunExecutor,
  thisHost,
} from "../bench/runner.js";
import { canonicalJson } from "../core/shared/canonical-json.js";
import type { Task } from "../spec/bank.js";
import type { HardwareFingerprint } from "../spec/lab.js";
import type { EngineRecord } from "../spec/model.js";
import {
  QUEUE_JOB_VERSION,
  type QueueJob,
  type QueueModel,
  QueueResultSchema,
  WorkerInfoSchema,
} from "../spec/queue.js";
import { type Report, ReportSchema, type TestRun, TestRunSchema } from "../spec/report.js";
import { writeFileAtomic } from "../store/atomic-file.js";
import { abortReason, eventStreamFor } from "../telemetry/event-stream.js";
import { parseQueueUrl, type QueueAddress } from "./address.js";
import { bullConnection, connectQueue } from "./connection.js";
import { QueueError } from "./errors.js";
import { bankKey, engineKey, KEY_PREFIX, RECORD_TTL_S } from "./keys.js";
import { queueModelFor, queueNameFor } from "./models.js";

export const BATCH_FILE = "orket_queue.json";
/**
 * The records the controller has read back, one JSON line each, flushed to disk before their jobs
 * leave Redis: Redis holds only the runs not yet collected, and a resumed controller starts from here.
 */
export const RECORDS_FILE = "orket_queue_records.ndjson";
export const BATCH_SCHEMA_VERSION = "orket.queue_batch.v1";

export interface QueuedBenchmarkOptions extends BenchmarkOptions {
  /** `redis://…` or `rediss://…`: where the jobs go. */
  queue: string;
  /** One report over runs from several hardware fingerprints, saying so (default: one per fingerprint). */
  mixedHardware?: boolean | undefined;
  /** Tries per job before it ends as a failed record (default 3). */
  attempts?: number | undefined;
  /**
   * Milliseconds between the controller's full reads of every outstanding job (default 5000). Between
   * them BullMQ's events say which jobs ended, and only those are read; the full read catches what the
   * events missed (a Redis restart drops the ones sent while it was down).
   */
  pollMs?: number | undefined;
}

export interface QueuedReport extends BenchmarkResult {
  /** The machine the report's runs came from (its workers' fingerprint); null: mixed, or no record. */
  hardware: HardwareFingerprint | null;
}

export interface QueuedBenchmarkResult extends QueuedReport {
  /** Every report written: one per hardware fingerprint (the first is `report`/`path`). */
  reports: QueuedReport[];
  batch_id: string;
}

interface BatchState {
  schema_version: typeof BATCH_SCHEMA_VERSION;
  batch_id: string;
  queue: string;
  model: QueueModel;
  identity: JournalIdentity;
  created_at: string;
  /** This controller picked the batch up with --resume (not written to the file). */
  resumed?: boolean;
  /** Set once the batch's reports are written: a resume reads them back and enqueues nothing. */
  completed?: { at: string; reports: Array<{ path: string; hardware: HardwareFingerprint | null }> };
}

export async function runQueuedBenchmark(options: QueuedBenchmarkOptions): Promise<QueuedBenchmarkResult> {
  const address = parseQueueUrl(options.queue);
  const modelRef = options.model;
  if (!modelRef)
    throw new QueueError(
      "BAD_QUEUE_BATCH",
      "--queue needs --model: the workers must know which model to run",
    );
  const plan = await planBenchmark(options);
  const { bank, bankSource, tasks, runs, mode, seed, temperature, lane, vramProfile } = plan;
  const sha256 = bankSha256(bank);
  const events = eventStreamFor(options.reporter);
  const model = await queueModelFor(modelRef);
  const outDir = resolve(options.out ?? "orket-results");
  await mkdir(outDir, { recursive: true });
  const identity = benchmarkIdentity(plan, modelRef, options);
  const resume =
    options.resume === true ||
    (options.resume === "if-present" &&
      (await readFile(join(outDir, BATCH_FILE), "utf8").then(
        () => true,
        () => false,
      )));
  const state = await batchState(outDir, resume, address, model, identity);
  if (state.completed) return completedBatch(state, eventStreamFor(options.reporter));

  const redis = await connectQueue(address);
  const connection = bullConnection(address);
  const queue = new Queue<QueueJob>(queueNameFor(model), { connection });
  const queueEvents = new QueueEvents(queueNameFor(model), { connection });
  queue.on("error", () => undefined);
  queueEvents.on("error", () => undefined);
  try {
    await redis.set(bankKey(sha256), canonicalJson(bank), "EX", RECORD_TTL_S);
    const plan: Array<{ jobId: string; task: Task; runIndex: number }> = [];
    for (const task of tasks)
      for (let runIndex = 0; runIndex < runs; runIndex++)
        plan.push({ jobId: `${state.batch_id}.${plan.length}`, task, runIndex });
    const byJob = new Map(plan.map((p) => [p.jobId, p]));
    const total = plan.length;
    events.emit({
      type: "info",
      message: `queue ${address.shown}: batch ${state.batch_id}, ${total} test runs of ${model.name}`,
    });
    const offering = await workersOffering(redis, model);
    if (offering === 0)
      events.emit({
        type: "warning",
        code: "NO_WORKER_YET",
        message: `no worker offers ${model.name} yet: the jobs wait in the queue until one does (orket worker --queue … --models-dir …)`,
      });
    await queueEvents.waitUntilReady();

    const recordsPath = join(outDir, RECORDS_FILE);
    const records = state.resumed ? readRecords(recordsPath, state.batch_id) : new Map<string, TestRun>();
    if (!state.resumed) rmSync(recordsPath, { force: true });
    const started = new Set<string>();
    const pending = new Set<string>();
    let wake: (() => void) | null = null;
    const poke = (jobId: string) => {
      if (!byJob.has(jobId)) return;
      pending.add(jobId);
      wake?.();
    };
    queueEvents.on("active", ({ jobId }) => {
      const p = byJob.get(jobId);
      if (!p || started.has(jobId) || records.has(jobId)) return;
      started.add(jobId);
      events.emit({
        type: "test_run_start",
        test_id: `${p.task.id}#${p.runIndex}`,
        task_id: p.task.id,
        index: records.size,
        total,
        row: null,
      });
    });
    queueEvents.on("completed", ({ jobId }) => poke(jobId));
    queueEvents.on("failed", ({ jobId }) => poke(jobId));

    const attempts = options.attempts ?? 3;
    // Runs already collected (a resume) are not enqueued again: their jobs have left Redis.
    const toEnqueue = plan.filter((p) => !records.has(p.jobId));
    for (let i = 0; i < toEnqueue.length; i += 500) {
      await queue.addBulk(
        toEnqueue.slice(i, i + 500).map((p) => ({
          name: "test_run",
          data: jobData(state.batch_id, p.task, p.runIndex, sha256, model, options, {
            mode,
            seed,
            temperature,
            lane,
            vramProfile,
          }),
          opts: {
            jobId: p.jobId,
            attempts,
            backoff: { type: "fixed", delay: 1000 },
            removeOnComplete: false,
            removeOnFail: false,
          },
        })),
      );
    }

    events.emit({ type: "run_start", command: "bench", run_id: null, subject: modelRef, total });
    let done = 0;
    const finished = (run: TestRun, resumed: boolean) =>
      emitTestRunEnd(events, run, ++done, total, resumed ? null : run.telemetry.total_latency);
    for (const run of records.values()) finished(run, true);
    const fresh: Array<[string, TestRun]> = [];
    const take = (jobId: string, run: TestRun) => {
      if (records.has(jobId)) return;
      records.set(jobId, run);
      fresh.push([jobId, run]);
      finished(run, false);
    };
    // The records of this pass go to disk (one write, one fsync), and only then do their jobs leave Redis.
    const removed = new Set<string>();
    const persist = async () => {
      if (fresh.length === 0) return;
      const batch = fresh.splice(0);
      appendRecords(recordsPath, state.batch_id, batch);
      await Promise.all(
        batch.map(([id]) =>
          queue.remove(id).then(
            () => removed.add(id),
            () => 0,
          ),
        ),
      );
    };
    // Read the state of the jobs named (all outstanding ones on a full pass) and take what has ended.
    const read = async (ids: string[]) => {
      for (let i = 0; i < ids.length; i += 500) {
        const jobs = await Promise.all(
          ids.slice(i, i + 500).map((id) => Job.fromId<QueueJob, unknown>(queue, id)),
        );
        for (const [k, job] of jobs.entries()) {
          const id = ids[i + k] as string;
          const p = byJob.get(id) as (typeof plan)[number];
          if (!job) {
            // Gone from Redis (a Redis without persistence lost it): enqueue it again.
            await queue.add(
              "test_run",
              jobData(state.batch_id, p.task, p.runIndex, sha256, model, options, {
                mode,
                seed,
                temperature,
                lane,
                vramProfile,
              }),
              {
                jobId: id,
                attempts,
                backoff: { type: "fixed", delay: 1000 },
                removeOnComplete: false,
                removeOnFail: false,
              },
            );
            continue;
          }
          if (job.finishedOn === undefined) continue;
          const result = QueueResultSchema.safeParse(job.returnvalue);
          if (job.returnvalue != null && result.success) {
            take(id, result.data.run as TestRun);
          } else if (job.failedReason) {
            // Its last attempt's time, or (never started) from enqueue to failure: both measured by BullMQ.
            const seconds = (job.finishedOn - (job.processedOn ?? job.timestamp)) / 1000;
            take(
              id,
              failedTestRun(
                p.task,
                p.runIndex,
                lane,
                vramProfile,
                {
                  code: "QUEUE_JOB_FAILED",
                  message: `failed after ${job.attemptsMade} attempt(s) (stalled ${job.stalledCounter} time(s)): ${job.failedReason}`,
                },
                seconds,
              ),
            );
          }
        }
      }
      await persist();
    };

    let interrupted = false;
    let lastFull = 0;
    const pollMs = options.pollMs ?? 5000;
    while (records.size < total) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const now = Date.now();
      try {
        if (now - lastFull >= pollMs) {
          lastFull = now;
          pending.clear();
          await read(plan.map((p) => p.jobId).filter((id) => !records.has(id)));
        } else if (pending.size > 0) {
          const ids = [...pending];
          pending.clear();
          await read(ids);
        }
      } catch (error) {
        // Redis went away: the clients reconnect by themselves; the next pass reads again.
        events.emit({
          type: "warning",
          code: "QUEUE_ERROR",
          message: `queue ${address.shown}: ${(error as Error).message}`,
        });
        await sleep(pollMs, options.signal);
        continue;
      }
      if (records.size >= total) break;
      await new Promise<void>((done) => {
        const timer = setTimeout(finish, Math.max(0, pollMs - (Date.now() - lastFull)));
        const onAbort = () => finish();
        options.signal?.addEventListener("abort", onAbort, { once: true });
        function finish() {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
          wake = null;
          done();
        }
        wake = finish;
        if (pending.size > 0) finish();
      });
    }
    if (interrupted)
      events.emit({
        type: "interrupted",
        reason: `${abortReason(options.signal)}: stopped after ${records.size} of ${total} test runs; the jobs stay queued (orket bench --queue … --resume ${options.out ?? "orket-results"} collects them)`,
      });

    // The records in plan order: exactly one per test run that ended.
    const testRuns = plan.flatMap((p) => {
      const run = records.get(p.jobId);
      return run ? [run] : [];
    });
    const written = await writeReports({
      outDir,
      testRuns,
      interrupted,
      mixed: options.mixedHardware === true,
      redis,
      model,
      state,
      address,
      base: {
        lane,
        vramProfile,
        modelRef,
        bank,
        bankSource,
        sha256,
        tasks,
        runs,
        mode,
        seed,
        temperature,
        options,
      },
    });
    for (const w of written) await fileReport(w.report, w.path, options);
    if (!interrupted) {
      // The batch is in its reports now: say so first (a resume then reads them and enqueues nothing),
      // and only then let its jobs leave Redis.
      const completed = {
        at: new Date().toISOString(),
        reports: written.map((w) => ({ path: w.path, hardware: w.hardware })),
      };
      await writeFileAtomic(
        join(outDir, BATCH_FILE),
        `${JSON.stringify({ ...state, resumed: undefined, completed }, null, 2)}\n`,
      );
      // Whatever of the batch is left in Redis goes, and so do its records (the reports hold them).
      const left = plan.filter((p) => !removed.has(p.jobId));
      for (let i = 0; i < left.length; i += 500)
        await Promise.all(left.slice(i, i + 500).map((p) => queue.remove(p.jobId).catch(() => 0)));
      rmSync(recordsPath, { force: true });
    }
    events.emit({
      type: "run_end",
      status: interrupted ? "interrupted" : "done",
      reason: null,
      done: testRuns.length,
      total,
    });
    const first = written[0] as QueuedReport;
    return { ...first, reports: written, batch_id: state.batch_id };
  } finally {
    await queueEvents.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}

/** A batch that already has its reports: they are read back as they were written. */
async function completedBatch(
  state: BatchState,
  events: ReturnType<typeof eventStreamFor>,
): Promise<QueuedBenchmarkResult> {
  const reports: QueuedReport[] = [];
  for (const r of state.completed?.reports ?? []) {
    const text = await readFile(r.path, "utf8").catch(() => null);
    if (text === null)
      throw new QueueError(
        "BAD_QUEUE_BATCH",
        `batch ${state.batch_id} is complete, but its report ${r.path} is gone`,
      );
    reports.push({ report: ReportSchema.parse(JSON.parse(text)), path: r.path, hardware: r.hardware });
  }
  const first = reports[0];
  if (!first)
    throw new QueueError("BAD_QUEUE_BATCH", `batch ${state.batch_id} is complete but names no report`);
  events.emit({
    type: "info",
    message: `batch ${state.batch_id} is already complete: its report${reports.length > 1 ? "s are" : " is"} read back, nothing is enqueued`,
  });
  return { ...first, reports, batch_id: state.batch_id };
}

export function jobData(
  batchId: string,
  task: Task,
  runIndex: number,
  bankSha: string,
  model: QueueModel,
  options: BenchmarkOptions,
  s: {
    mode: "direct" | "agent";
    seed: number;
    temperature: number;
    lane: QueueJob["settings"]["lane"];
    vramProfile: QueueJob["settings"]["vram_profile"];
  },
): QueueJob {
  return {
    v: QUEUE_JOB_VERSION,
    batch_id: batchId,
    test_id: `${task.id}#${runIndex}`,
    task_id: task.id,
    run_index: runIndex,
    bank_sha256: bankSha,
    model,
    settings: {
      mode: s.mode,
      seed: s.seed,
      temperature: s.temperature,
      max_output_tokens: options.maxOutputTokens ?? null,
      timeout_ms: options.timeoutMs ?? null,
      context_size: options.providers?.contextSize ?? null,
      lane: s.lane,
      vram_profile: s.vramProfile,
      prompt_cache: options.promptCache ?? null,
    },
  };
}

/** The records of `batchId` collected so far (a line cut short by a crash, and any other batch's, are skipped). */
function readRecords(path: string, batchId: string): Map<string, TestRun> {
  const records = new Map<string, TestRun>();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return records;
  }
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const entry = JSON.parse(line) as { batch_id?: string; job_id?: string; run?: unknown };
      const run = TestRunSchema.safeParse(entry.run);
      if (entry.batch_id === batchId && typeof entry.job_id === "string" && run.success)
        records.set(entry.job_id, run.data as TestRun);
    } catch {
      // the last line of a controller killed mid-write: its job is still in Redis, and is read again
    }
  }
  return records;
}

/** Appends records in one write and waits for the disk (fsync) before their jobs may leave Redis. */
function appendRecords(path: string, batchId: string, batch: Array<[string, TestRun]>): void {
  const text = batch
    .map(([job_id, run]) => `${JSON.stringify({ batch_id: batchId, job_id, run })}\n`)
    .join("");
  const fd = openSync(path, "a");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The batch this folder holds: a new one, or with `--resume` the one its `orket_queue.json` names. */
async function batchState(
  outDir: string,
  resume: boolean,
  address: QueueAddress,
  model: QueueModel,
  identity: JournalIdentity,
): Promise<BatchState> {
  const path = join(outDir, BATCH_FILE);
  if (resume) {
    const text = await readFile(path, "utf8").catch(() => null);
    if (text === null)
      throw new QueueError(
        "BAD_QUEUE_BATCH",
        `--resume ${outDir}: no ${BATCH_FILE} there (nothing was queued from this folder)`,
      );
    let state: BatchState;
    try {
      state = JSON.parse(text) as BatchState;
    } catch {
      throw new QueueError("BAD_QUEUE_BATCH", `${path}: not valid JSON`);
    }
    if (state.schema_version !== BATCH_SCHEMA_VERSION || typeof state.batch_id !== "string")
      throw new QueueError("BAD_QUEUE_BATCH", `${path}: not an ${BATCH_SCHEMA_VERSION} file`);
    const differs = identityMismatch(state.identity as unknown as Record<string, unknown>, identity);
    if (differs !== null)
      throw new QueueError(
        "BAD_QUEUE_BATCH",
        `--resume ${outDir}: the batch's ${differs.field} is ${JSON.stringify(differs.journal)}, this benchmark's is ${JSON.stringify(differs.current)}; run with the same settings`,
      );
    if (state.model.key !== model.key)
      throw new QueueError(
        "BAD_QUEUE_BATCH",
        `--resume ${outDir}: the batch ran ${state.model.name} (${state.model.key.slice(0, 20)}…), not this file`,
      );
    return { ...state, resumed: true };
  }
  const state: BatchState = {
    schema_version: BATCH_SCHEMA_VERSION,
    batch_id: `b${Date.now().toString(36)}${randomBytes(4).toString("hex")}`,
    queue: address.shown,
    model,
    identity,
    created_at: new Date().toISOString(),
  };
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** How many live workers offer this model. */
async function workersOffering(redis: Redis, model: QueueModel): Promise<number> {
  let count = 0;
  for (const info of await liveWorkers(redis)) if (info.models.some((m) => m.key === model.key)) count++;
  return count;
}

/** The workers whose heartbeat has not expired. */
export async function liveWorkers(redis: Redis): Promise<Array<import("../spec/queue.js").WorkerInfo>> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${KEY_PREFIX}:worker:*`, "COUNT", 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  if (keys.length === 0) return [];
  const values = await redis.mget(keys);
  return values.flatMap((v) => {
    const parsed = v === null ? null : WorkerInfoSchema.safeParse(JSON.parse(v));
    return parsed?.success ? [parsed.data] : [];
  });
}

interface ReportBase {
  lane: Report["execution_lane"];
  vramProfile: Report["vram_profile"];
  modelRef: string;
  bank: { name: string; version: string };
  bankSource: string;
  sha256: string;
  tasks: Task[];
  runs: number;
  mode: "direct" | "agent";
  seed: number;
  temperature: number;
  options: BenchmarkOptions;
}

interface EngineInfo {
  engine: EngineRecord;
  warmup: TestRunExecutor["warmup"];
  server_process: TestRunExecutor["server"];
  evaluator_sandbox: TestRunExecutor["evaluatorSandbox"];
  prompt_cache: "off" | "engine-default";
  hardware: HardwareFingerprint;
}

/**
 * The reports of a batch: its runs grouped by the worker's hardware fingerprint, one report per group
 * (`<out>/orket_report.json` when there is one, else `<out>/hw-<fingerprint>/orket_report.json`), or,
 * with `mixed`, one report over all of them that names every fingerprint. Records of jobs that failed
 * every attempt have no worker: they go with the largest group.
 */
async function writeReports(input: {
  outDir: string;
  testRuns: TestRun[];
  interrupted: boolean;
  mixed: boolean;
  redis: Redis;
  model: QueueModel;
  state: BatchState;
  address: QueueAddress;
  base: ReportBase;
}): Promise<QueuedReport[]> {
  const { base, testRuns } = input;
  const groups = groupByHardware(testRuns);
  const fingerprints = [...groups.keys()].filter((f) => f !== null) as string[];
  const parts: Array<{ fingerprint: string | null; runs: TestRun[] }> = input.mixed
    ? [{ fingerprint: null, runs: testRuns }]
    : fingerprints.length === 0
      ? [{ fingerprint: null, runs: testRuns }]
      : fingerprints.map((f) => ({ fingerprint: f, runs: groups.get(f) ?? [] }));
  if (!input.mixed && fingerprints.length > 0) {
    const orphans = groups.get(null) ?? [];
    const largest = parts.reduce((a, b) => (b.runs.length > a.runs.length ? b : a));
    largest.runs = [...largest.runs, ...orphans];
  }
  const written: QueuedReport[] = [];
  for (const part of parts) {
    const firstWorker = part.runs.find((r) => r.worker)?.worker;
    const info = firstWorker ? await engineInfo(input.redis, firstWorker.id, input.model.key) : null;
    const engine =
      info?.engine ??
      unknownEngine(
        { provider: input.model.provider },
        firstWorker
          ? `worker ${firstWorker.id} left no engine record in the queue`
          : "no worker returned a record",
      );
    const workers = new Map<
      string,
      { id: string; host: string; hardware_fingerprint: string; runs: number }
    >();
    for (const r of part.runs) {
      if (!r.worker) continue;
      const w = workers.get(r.worker.id) ?? { ...r.worker, runs: 0 };
      w.runs++;
      workers.set(r.worker.id, w);
    }
    const partFingerprints = [
      ...new Set(part.runs.flatMap((r) => (r.worker ? [r.worker.hardware_fingerprint] : []))),
    ];
    const report = assembleReport({
      lane: base.lane,
      vramProfile: base.vramProfile,
      interrupted: input.interrupted,
      modelRef: base.modelRef,
      chosenBecause: "named with --model",
      bank: {
        name: base.bank.name,
        version: base.bank.version,
        source: base.bankSource,
        sha256: base.sha256,
      },
      tasks: base.tasks,
      runs: base.runs,
      mode: base.mode,
      seed: base.seed,
      temperature: base.temperature,
      options: base.options,
      promptCache: info?.prompt_cache === "off" ? false : undefined,
      warmup: info?.warmup ?? { seconds: null, reason: "no worker record of its warm-up" },
      server: info?.server_process ?? { pid: null, source: "no worker record of its server process" },
      // Without a worker's record (every job failed) the controller's own machine is named, and said so.
      host: info
        ? {
            platform: info.hardware.platform,
            arch: info.hardware.arch,
            cpu_model: info.hardware.cpu_model,
            core_count: info.hardware.core_count,
            total_memory_mib: info.hardware.total_memory_mib,
          }
        : thisHost(),
      engine,
      evaluatorSandbox: info?.evaluator_sandbox ?? {
        kind: "none",
        description: "no worker record of its sandbox",
      },
      testRuns: part.runs,
    });
    report.settings.queue = {
      queue: input.address.shown,
      batch_id: input.state.batch_id,
      model_key: input.model.key,
      workers: [...workers.values()],
      host_source: info ? "worker" : "controller: no worker record came back",
    };
    report.settings.hardware = {
      mixed: input.mixed && partFingerprints.length > 1,
      fingerprints: partFingerprints,
    };
    const dir = parts.length === 1 ? input.outDir : join(input.outDir, `hw-${part.fingerprint}`);
    await mkdir(dir, { recursive: true });
    const path = join(dir, "orket_report.json");
    await writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`);
    written.push({
      report,
      path,
      hardware: report.settings.hardware?.mixed ? null : (info?.hardware ?? null),
    });
  }
  return written;
}

function groupByHardware(runs: TestRun[]): Map<string | null, TestRun[]> {
  const groups = new Map<string | null, TestRun[]>();
  for (const run of runs) {
    const key = run.worker?.hardware_fingerprint ?? null;
    const group = groups.get(key);
    if (group) group.push(run);
    else groups.set(key, [run]);
  }
  return groups;
}

async function engineInfo(redis: Redis, workerId: string, modelKey: string): Promise<EngineInfo | null> {
  const text = await redis.get(engineKey(workerId, modelKey));
  return text === null ? null : (JSON.parse(text) as EngineInfo);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        done();
      },
      { once: true },
    );
  });
}
