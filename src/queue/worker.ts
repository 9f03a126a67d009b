/**
 * `orket worker`: takes test runs from the queue for the models this box has, runs each through the
 * same executor as a local bench (guards, sidecar and sandbox on this box), and returns the record with
 * its id, host and hardware fingerprint. One test run at a time per worker process, whatever the number
 * of models: two runs at once on one GPU would spoil each other's figures.
 *
 * Faults are BullMQ's to handle: a worker killed mid-job stops renewing the job's lock, and after the
 * lock expires another worker's stall check puts the job back (at most `maxStalledCount` times); a job
 * whose processor throws is retried up to its attempts, then ends failed with its reason.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { bankSha256, checkBankText } from "../bench/bank/bank-loader.js";
import { type BenchmarkOptions, createTestRunExecutor, type TestRunExecutor } from "../bench/runner.js";
import { canonicalJson } from "../core/shared/canonical-json.js";
import { hardwareFingerprint } from "../lab/hardware.js";
import type { ProviderSettings } from "../providers/index.js";
import type { TaskBank } from "../spec/bank.js";
import type { Reporter } from "../spec/events.js";
import type { HardwareFingerprint } from "../spec/lab.js";
import { type QueueJob, QueueJobSchema, type QueueResult, type WorkerInfo } from "../spec/queue.js";
import { type EventSink, eventStreamFor } from "../telemetry/event-stream.js";
import { detectGpuBackend, type GpuBackend } from "../telemetry/sidecar.js";
import type { LoadSampler } from "../telemetry/system-load.js";
import { parseQueueUrl } from "./address.js";
import { bullConnection, connectQueue } from "./connection.js";
import { QueueError } from "./errors.js";
import { bankKey, engineKey, RECORD_TTL_S, WORKER_TTL_S, workerKey } from "./keys.js";
import { type LocalModel, modelsInDir, modelsOfServer, queueNameFor } from "./models.js";

export interface WorkerOptions {
  /** `redis://…` or `rediss://…`. */
  queue: string;
  /** GGUF files (and replay cassettes) directly under this folder, known by their sha256. */
  modelsDir?: string | undefined;
  /** An OpenAI-compatible server next to this worker; its listed models are offered. */
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  home: string;
  /** This worker's id (default `<host>-<pid>-<random>`). */
  id?: string | undefined;
  /**
   * Milliseconds a job's lock lasts without renewal (default 30 000): how long a killed worker's job
   * waits before another worker takes it. The stall check runs at half this interval.
   */
  lockMs?: number | undefined;
  providers?: ProviderSettings | undefined;
  /** Say what the worker does: jobs taken and ended, models loaded (info and warning events). */
  reporter?: Reporter | EventSink | undefined;
  /** Lab lane guards and sampling, as `orket bench` takes them. */
  bench?: Pick<BenchmarkOptions, "sidecar" | "thermal" | "warmup" | "sidecarIntervalMs"> | undefined;
  gpuBackend?: GpuBackend | undefined;
  loadSampler?: LoadSampler | undefined;
}

export interface RunningWorker {
  id: string;
  info: WorkerInfo;
  /** Test runs finished by this worker since it started. */
  finished(): number;
  /** Stops taking jobs, lets the one in progress end, and disconnects. */
  close(): Promise<void>;
}

export const DEFAULT_LOCK_MS = 30_000;

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const address = parseQueueUrl(options.queue);
  if (options.modelsDir === undefined && options.baseUrl === undefined)
    throw new QueueError(
      "NO_QUEUE_MODELS",
      "orket worker needs --models-dir <dir> or --base-url <url>: the models it can run",
    );
  const events = eventStreamFor(options.reporter);
  const models: LocalModel[] = [
    ...(options.modelsDir !== undefined ? await modelsInDir(options.modelsDir) : []),
    ...(options.baseUrl !== undefined ? await modelsOfServer(options.baseUrl, options.apiKey) : []),
  ];
  if (models.length === 0)
    throw new QueueError(
      "NO_QUEUE_MODELS",
      `${options.modelsDir !== undefined ? `--models-dir ${options.modelsDir} holds no .gguf file` : `--base-url ${options.baseUrl} lists no model`}: this worker could take no job`,
    );
  const redis = await connectQueue(address);
  const id = options.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const backend = options.gpuBackend ?? detectGpuBackend();
  const hardware: HardwareFingerprint = hardwareFingerprint(
    backend.backend,
    backend.backend === "cpu" ? null : await backend.sampleOnce(),
  );
  const info: WorkerInfo = {
    id,
    host: hostname(),
    pid: process.pid,
    started_at: new Date().toISOString(),
    hardware,
    models: models.map(({ key, provider, name }) => ({ key, provider, name })),
  };
  const announce = () =>
    redis.set(workerKey(id), JSON.stringify(info), "EX", WORKER_TTL_S).catch(() => undefined);
  await announce();
  const heartbeat = setInterval(() => void announce(), (WORKER_TTL_S * 1000) / 3);
  heartbeat.unref();
  for (const model of models)
    events.emit({
      type: "info",
      message: `worker ${id}: offers ${model.provider} ${model.name} (${model.key.slice(0, 24)}…)`,
    });

  const runner = new JobRunner({ ...options, gpuBackend: backend }, redis, events, id, hardware, models);
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const workers = models.map(
    (model) =>
      new Worker<QueueJob, QueueResult>(queueNameFor(model), (job) => runner.take(job.data, job.id ?? "?"), {
        connection: bullConnection(address),
        concurrency: 1,
        lockDuration: lockMs,
        stalledInterval: Math.max(500, Math.round(lockMs / 2)),
        maxStalledCount: 2,
        // BullMQ's own retry of a lost connection: keep trying, a restarted Redis is picked up again.
        autorun: true,
      }),
  );
  for (const worker of workers)
    worker.on("error", (error) =>
      events.emit({ type: "warning", code: "QUEUE_ERROR", message: `worker ${id}: ${error.message}` }),
    );
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  let closing: Promise<void> | null = null;
  return {
    id,
    info,
    finished: () => runner.finished,
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        await Promise.all(workers.map((w) => w.close()));
        await runner.close();
        await redis.del(workerKey(id)).catch(() => undefined);
        redis.disconnect();
      })();
      return closing;
    },
  };
}

/** Runs the jobs of every model this worker offers, one at a time, keeping one model loaded. */
class JobRunner {
  finished = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private banks = new Map<string, TaskBank>();
  private loaded: { key: string; executor: TestRunExecutor } | null = null;

  constructor(
    private readonly options: WorkerOptions,
    private readonly redis: Redis,
    private readonly events: EventSink,
    private readonly id: string,
    private readonly hardware: HardwareFingerprint,
    private readonly models: LocalModel[],
  ) {}

  take(data: unknown, jobId: string): Promise<QueueResult> {
    const next = this.chain.then(() => this.run(data, jobId));
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.loaded?.executor.close();
    this.loaded = null;
  }

  private async run(data: unknown, jobId: string): Promise<QueueResult> {
    const parsed = QueueJobSchema.safeParse(data);
    if (!parsed.success)
      throw new UnrecoverableError(
        `job ${jobId} is not an orket test run (v${1}): ${parsed.error.issues[0]?.message ?? "bad shape"}`,
      );
    const job = parsed.data;
    const model = this.models.find((m) => m.key === job.model.key);
    if (!model) throw new UnrecoverableError(`worker ${this.id} does not have model ${job.model.key}`);
    const bank = await this.bank(job.bank_sha256);
    const task = bank.tasks.find((t) => t.id === job.task_id);
    if (!task)
      throw new UnrecoverableError(`bank ${job.bank_sha256.slice(0, 12)} has no task ${job.task_id}`);
    const executor = await this.executor(model, job);
    const run = await executor.run(task, job.run_index);
    this.finished++;
    return {
      run: {
        ...run,
        worker: { id: this.id, host: hostname(), hardware_fingerprint: this.hardware.fingerprint },
      },
    };
  }

  private async bank(sha256: string): Promise<TaskBank> {
    const known = this.banks.get(sha256);
    if (known) return known;
    const text = await this.redis.get(bankKey(sha256));
    if (text === null)
      throw new Error(`bank ${sha256.slice(0, 12)} is not in the queue (its controller puts it there)`);
    const { bank, problems } = checkBankText(text, `queue bank ${sha256.slice(0, 12)}`);
    if (!bank || problems.length > 0)
      throw new UnrecoverableError(`queue bank ${sha256.slice(0, 12)}: ${problems[0]?.message ?? "invalid"}`);
    if (bankSha256(bank) !== sha256)
      throw new UnrecoverableError(
        `queue bank ${sha256.slice(0, 12)}: its content does not hash to its name`,
      );
    this.banks.set(sha256, bank);
    return bank;
  }

  /** The executor for this model and these settings; a different one closes the last (one model loaded). */
  private async executor(model: LocalModel, job: QueueJob): Promise<TestRunExecutor> {
    const key = canonicalJson({ model: model.key, settings: job.settings });
    if (this.loaded?.key === key) return this.loaded.executor;
    await this.loaded?.executor.close();
    this.loaded = null;
    const s = job.settings;
    const executor = await createTestRunExecutor({
      modelRef: model.ref,
      mode: s.mode,
      seed: s.seed,
      temperature: s.temperature,
      lane: s.lane,
      vramProfile: s.vram_profile,
      events: this.events,
      load: true,
      typescript: true,
      options: {
        home: this.options.home,
        maxOutputTokens: s.max_output_tokens ?? undefined,
        timeoutMs: s.timeout_ms ?? undefined,
        ...(s.prompt_cache === false ? { promptCache: false } : {}),
        ...this.options.bench,
        gpuBackend: this.options.gpuBackend,
        loadSampler: this.options.loadSampler,
        providers: {
          ...this.options.providers,
          openaiBaseURL: this.options.baseUrl ?? this.options.providers?.openaiBaseURL,
          openaiApiKey: this.options.apiKey ?? this.options.providers?.openaiApiKey,
          contextSize: s.context_size ?? undefined,
          replayPacing: this.options.providers?.replayPacing,
        },
      },
    });
    this.events.emit({ type: "info", message: `worker ${this.id}: loaded ${model.name}` });
    await this.redis.set(
      engineKey(this.id, model.key),
      JSON.stringify({
        engine: executor.engine,
        warmup: executor.warmup,
        server_process: executor.server,
        evaluator_sandbox: executor.evaluatorSandbox,
        prompt_cache: executor.promptCache === false ? "off" : "engine-default",
        hardware: this.hardware,
      }),
      "EX",
      RECORD_TTL_S,
    );
    this.loaded = { key, executor };
    return executor;
  }
}
