/**
 * Issue cards in SQLite: which build holds which issues, their statuses, comments, and the log of every
 * status change. A status changes only through `transition`, which asks the state machine first and
 * then writes the new status and its transaction row in one SQLite transaction.
 */
import { checkTransition } from "../core/runtime/state-machine.js";
import {
  type Actor,
  type Epic,
  type IssueSpec,
  IssueSpecSchema,
  type IssueStatus,
  type WaitReason,
} from "../spec/cards.js";
import { type Database, type Statement, statementCache } from "./db.js";
import {
  type BuildRecord,
  BuildRowSchema,
  type IssueComment,
  parseRow,
  type StoredCardTransaction,
  type StoredIssueCard,
  toComment,
  toIssueCard,
  toJsonText,
  toTransaction,
} from "./rows.js";
import {
  BuildEpicMismatchError,
  InvalidIssueSpecError,
  IssueExistsError,
  TransitionRefusedError,
  UnknownBuildError,
  UnknownIssueError,
} from "./store-errors.js";

export interface TransitionInput {
  buildId: string;
  issueId: string;
  to: IssueStatus;
  actor: Actor;
  reason: string;
  /** Required for blocked and waiting_for_developer, refused otherwise (see `checkTransition`). */
  waitReason?: WaitReason | null;
  /** The run that made the change; null for a person at the CLI. */
  runId?: string | null;
  now: Date;
}

export interface SyncResult {
  /** Issues that were missing and were created as `ready`. */
  created: string[];
  /** Issues that already existed; their status, counters and history are untouched. */
  kept: string[];
  /** The subset of `kept` whose spec text was refreshed from the epic because they had not started. */
  updated: string[];
}

export interface AddCommentInput {
  buildId: string;
  issueId: string;
  author: Actor;
  body: string;
  now: Date;
}

/** Who the epic sync records as an issue's creator. */
export const EPIC_SYNC_ACTOR: Actor = { kind: "system", name: "epic-sync" };

const PRIORITY_ORDER = `CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`;

// The crash tests (fixtures/store-child.mjs) stop a process right after these statements, found by text.
const UPDATE_STATUS = `UPDATE issues SET status = @to, wait_reason = @wait_reason, updated_at = @at
  WHERE build_id = @build_id AND id = @id AND status = @from`;
const INSERT_TRANSACTION = `INSERT INTO card_transactions
  (build_id, issue_id, actor_kind, actor_name, from_status, to_status, reason, wait_reason, at, run_id)
  VALUES (@build_id, @id, @actor_kind, @actor_name, @from, @to, @reason, @wait_reason, @at, @run_id)`;

/**
 * The card store over an open database (see `openDatabase`). Synchronous: better-sqlite3 runs each call
 * to completion, and writes take the database's write lock at their start (BEGIN IMMEDIATE), so several
 * Orket processes on one file serialize instead of deadlocking.
 */
export class CardStore {
  readonly #db: Database;
  readonly #sql: (source: string) => Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#sql = statementCache(db);
  }

  /**
   * Makes sure the build exists and holds every issue of `epic`. Missing issues are created `ready`
   * (the planner decides what is blocked). Existing issues keep their status, counters and history; an
   * issue that has not started yet (still `ready`, no attempts, no turns) takes the epic's current
   * seat, summary, requirements, priority, dependencies, retries and required files, so editing an
   * epic before its first run is not ignored. Issues no longer in the epic are left as they are.
   */
  syncEpic(buildId: string, epic: Epic, now: Date): SyncResult {
    const at = now.toISOString();
    return this.#db
      .transaction((): SyncResult => {
        const build = this.getBuild(buildId);
        if (build === undefined) {
          this.#sql(
            `INSERT INTO builds (build_id, epic_id, title, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?)`,
          ).run(buildId, epic.id, epic.title, at, at);
        } else if (build.epic_id !== epic.id) {
          throw new BuildEpicMismatchError(buildId, build.epic_id, epic.id);
        } else {
          this.#sql("UPDATE builds SET title = ?, updated_at = ? WHERE build_id = ?").run(
            epic.title,
            at,
            buildId,
          );
        }
        const result: SyncResult = { created: [], kept: [], updated: [] };
        for (const raw of epic.issues) {
          const spec = validSpec(raw);
          const existing = this.getIssue(buildId, spec.id);
          if (existing === undefined) {
            this.#insertIssue(buildId, epic.id, spec, EPIC_SYNC_ACTOR, at);
            result.created.push(spec.id);
            continue;
          }
          result.kept.push(spec.id);
          if (notStarted(existing) && specChanged(existing, spec)) {
            this.#sql(
              `UPDATE issues SET seat = @seat, summary = @summary, requirements = @requirements,
                   priority = @priority, depends_on = @depends_on, max_retries = @max_retries,
                   required_files = @required_files, updated_at = @at
                 WHERE build_id = @build_id AND id = @id AND status = 'ready' AND attempts = 0 AND turns = 0`,
            ).run({ ...specColumns(spec), build_id: buildId, at });
            result.updated.push(spec.id);
          }
        }
        return result;
      })
      .immediate();
  }

  /** Every build, oldest first. */
  listBuilds(): BuildRecord[] {
    return this.#sql("SELECT * FROM builds ORDER BY created_at, build_id")
      .all()
      .map((row) => parseRow(BuildRowSchema, "builds", row));
  }

  getBuild(buildId: string): BuildRecord | undefined {
    const row = this.#sql("SELECT * FROM builds WHERE build_id = ?").get(buildId);
    return row === undefined ? undefined : parseRow(BuildRowSchema, "builds", row);
  }

  /** The build's issues, most urgent first (critical, high, medium, low), then by id. */
  getIssues(buildId: string): StoredIssueCard[] {
    return this.#sql(`SELECT * FROM issues WHERE build_id = ? ORDER BY ${PRIORITY_ORDER}, id`)
      .all(buildId)
      .map(toIssueCard);
  }

  getIssue(buildId: string, issueId: string): StoredIssueCard | undefined {
    const row = this.#sql("SELECT * FROM issues WHERE build_id = ? AND id = ?").get(buildId, issueId);
    return row === undefined ? undefined : toIssueCard(row);
  }

  /**
   * Changes an issue's status after `checkTransition` allows it, writing the status and its
   * card_transactions row atomically. The UPDATE is conditional on the status read, so of two writers
   * starting from the same status only one can apply. Throws `TransitionRefusedError` and writes
   * nothing when the check refuses, the issue does not exist, or the status moved underneath.
   */
  transition(input: TransitionInput): StoredIssueCard {
    const waitReason = input.waitReason ?? null;
    const { buildId, issueId, to, actor } = input;
    return this.#db
      .transaction((): StoredIssueCard => {
        const current = this.getIssue(buildId, issueId);
        if (current === undefined) {
          throw new TransitionRefusedError(
            "UNKNOWN_ISSUE",
            `build ${buildId} has no issue ${issueId}`,
            buildId,
            issueId,
            null,
            to,
          );
        }
        const from = current.status;
        const check = checkTransition(from, to, actor, waitReason);
        if (!check.ok) {
          throw new TransitionRefusedError(check.code, check.message, buildId, issueId, from, to);
        }
        const row = { build_id: buildId, id: issueId, from, to, wait_reason: waitReason };
        const at = input.now.toISOString();
        const changed = this.#sql(UPDATE_STATUS).run({ ...row, at }).changes;
        if (changed !== 1) {
          throw new TransitionRefusedError(
            "TRANSITION_CONFLICT",
            `issue ${issueId} is no longer ${from}; another writer changed it first`,
            buildId,
            issueId,
            from,
            to,
          );
        }
        this.#sql(INSERT_TRANSACTION).run({
          ...row,
          actor_kind: actor.kind,
          actor_name: actor.name,
          reason: input.reason,
          at,
          run_id: input.runId ?? null,
        });
        return this.#mustGet(buildId, issueId);
      })
      .immediate();
  }

  /** Counts one more failed attempt; returns the new count. */
  recordAttempt(buildId: string, issueId: string, now?: Date): number {
    return this.#increment(buildId, issueId, "attempts", now);
  }

  /** Counts one more turn on the issue, by any seat; returns the new count. */
  recordTurn(buildId: string, issueId: string, now?: Date): number {
    return this.#increment(buildId, issueId, "turns", now);
  }

  /**
   * Adds an issue to an existing build while it runs (the create_issue tool). The spec is validated
   * here because it comes from a model; an id already used in the build is refused, never overwritten.
   */
  createIssue(buildId: string, epicId: string, spec: IssueSpec, actor: Actor, now: Date): StoredIssueCard {
    const valid = validSpec(spec);
    return this.#db
      .transaction((): StoredIssueCard => {
        const build = this.getBuild(buildId);
        if (build === undefined) throw new UnknownBuildError(buildId);
        if (build.epic_id !== epicId) throw new BuildEpicMismatchError(buildId, build.epic_id, epicId);
        if (this.getIssue(buildId, valid.id) !== undefined) throw new IssueExistsError(buildId, valid.id);
        this.#insertIssue(buildId, epicId, valid, actor, now.toISOString());
        return this.#mustGet(buildId, valid.id);
      })
      .immediate();
  }

  addComment(input: AddCommentInput): IssueComment {
    return this.#db
      .transaction((): IssueComment => {
        this.#mustGet(input.buildId, input.issueId);
        const row = this.#sql(
          `INSERT INTO comments (build_id, issue_id, author_kind, author_name, body, at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
        ).get(
          input.buildId,
          input.issueId,
          input.author.kind,
          input.author.name,
          input.body,
          input.now.toISOString(),
        );
        return toComment(row);
      })
      .immediate();
  }

  /** The issue's comments, oldest first. */
  listComments(buildId: string, issueId: string): IssueComment[] {
    return this.#sql("SELECT * FROM comments WHERE build_id = ? AND issue_id = ? ORDER BY comment_id")
      .all(buildId, issueId)
      .map(toComment);
  }

  /** Status changes in the order they were applied: of one issue, or of the whole build. */
  listTransactions(buildId: string, issueId?: string): StoredCardTransaction[] {
    const rows =
      issueId === undefined
        ? this.#sql("SELECT * FROM card_transactions WHERE build_id = ? ORDER BY tx_id").all(buildId)
        : this.#sql("SELECT * FROM card_transactions WHERE build_id = ? AND issue_id = ? ORDER BY tx_id").all(
            buildId,
            issueId,
          );
    return rows.map(toTransaction);
  }

  #mustGet(buildId: string, issueId: string): StoredIssueCard {
    const card = this.getIssue(buildId, issueId);
    if (card === undefined) throw new UnknownIssueError(buildId, issueId);
    return card;
  }

  #insertIssue(buildId: string, epicId: string, spec: IssueSpec, actor: Actor, at: string): void {
    this.#sql(
      `INSERT INTO issues (build_id, id, epic_id, seat, summary, requirements, priority, depends_on,
           max_retries, required_files, status, wait_reason, attempts, turns, created_by_kind,
           created_by_name, created_at, updated_at)
         VALUES (@build_id, @id, @epic_id, @seat, @summary, @requirements, @priority, @depends_on,
           @max_retries, @required_files, 'ready', NULL, 0, 0, @actor_kind, @actor_name, @at, @at)`,
    ).run({
      ...specColumns(spec),
      build_id: buildId,
      epic_id: epicId,
      actor_kind: actor.kind,
      actor_name: actor.name,
      at,
    });
  }

  #increment(buildId: string, issueId: string, column: "attempts" | "turns", now: Date | undefined): number {
    const at = now === undefined ? null : now.toISOString();
    const value = this.#sql(
      `UPDATE issues SET ${column} = ${column} + 1, updated_at = COALESCE(?, updated_at)
         WHERE build_id = ? AND id = ? RETURNING ${column}`,
    )
      .pluck()
      .get(at, buildId, issueId);
    if (typeof value !== "number") throw new UnknownIssueError(buildId, issueId);
    return value;
  }
}

// Unknown keys are dropped rather than refused: in TypeScript a whole IssueCard is a valid IssueSpec.
const LooseIssueSpecSchema = IssueSpecSchema.strip();

function validSpec(spec: IssueSpec): IssueSpec {
  const result = LooseIssueSpecSchema.safeParse(spec);
  if (!result.success) {
    throw new InvalidIssueSpecError(String(spec.id), result.error.issues.map((i) => i.message).join("; "));
  }
  return result.data;
}

function specColumns(spec: IssueSpec) {
  return {
    id: spec.id,
    seat: spec.seat,
    summary: spec.summary,
    requirements: spec.requirements,
    priority: spec.priority,
    depends_on: toJsonText(spec.depends_on, "depends_on"),
    max_retries: spec.max_retries,
    required_files: toJsonText(spec.required_files, "required_files"),
  };
}

function notStarted(card: StoredIssueCard): boolean {
  return card.status === "ready" && card.attempts === 0 && card.turns === 0;
}

function specChanged(card: StoredIssueCard, spec: IssueSpec): boolean {
  return (
    card.seat !== spec.seat ||
    card.summary !== spec.summary ||
    card.requirements !== spec.requirements ||
    card.priority !== spec.priority ||
    card.max_retries !== spec.max_retries ||
    JSON.stringify(card.depends_on) !== JSON.stringify(spec.depends_on) ||
    JSON.stringify(card.required_files) !== JSON.stringify(spec.required_files)
  );
}
