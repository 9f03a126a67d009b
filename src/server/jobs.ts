/**
 * The jobs of `orket serve`: a bench, a sweep or an epic run, asked for over the API and run by this
 * process through the same library calls the CLI makes. One job at a time per backend (the embedded
 * engine, or a server's base URL), since two jobs on one GPU spoil each other's numbers; the rest wait
 * in the order they came. Each job's events (docs/events.md) are numbered across its whole life, kept in
 * memory and in `<state>/jobs/<id>/events.jsonl`, so that a client that reconnects with `Last-Event-ID`
 * misses nothing, even after a server restart.
 *
 * Cancel aborts a running job as Ctrl-C does (its partial report is written); a job the server was
 * running when it stopped is `interrupted` at the next start; resume puts either back in line, and it
 * carries on from its journal (bench, sweep) or its run state (epic run).
 */
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { type BenchmarkOptions, runBenchmark } from "../bench/runner.js";
import { parseModelRef } from "../core/shared/model-ref.js";
import { runQuantSweep } from "../lab/sweep.js";
import { DEFAULT_OLLAMA_HOST, normalizeOllamaHost, type ProviderSettings } from "../providers/index.js";
import type { QueueAddress } from "../queue/address.js";
import { runEpic } from "../runtime/orchestrator.js";
import type { OrketEvent, OrketEventInput } from "../spec/events.js";
import { OrketError } from "../spec/orket-error.js";
import type { Job, JobRequest, JobState } from "../spec/server.js";
import type { JobResult, JobRow, JobStore } from "../store/job-store.js";
import type { EventSink } from "../telemetry/event-stream.js";

export interface JobContext {
  projectDir: string;
  /** `<project>/.orket`: the database's folder; job folders live under `jobs/`. */
  stateDir: string;
  /** ORKET_HOME: models, telemetry, diagnostics. */
  home: string;
  database: string;
  providers: ProviderSettings;
  /** `orket serve --queue`: bench and sweep jobs are handed to the queue's workers. */
  queue?: QueueAddress | undefined;
  /** The history ids of reports the job recorded (by their paths). */
  historyIdsOf(reportPaths: readonly string[]): number[];
}

type Listener = (event: OrketEvent) => void;

/** The backend of a job handed to the queue (`queue redis://host:port`, password hidden). */
const QUEUE_BACKEND = "queue ";

/** One job's events: numbered from 0 across every attempt, appended to its file as they come. */
class JobEvents implements EventSink {
  readonly events: OrketEvent[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        try {
          this.events.push(JSON.parse(line) as OrketEvent);
        } catch {
          // A line cut short by a crash: everything before it stands.
        }
      }
    }
  }

  emit(input: OrketEventInput): OrketEvent {
    const event = { ...input, seq: this.events.length, at: new Date().toISOString() } as OrketEvent;
    this.events.push(event);
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    for (const listener of [...this.listeners]) listener(event);
    return event;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
  cancelled: boolean;
}

export class JobManager {
  private readonly logs = new Map<string, JobEvents>();
  private readonly running = new Map<string, Running>();
  /** Which job holds each backend. */
  private readonly lanes = new Map<string, string>();
  private readonly endListeners = new Map<string, Set<() => void>>();
  private stopping = false;

  constructor(
    private readonly store: JobStore,
    private readonly context: JobContext,
  ) {
    store.interruptRunning(new Date().toISOString());
  }

  /** Files the job and starts it when its backend is free. */
  create(request: JobRequest): Job {
    const jobId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomUUID().slice(0, 8)}`;
    const row = this.store.add({
      job_id: jobId,
      kind: request.kind,
      backend: this.backendOf(request),
      request,
      created_at: new Date().toISOString(),
    });
    this.pump();
    return this.toJob(this.store.get(row.job_id) as JobRow);
  }

  get(jobId: string): Job | undefined {
    const row = this.store.get(jobId);
    return row ? this.toJob(row) : undefined;
  }

  list(options: { state?: JobState | undefined; limit: number; offset: number }): {
    items: Job[];
    total: number;
  } {
    const page = this.store.list(options);
    return { items: page.items.map((row) => this.toJob(row)), total: page.total };
  }

  counts(): Record<JobState, number> {
    return this.store.countByState();
  }

  /** The job's events after `afterSeq` (all with -1), and live ones through `listener` until it ends. */
  follow(
    jobId: string,
    afterSeq: number,
    listener: Listener,
    onEnd: () => void,
  ): { backlog: OrketEvent[]; stop: () => void; ended: boolean } {
    const log = this.eventsOf(jobId);
    const backlog = log.events.filter((e) => e.seq > afterSeq);
    const state = this.store.get(jobId)?.state;
    const ended = state !== "queued" && state !== "running";
    if (ended) return { backlog, stop: () => undefined, ended };
    const unsubscribe = log.subscribe(listener);
    const ends = this.endListeners.get(jobId) ?? new Set();
    ends.add(onEnd);
    this.endListeners.set(jobId, ends);
    return {
      backlog,
      ended,
      stop: () => {
        unsubscribe();
        ends.delete(onEnd);
      },
    };
  }

  /** Cancels a queued job, or aborts a running one (it ends with its partial results). */
  cancel(jobId: string): Job | undefined {
    const row = this.store.get(jobId);
    if (!row) return undefined;
    if (row.state === "queued") {
      this.store.cancelQueued(jobId, new Date().toISOString());
      this.ended(jobId);
    } else if (row.state === "running") {
      const running = this.running.get(jobId);
      if (running) {
        running.cancelled = true;
        running.controller.abort("cancelled");
      }
    }
    return this.get(jobId);
  }

  /** Puts an interrupted, cancelled or failed job back in line; it carries on from where it stopped. */
  resume(jobId: string): Job | undefined {
    const row = this.store.get(jobId);
    if (!row) return undefined;
    if (!this.store.requeue(jobId)) return this.toJob(row);
    this.pump();
    return this.get(jobId);
  }

  /** SIGTERM: nothing new starts; running jobs end as interrupted, with their partial results written. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const running of this.running.values()) running.controller.abort("SIGTERM");
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /** Starts every queued job whose backend is free, oldest first. */
  private pump(): void {
    if (this.stopping) return;
    for (const row of this.store.inState("queued")) {
      // Jobs handed to the queue wait for nothing here: the workers take their runs one at a time each.
      if (!row.backend.startsWith(QUEUE_BACKEND) && this.lanes.has(row.backend)) continue;
      this.start(row);
    }
  }

  private start(row: JobRow): void {
    const controller = new AbortController();
    const events = this.eventsOf(row.job_id);
    const resume = row.attempts > 0;
    if (!row.backend.startsWith(QUEUE_BACKEND)) this.lanes.set(row.backend, row.job_id);
    this.store.started(row.job_id, new Date().toISOString());
    const entry: Running = { controller, done: Promise.resolve(), cancelled: false };
    this.running.set(row.job_id, entry);
    entry.done = this.execute(row, events, controller.signal, resume)
      .then(
        ({ result, interrupted }) => {
          const state: JobState = entry.cancelled ? "cancelled" : interrupted ? "interrupted" : "done";
          const error = interrupted
            ? {
                code: entry.cancelled ? "CANCELLED" : "INTERRUPTED",
                message: `stopped: ${String(controller.signal.reason ?? "aborted")}`,
              }
            : null;
          this.store.finished(row.job_id, state as "done", new Date().toISOString(), result, error);
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          const code = OrketError.isInstance(error) ? error.code : null;
          const state = entry.cancelled ? "cancelled" : controller.signal.aborted ? "interrupted" : "failed";
          events.emit({ type: "warning", code, message });
          this.store.finished(row.job_id, state, new Date().toISOString(), null, { code, message });
        },
      )
      .finally(() => {
        this.running.delete(row.job_id);
        if (this.lanes.get(row.backend) === row.job_id) this.lanes.delete(row.backend);
        this.ended(row.job_id);
        this.pump();
      });
  }

  private ended(jobId: string): void {
    const listeners = this.endListeners.get(jobId);
    this.endListeners.delete(jobId);
    for (const listener of listeners ?? []) listener();
  }

  /** Runs the job's library call; a resumed job carries on in the same folder from its journal. */
  private async execute(
    row: JobRow,
    events: JobEvents,
    signal: AbortSignal,
    resume: boolean,
  ): Promise<{ result: JobResult; interrupted: boolean }> {
    const request = row.request;
    const out = join(this.jobDir(row.job_id), "out");
    const { home, database, providers, projectDir, stateDir } = this.context;
    const queue = this.context.queue;
    // Handed to the queue: the workers run the test runs; this process enqueues and collects them.
    const queued = queue ? (await import("../queue/controller.js")).runQueuedBenchmark : null;
    if (request.kind === "bench") {
      const run =
        queued && queue ? (o: BenchmarkOptions) => queued({ ...o, queue: queue.url }) : runBenchmark;
      const { report, path } = await run({
        model: request.model,
        bank: request.bank,
        tasks: request.tasks,
        runs: request.runs,
        maxOutputTokens: request.max_tokens,
        role: request.role,
        out,
        home,
        history: database,
        providers,
        signal,
        reporter: events,
        ...(resume ? { resume: "if-present" as const } : {}),
      });
      return {
        result: {
          report_path: path,
          summary_path: null,
          run_id: null,
          history_ids: this.context.historyIdsOf([path]),
        },
        interrupted: report.interrupted,
      };
    }
    if (request.kind === "sweep") {
      const { summary, path } = await runQuantSweep({
        models: request.models.map((m) => ({ quant: m.quant, ref: m.model })),
        bank: request.bank,
        tasks: request.tasks,
        runs: request.runs,
        maxOutputTokens: request.max_tokens,
        skipCanary: request.skip_canary,
        ...(request.kld ? { kld: {} } : {}),
        ...(queued && queue ? { runBench: (o: BenchmarkOptions) => queued({ ...o, queue: queue.url }) } : {}),
        out,
        home,
        history: database,
        providers,
        signal,
        reporter: events,
        resume,
      });
      const reports = summary.rows
        .map((row) => row.report_path)
        .filter((p): p is string => p !== null)
        .map((p) => (isAbsolute(p) ? p : join(out, p)));
      return {
        result: {
          report_path: null,
          summary_path: path,
          run_id: null,
          history_ids: this.context.historyIdsOf(reports),
        },
        interrupted: Boolean(summary.interrupted),
      };
    }
    const summary = await runEpic({
      projectDir,
      stateDir,
      home,
      epicId: request.epic,
      model: request.model,
      memoryTrace: request.memory_trace,
      providers,
      signal,
      reporter: events,
      resume,
    });
    return {
      result: { report_path: null, summary_path: null, run_id: summary.run_id, history_ids: [] },
      interrupted: signal.aborted,
    };
  }

  private jobDir(jobId: string): string {
    const dir = join(this.context.stateDir, "jobs", jobId);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private eventsOf(jobId: string): JobEvents {
    let log = this.logs.get(jobId);
    if (!log) {
      log = new JobEvents(join(this.jobDir(jobId), "events.jsonl"));
      this.logs.set(jobId, log);
    }
    return log;
  }

  /**
   * The backend a job occupies: `embedded` for GGUF files, else the server's base URL (an epic run on the
   * project's default model is counted against the embedded engine unless it names a model).
   */
  private backendOf(request: JobRequest): string {
    if (this.context.queue && request.kind !== "run") return `${QUEUE_BACKEND}${this.context.queue.shown}`;
    const ref = request.kind === "sweep" ? request.models[0]?.model : request.model;
    if (ref === undefined) return "embedded";
    const parsed = parseModelRef(ref);
    if (parsed.provider === "ollama")
      return normalizeOllamaHost(this.context.providers.ollamaHost ?? DEFAULT_OLLAMA_HOST);
    if (parsed.provider === "openai") return this.context.providers.openaiBaseURL ?? "openai";
    return parsed.provider === "gguf" ? "embedded" : parsed.provider;
  }

  private toJob(row: JobRow): Job {
    let position: number | null = null;
    if (row.state === "queued") {
      const ahead = this.store.inState("queued", "running").filter((j) => j.backend === row.backend);
      position = ahead.findIndex((j) => j.job_id === row.job_id);
    }
    return {
      job_id: row.job_id,
      kind: row.kind,
      backend: row.backend,
      request: row.request,
      state: row.state,
      created_at: row.created_at,
      started_at: row.started_at,
      finished_at: row.finished_at,
      attempts: row.attempts,
      queue_position: position,
      result: row.result,
      error: row.error === null ? null : { code: row.error_code, message: row.error },
      events:
        this.logs.get(row.job_id)?.events.length ??
        countLines(join(this.context.stateDir, "jobs", row.job_id, "events.jsonl")),
    };
  }
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "").length;
}
