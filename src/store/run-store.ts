/**
 * Runs in SQLite: one row per `orket run` (who, on what build and model, how it ended), its ledger of
 * turns in order, and snapshots of its state. A running run's process writes a heartbeat; a later
 * Orket finds runs whose process died without finishing and can mark them crashed.
 */
import { type Database, type Statement, statementCache } from "./db.js";
import {
  type LedgerEntry,
  LedgerRowSchema,
  parseRow,
  type RunHead,
  RunHeadSchema,
  type RunRecord,
  RunRowSchema,
  type RunSnapshot,
  type RunStatus,
  toJsonText,
  toSnapshot,
} from "./rows.js";
import { BuildBusyError, RunExistsError, RunNotRunningError, UnknownRunError } from "./store-errors.js";

export interface StartRunInput {
  runId: string;
  buildId: string;
  epicId: string;
  modelRef: string;
  workspace: string;
  /** The process doing the run; null when it is not a local process (then only the heartbeat counts). */
  pid: number | null;
  now: Date;
}

/** One ledger line, as the runtime appends it; `seq` is assigned by the store. */
export interface LedgerEntryInput {
  issue_id?: string | null;
  seat?: string | null;
  role?: string | null;
  turn?: number | null;
  outcome: string;
  error_code?: string | null;
  /** Seconds inside the model call as the engine measured it; null when it did not say (not 0). */
  internal_model_seconds?: number | null;
  total_seconds?: number | null;
  at: Date;
  /** Any JSON value; defaults to {}. */
  detail?: unknown;
}

export interface FindCrashedRunsOptions {
  now: Date;
  /** A running run whose last heartbeat is older than this is taken for crashed, whatever its pid. */
  staleAfterMs: number;
  /** Whether a process exists; defaults to `isProcessAlive`. */
  isAlive?: (pid: number) => boolean;
}

/** A finished run's status: anything but running. */
export type FinalRunStatus = Exclude<RunStatus, "running">;

/**
 * `process.kill(pid, 0)` semantics: the signal is not sent, only the existence check is made. EPERM
 * means the process exists but belongs to someone else, so it counts as alive.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}

export class RunStore {
  readonly #db: Database;
  readonly #sql: (source: string) => Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#sql = statementCache(db);
  }

  /**
   * Records a new run as running, its heartbeat at its start. A run id is never reused. With
   * `exclusive`, the run is refused (`BuildBusyError`) while another run of the same build is live (its
   * process alive and its heartbeat fresh): the check and the insert are one write transaction, so of
   * several processes starting the same build at once exactly one goes ahead.
   */
  startRun(input: StartRunInput, exclusive?: Omit<FindCrashedRunsOptions, "now">): RunRecord {
    const at = input.now.toISOString();
    return this.#db
      .transaction((): RunRecord => {
        if (this.getRun(input.runId) !== undefined) throw new RunExistsError(input.runId);
        if (exclusive) {
          const isAlive = exclusive.isAlive ?? isProcessAlive;
          const staleBefore = input.now.getTime() - exclusive.staleAfterMs;
          const live = this.#sql(
            "SELECT * FROM runs WHERE build_id = ? AND status = 'running' ORDER BY started_at",
          )
            .all(input.buildId)
            .map((row) => parseRow(RunRowSchema, "runs", row))
            .find(
              (run) => run.pid !== null && isAlive(run.pid) && Date.parse(run.heartbeat_at) >= staleBefore,
            );
          if (live) throw new BuildBusyError(input.buildId, live.run_id, live.pid);
        }
        this.#sql(
          `INSERT INTO runs (run_id, build_id, epic_id, model_ref, workspace, status, started_at, ended_at,
             summary, pid, heartbeat_at)
           VALUES (?, ?, ?, ?, ?, 'running', ?, NULL, NULL, ?, ?)`,
        ).run(input.runId, input.buildId, input.epicId, input.modelRef, input.workspace, at, input.pid, at);
        return this.#mustGet(input.runId);
      })
      .immediate();
  }

  /**
   * Marks the run alive at `now`. Returns false, writing nothing, when the run is no longer running
   * (for instance it was marked crashed meanwhile): the caller should stop working on it.
   */
  heartbeat(runId: string, now: Date): boolean {
    const changed = this.#sql("UPDATE runs SET heartbeat_at = ? WHERE run_id = ? AND status = 'running'").run(
      now.toISOString(),
      runId,
    ).changes;
    if (changed === 0 && this.getRun(runId) === undefined) throw new UnknownRunError(runId);
    return changed === 1;
  }

  /**
   * Ends a running run with its final status and summary (any JSON value). Refuses a run that already
   * ended, so a run marked crashed is not silently overwritten by a late finisher.
   */
  finishRun(runId: string, status: FinalRunStatus, summary: unknown, now: Date): RunRecord {
    const text = toJsonText(summary, "run summary");
    const at = now.toISOString();
    return this.#db
      .transaction((): RunRecord => {
        const run = this.#mustGet(runId);
        if (run.status !== "running") throw new RunNotRunningError(runId, run.status);
        this.#sql(
          "UPDATE runs SET status = ?, summary = ?, ended_at = ?, heartbeat_at = ? WHERE run_id = ?",
        ).run(status, text, at, at, runId);
        return this.#mustGet(runId);
      })
      .immediate();
  }

  getRun(runId: string): RunRecord | undefined {
    const row = this.#sql("SELECT * FROM runs WHERE run_id = ?").get(runId);
    return row === undefined ? undefined : parseRow(RunRowSchema, "runs", row);
  }

  /** The most recent runs first; `offset` skips that many (a page of the API). */
  listRuns(limit = 20, offset = 0): RunRecord[] {
    return this.#sql("SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?")
      .all(limit, offset)
      .map((row) => parseRow(RunRowSchema, "runs", row));
  }

  /** A page of runs, newest first, without their summaries (the list view; `getRun` has the rest). */
  listRunHeads(limit: number, offset: number): RunHead[] {
    return this.#sql(
      `SELECT run_id, build_id, epic_id, model_ref, workspace, status, started_at, ended_at, pid, heartbeat_at
       FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ? OFFSET ?`,
    )
      .all(limit, offset)
      .map((row) => parseRow(RunHeadSchema, "runs", row));
  }

  countRuns(): number {
    return (this.#sql("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
  }

  latestRun(buildId: string): RunRecord | undefined {
    const row = this.#sql(
      "SELECT * FROM runs WHERE build_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
    ).get(buildId);
    return row === undefined ? undefined : parseRow(RunRowSchema, "runs", row);
  }

  /**
   * Appends a ledger line with the next sequence number of the run (1, 2, 3, ...). The number is chosen
   * and written in one statement under the write lock, so concurrent appenders never share or skip one.
   */
  appendLedger(runId: string, entry: LedgerEntryInput): LedgerEntry {
    const detail = toJsonText(entry.detail ?? {}, "ledger detail");
    return this.#db
      .transaction((): LedgerEntry => {
        this.#mustGet(runId);
        const row = this.#sql(
          `INSERT INTO run_ledger (run_id, seq, issue_id, seat, role, turn, outcome, error_code,
             internal_model_seconds, total_seconds, at, detail)
           SELECT @run_id, COALESCE(MAX(seq), 0) + 1, @issue_id, @seat, @role, @turn, @outcome, @error_code,
             @internal_model_seconds, @total_seconds, @at, @detail
           FROM run_ledger WHERE run_id = @run_id
           RETURNING *`,
        ).get({
          run_id: runId,
          issue_id: entry.issue_id ?? null,
          seat: entry.seat ?? null,
          role: entry.role ?? null,
          turn: entry.turn ?? null,
          outcome: entry.outcome,
          error_code: entry.error_code ?? null,
          internal_model_seconds: entry.internal_model_seconds ?? null,
          total_seconds: entry.total_seconds ?? null,
          at: entry.at.toISOString(),
          detail,
        });
        return parseRow(LedgerRowSchema, "run_ledger", row);
      })
      .immediate();
  }

  /** The run's ledger in sequence order. */
  listLedger(runId: string): LedgerEntry[] {
    return this.#sql("SELECT * FROM run_ledger WHERE run_id = ? ORDER BY seq")
      .all(runId)
      .map((row) => parseRow(LedgerRowSchema, "run_ledger", row));
  }

  /** Stores `value` (any JSON value) as the run's newest snapshot under `label`. */
  saveSnapshot(runId: string, label: string, value: unknown, now: Date): RunSnapshot {
    const json = toJsonText(value, `snapshot ${label}`);
    return this.#db
      .transaction((): RunSnapshot => {
        this.#mustGet(runId);
        const row = this.#sql(
          "INSERT INTO snapshots (run_id, label, at, json) VALUES (?, ?, ?, ?) RETURNING *",
        ).get(runId, label, now.toISOString(), json);
        return toSnapshot(row);
      })
      .immediate();
  }

  /** The run's most recently saved snapshot, of one label or of any. */
  latestSnapshot(runId: string, label?: string): RunSnapshot | undefined {
    const row =
      label === undefined
        ? this.#sql("SELECT * FROM snapshots WHERE run_id = ? ORDER BY snapshot_id DESC LIMIT 1").get(runId)
        : this.#sql(
            "SELECT * FROM snapshots WHERE run_id = ? AND label = ? ORDER BY snapshot_id DESC LIMIT 1",
          ).get(runId, label);
    return row === undefined ? undefined : toSnapshot(row);
  }

  /**
   * Runs still marked running whose process is gone, or whose heartbeat is older than `staleAfterMs`
   * (which also covers a pid reused by an unrelated process). Finds only; the caller decides whether
   * to `finishRun(id, "crashed", ...)` them.
   */
  findCrashedRuns(options: FindCrashedRunsOptions): RunRecord[] {
    const isAlive = options.isAlive ?? isProcessAlive;
    const staleBefore = options.now.getTime() - options.staleAfterMs;
    return this.#sql("SELECT * FROM runs WHERE status = 'running' ORDER BY started_at, rowid")
      .all()
      .map((row) => parseRow(RunRowSchema, "runs", row))
      .filter((run) => (run.pid !== null && !isAlive(run.pid)) || Date.parse(run.heartbeat_at) < staleBefore);
  }

  #mustGet(runId: string): RunRecord {
    const run = this.getRun(runId);
    if (run === undefined) throw new UnknownRunError(runId);
    return run;
  }
}
