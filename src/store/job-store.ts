/**
 * The jobs `orket serve` was asked to run (migration 4): what each asked for, on which backend, its
 * state, and what it produced. A job is started by the server process that holds it; a server that
 * stops with jobs running marks them `interrupted` when it next starts (docs/serve.md, Jobs).
 */
import { z } from "zod";
import { JobRequestSchema, type JobState, JobStateSchema } from "../spec/server.js";
import { type Database, statementCache } from "./db.js";
import { parseRow, parseRows, toJsonText } from "./rows.js";

const JobResultSchema = z.object({
  report_path: z.string().nullable(),
  summary_path: z.string().nullable(),
  run_id: z.string().nullable(),
  history_ids: z.array(z.number().int()),
});
export type JobResult = z.infer<typeof JobResultSchema>;

const JobRowSchema = z.object({
  job_id: z.string(),
  kind: z.enum(["bench", "sweep", "run"]),
  backend: z.string(),
  request: z.string().transform((text) => JobRequestSchema.parse(JSON.parse(text))),
  state: JobStateSchema,
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  attempts: z.number().int().min(0),
  result: z
    .string()
    .nullable()
    .transform((text) => (text === null ? null : JobResultSchema.parse(JSON.parse(text)))),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
});
export type JobRow = z.infer<typeof JobRowSchema>;

export type NewJob = Pick<JobRow, "job_id" | "kind" | "backend" | "request" | "created_at">;

export class JobStore {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(db: Database) {
    this.sql = statementCache(db);
  }

  add(job: NewJob): JobRow {
    this.sql(
      `INSERT INTO jobs (job_id, kind, backend, request, state, created_at)
       VALUES (@job_id, @kind, @backend, @request, 'queued', @created_at)`,
    ).run({ ...job, request: toJsonText(job.request, "jobs.request") });
    return this.get(job.job_id) as JobRow;
  }

  get(jobId: string): JobRow | undefined {
    const row = this.sql("SELECT * FROM jobs WHERE job_id = ?").get(jobId);
    return row === undefined ? undefined : parseRow(JobRowSchema, "jobs", row);
  }

  /** Newest first, a page at a time. */
  list(options: { state?: JobState | undefined; limit: number; offset: number }): {
    items: JobRow[];
    total: number;
  } {
    const where = options.state === undefined ? "" : "WHERE state = @state";
    const params = { state: options.state, limit: options.limit, offset: options.offset };
    const rows = this.sql(
      `SELECT * FROM jobs ${where} ORDER BY created_at DESC, job_id DESC LIMIT @limit OFFSET @offset`,
    ).all(options.state === undefined ? { limit: params.limit, offset: params.offset } : params);
    const total = this.sql(`SELECT count(*) AS n FROM jobs ${where}`).get(
      options.state === undefined ? {} : { state: options.state },
    ) as { n: number };
    return { items: parseRows(JobRowSchema, "jobs", rows), total: total.n };
  }

  /** Oldest first: the order jobs wait in. */
  inState(...states: JobState[]): JobRow[] {
    const rows = this.sql(
      `SELECT * FROM jobs WHERE state IN (${states.map(() => "?").join(", ")}) ORDER BY created_at, job_id`,
    ).all(...states);
    return parseRows(JobRowSchema, "jobs", rows);
  }

  countByState(): Record<JobState, number> {
    const counts = Object.fromEntries(JobStateSchema.options.map((s) => [s, 0])) as Record<JobState, number>;
    const rows = this.sql("SELECT state, count(*) AS n FROM jobs GROUP BY state").all() as Array<{
      state: JobState;
      n: number;
    }>;
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  started(jobId: string, at: string): void {
    this.sql(
      "UPDATE jobs SET state = 'running', started_at = ?, finished_at = NULL, attempts = attempts + 1, error_code = NULL, error = NULL WHERE job_id = ?",
    ).run(at, jobId);
  }

  finished(
    jobId: string,
    state: Exclude<JobState, "queued" | "running">,
    at: string,
    result: JobResult | null,
    error: { code: string | null; message: string } | null,
  ): void {
    this.sql(
      "UPDATE jobs SET state = ?, finished_at = ?, result = ?, error_code = ?, error = ? WHERE job_id = ?",
    ).run(
      state,
      at,
      result === null ? null : toJsonText(result, "jobs.result"),
      error?.code ?? null,
      error?.message ?? null,
      jobId,
    );
  }

  /** A queued or interrupted job back in line (resume); false when it is in any other state. */
  requeue(jobId: string): boolean {
    return (
      this.sql(
        "UPDATE jobs SET state = 'queued' WHERE job_id = ? AND state IN ('interrupted', 'cancelled', 'failed')",
      ).run(jobId).changes === 1
    );
  }

  /** A queued job taken out of line before it started. */
  cancelQueued(jobId: string, at: string): boolean {
    return (
      this.sql(
        "UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE job_id = ? AND state = 'queued'",
      ).run(at, jobId).changes === 1
    );
  }

  /** At start: jobs a stopped server left running are interrupted (their partial results stand). */
  interruptRunning(at: string): number {
    return this.sql(
      "UPDATE jobs SET state = 'interrupted', finished_at = ?, error_code = 'SERVER_STOPPED', error = 'the server stopped while the job ran' WHERE state = 'running'",
    ).run(at).changes;
  }
}
