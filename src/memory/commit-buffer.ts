/**
 * The memory commit buffer (CONTRACTS.md, "Memory commit buffer"): a turn's memory writes are staged
 * durably under a commit id, sealed with a payload fingerprint, and applied to project memory in ONE
 * SQLite transaction together with the commit's state change, so snapshot N+1 is the head snapshot plus
 * exactly the buffered writes, or nothing at all. States: buffer_open → commit_pending → commit_applied
 * | commit_aborted.
 *
 * Every move is a conditional UPDATE (`WHERE state = <expected> AND <claim>`) inside a `BEGIN IMMEDIATE`
 * transaction, so of two processes moving the same commit exactly one wins. A lease (owner, expiry)
 * says who may move a live commit: the owner while it is unexpired (each owner operation slides it
 * forward), anyone through `recover()` once it has expired. An expired lease is lost for good: the
 * owner's next operation fails with LEASE_LOST even if no one has recovered the commit yet.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { UtcTimestampSchema } from "../spec/common.js";
import {
  COMMIT_REASON_CODES,
  COMMIT_STATES,
  type CommitReasonCode,
  type CommitState,
  type MemoryWrite,
  type MemoryWriteParsed,
} from "../spec/memory.js";
import { type Database, type Statement, statementCache } from "../store/db.js";
import { parseRow } from "../store/rows.js";
import {
  MemoryStore,
  MemoryValidationError,
  parseMemoryWrite,
  payloadFingerprint,
  recordIdFor,
  type Snapshot,
} from "./memory-store.js";

export const DEFAULT_LEASE_MS = 30_000;
/** The reason text of a buffer given up by its owner (`discard`); its reason code is null. */
export const DISCARDED_REASON = "discarded";
/** The reason text of an open buffer found by `recover()`: its writer died before preparing it. */
export const CRASHED_OPEN_REASON = "crashed while open";

export type CommitBufferErrorCode =
  | "UNKNOWN_COMMIT"
  | "COMMIT_EXISTS"
  | "INVALID_COMMIT_ID"
  | "COMMIT_NOT_OPEN"
  | "COMMIT_NOT_PENDING"
  | "COMMIT_ENDED"
  | "LEASE_LOST"
  | "INVALID_WRITE";

/** A refused commit-buffer call. Nothing was written; the message is one line naming the commit. */
export class CommitBufferError extends Error {
  constructor(
    readonly code: CommitBufferErrorCode,
    readonly commitId: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The commit is not in the state the call needs (COMMIT_NOT_OPEN, COMMIT_NOT_PENDING, COMMIT_ENDED). */
export class CommitStateError extends CommitBufferError {
  constructor(
    code: "COMMIT_NOT_OPEN" | "COMMIT_NOT_PENDING" | "COMMIT_ENDED",
    readonly commit: CommitRecord,
  ) {
    const why = commit.reason === null ? "" : ` (${commit.reason_code ?? "no code"}: ${commit.reason})`;
    const id = commit.commit_id;
    const messages = {
      COMMIT_NOT_OPEN: `commit ${id} is ${commit.state}${why}, not buffer_open`,
      COMMIT_NOT_PENDING: `commit ${id} is ${commit.state}, not commit_pending: prepare it first`,
      COMMIT_ENDED: `commit ${id} has ended: ${commit.state}${why}`,
    };
    super(code, id, messages[code]);
  }
}

/** The caller is not the lease owner, or its lease expired: only `recover()` may move the commit now. */
export class LeaseLostError extends CommitBufferError {
  constructor(
    readonly commit: CommitRecord,
    readonly caller: string,
  ) {
    const held = commit.owner === caller ? "expired at" : `is held by ${commit.owner} until`;
    super(
      "LEASE_LOST",
      commit.commit_id,
      `commit ${commit.commit_id}: lease ${held} ${commit.lease_expires_at}`,
    );
  }
}

/** A staged write failed validation; the message names the field. The commit stays open. */
export class InvalidCommitWriteError extends CommitBufferError {
  constructor(commitId: string, detail: string) {
    super("INVALID_WRITE", commitId, detail);
  }
}

const CommitRowSchema = z.object({
  commit_id: z.string().min(1),
  state: z.enum(COMMIT_STATES),
  reason_code: z.enum(COMMIT_REASON_CODES).nullable(),
  reason: z.string().nullable(),
  base_seq: z.number().int().nonnegative(),
  applied_seq: z.number().int().nonnegative().nullable(),
  payload_fingerprint: z.string().nullable(),
  owner: z.string(),
  lease_expires_at: UtcTimestampSchema,
  run_id: z.string().nullable(),
  issue_id: z.string().nullable(),
  created_at: UtcTimestampSchema,
  updated_at: UtcTimestampSchema,
  write_count: z.number().int().nonnegative(),
});
/** A commit as stored, with the number of writes staged under it. */
export type CommitRecord = z.infer<typeof CommitRowSchema>;

export interface CommitBufferOptions {
  /** Who holds the leases this buffer takes; recover() also takes back this owner's own live commits. */
  owner: string;
  leaseMs?: number;
  now?: () => Date;
  /**
   * Sets `PRAGMA synchronous = FULL` on the connection, so a commit that reached a final state survives
   * a power cut. open, stage, prepare and renew still commit without an fsync (see `#tx`).
   */
  durable?: boolean;
  /** The memory over the same `db`; made here when absent. */
  memory?: MemoryStore;
}

export interface OpenCommitOptions {
  commitId?: string | undefined;
  runId?: string | null | undefined;
  issueId?: string | null | undefined;
}

export interface AppliedOutcome {
  state: "commit_applied";
  commit_id: string;
  /** The snapshot the commit made (the head it found, when every write already existed). */
  snapshot: Snapshot;
  /** Records this call inserted: empty on an idempotent replay. */
  inserted: string[];
  /** True when the commit had already been applied with this payload: nothing changed. */
  idempotent: boolean;
}

export interface AbortedOutcome {
  state: "commit_aborted";
  commit_id: string;
  reason_code: CommitReasonCode;
  reason: string;
  snapshot: null;
  /** False for a payload_mismatch against an already-applied commit: its stored row stays applied. */
  recorded: boolean;
}

export type CommitOutcome = AppliedOutcome | AbortedOutcome;

export interface PreparedCommit {
  commit_id: string;
  payload_fingerprint: string;
  write_count: number;
}

export interface RecoveryReport {
  /** Open buffers whose writer died: aborted with reason "crashed while open". */
  discarded: string[];
  applied: { commit_id: string; snapshot: Snapshot; inserted: string[] }[];
  aborted: { commit_id: string; reason_code: CommitReasonCode; reason: string }[];
  /** Live commits under another owner's unexpired lease: left alone. */
  skipped_live: string[];
}

/** Who may move a commit: its owner under a live lease, or a recoverer once the lease expired. */
type Claim = "holder" | "recovery";
/** The state a holder's call needs: open, or either live state. */
type Wanted = "buffer_open" | "live";
const CLAIM_SQL: Record<Claim, string> = {
  holder: "owner = @owner AND lease_expires_at > @now",
  recovery: "(owner = @owner OR lease_expires_at <= @now)",
};
const LIVE_STATES: readonly CommitState[] = ["buffer_open", "commit_pending"];

const COMMIT_SELECT = `SELECT c.commit_id, c.state, c.reason_code, c.reason, c.base_seq, c.applied_seq,
  c.payload_fingerprint, c.owner, c.lease_expires_at, c.run_id, c.issue_id, c.created_at, c.updated_at,
  (SELECT count(*) FROM memory_commit_writes w WHERE w.commit_id = c.commit_id) AS write_count
  FROM memory_commits c`;

/** Thrown out of an apply transaction so it rolls back whole; recorded as storage_apply_failed after. */
class StorageApplyFailure extends Error {
  constructor(readonly error: unknown) {
    super("storage apply failed");
  }
}

export class CommitBuffer {
  readonly owner: string;
  readonly memory: MemoryStore;
  readonly #db: Database;
  readonly #sql: (source: string) => Statement;
  readonly #leaseMs: number;
  readonly #now: () => Date;
  readonly #durable: boolean;

  constructor(db: Database, options: CommitBufferOptions) {
    if (options.owner === "") throw new Error("a commit buffer needs a non-empty owner");
    this.#db = db;
    this.#sql = statementCache(db);
    this.owner = options.owner;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#now = options.now ?? (() => new Date());
    this.#durable = options.durable ?? false;
    if (this.#durable) db.pragma("synchronous = FULL");
    this.memory = options.memory ?? new MemoryStore(db);
  }

  /** Opens a buffer on the current memory head under this owner's lease; returns its commit id. */
  open(options: OpenCommitOptions = {}): string {
    const id = options.commitId ?? `commit-${randomUUID()}`;
    if (id.trim() === "")
      throw new CommitBufferError("INVALID_COMMIT_ID", id, "a commit id must be non-empty");
    return this.#tx(() => {
      const found = this.get(id);
      if (found)
        throw new CommitBufferError("COMMIT_EXISTS", id, `commit ${id} already exists (${found.state})`);
      const now = this.#now();
      this.#sql(
        `INSERT INTO memory_commits (commit_id, state, base_seq, owner, lease_expires_at, run_id, issue_id,
           created_at, updated_at) VALUES (?, 'buffer_open', ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        this.memory.head().seq,
        this.owner,
        this.#leaseEnd(now),
        options.runId ?? null,
        options.issueId ?? null,
        now.toISOString(),
        now.toISOString(),
      );
      return id;
    }, true);
  }

  /** Validates one write (the commit stays open when it is invalid) and appends it to an open buffer. */
  stage(commitId: string, write: MemoryWrite): { seq: number; record_id: string } {
    let parsed: MemoryWriteParsed;
    try {
      parsed = parseMemoryWrite(write, `commit ${commitId} write`);
    } catch (error) {
      if (error instanceof MemoryValidationError) throw new InvalidCommitWriteError(commitId, error.message);
      throw error;
    }
    return this.#tx(() => {
      this.#holderUpdate(commitId, "buffer_open", "");
      const seq = this.#sql(
        `INSERT INTO memory_commit_writes (commit_id, seq, write)
         SELECT ?, coalesce(max(seq), 0) + 1, ? FROM memory_commit_writes WHERE commit_id = ? RETURNING seq`,
      )
        .pluck()
        .get(commitId, JSON.stringify(parsed), commitId) as number;
      return { seq, record_id: recordIdFor(parsed) };
    }, true);
  }

  /** Extends this owner's unexpired lease on a live commit; returns the new expiry. */
  renew(commitId: string): string {
    return this.#tx(() => this.#holderUpdate(commitId, "live", ""), true);
  }

  /** Seals an open buffer: commit_pending, with the fingerprint of its staged writes in order. */
  prepare(commitId: string): PreparedCommit {
    return this.#tx(() => {
      const writes = this.stagedWrites(commitId);
      const payload_fingerprint = payloadFingerprint(writes);
      const set = "state = 'commit_pending', payload_fingerprint = @fp, ";
      this.#holderUpdate(commitId, "buffer_open", set, { fp: payload_fingerprint });
      return { commit_id: commitId, payload_fingerprint, write_count: writes.length };
    }, true);
  }

  /**
   * Applies a pending commit: every staged write and the move to commit_applied in one transaction.
   * A commit already applied with the same fingerprint (`expectedFingerprint`, default its own) is an
   * idempotent no-op; with another fingerprint the call comes back payload_mismatch and the applied
   * commit and the memory stay as they are. Contract outcomes (payload_mismatch, validation_failed,
   * storage_apply_failed) are returned as `commit_aborted`; refusals (state, lease) throw.
   */
  apply(commitId: string, options: { expectedFingerprint?: string | undefined } = {}): CommitOutcome {
    return this.#applyOrRecord(commitId, () => {
      const row = this.#mustGet(commitId);
      if (row.state === "commit_applied")
        return this.#replay(row, options.expectedFingerprint ?? row.payload_fingerprint);
      if (row.state !== "commit_pending") this.#refuse(commitId, "commit_pending", row);
      if (row.owner !== this.owner || row.lease_expires_at <= this.#now().toISOString()) {
        throw new LeaseLostError(row, this.owner);
      }
      return this.#applyPending(row, options.expectedFingerprint, "holder");
    });
  }

  /**
   * open + stage + prepare + apply in a row. Re-run with the id of an applied commit, it is an idempotent
   * no-op when the writes fingerprint the same and a payload_mismatch (changing nothing) when not. An
   * invalid write aborts the new commit with validation_failed.
   */
  commit(
    commitId: string,
    writes: readonly MemoryWrite[],
    options: Omit<OpenCommitOptions, "commitId"> = {},
  ): CommitOutcome {
    const existing = this.get(commitId);
    if (existing?.state === "commit_applied") return this.#replay(existing, fingerprintOrNull(writes));
    if (existing?.state === "commit_aborted") throw new CommitStateError("COMMIT_ENDED", existing);
    this.open({ ...options, commitId });
    try {
      for (const write of writes) this.stage(commitId, write);
    } catch (error) {
      if (!(error instanceof InvalidCommitWriteError)) throw error;
      this.abort(commitId, "validation_failed", error.message);
      return aborted(commitId, "validation_failed", error.message, true);
    }
    const { payload_fingerprint } = this.prepare(commitId);
    return this.apply(commitId, { expectedFingerprint: payload_fingerprint });
  }

  /** Aborts this owner's live commit. A null reason code means given up rather than failed. */
  abort(commitId: string, reasonCode: CommitReasonCode | null, reason: string): CommitRecord {
    return this.#end(commitId, "live", reasonCode, reason);
  }

  /** Gives up an open buffer: aborted with reason code null and reason "discarded". */
  discard(commitId: string): CommitRecord {
    return this.#end(commitId, "buffer_open", null, DISCARDED_REASON);
  }

  get(commitId: string): CommitRecord | undefined {
    const row = this.#sql(`${COMMIT_SELECT} WHERE c.commit_id = ?`).get(commitId);
    return row === undefined ? undefined : parseRow(CommitRowSchema, "memory_commits", row);
  }

  /** Commits in the order they were opened, optionally only those in `states`. */
  list(options: { states?: readonly CommitState[] } = {}): CommitRecord[] {
    const rows =
      options.states === undefined
        ? this.#sql(`${COMMIT_SELECT} ORDER BY c.rowid`).all()
        : this.#sql(
            `${COMMIT_SELECT} WHERE c.state IN (SELECT value FROM json_each(?)) ORDER BY c.rowid`,
          ).all(JSON.stringify(options.states));
    return rows.map((row) => parseRow(CommitRowSchema, "memory_commits", row));
  }

  /** The staged writes in order, validated again (a stored write that no longer parses throws INVALID_WRITE). */
  stagedWrites(commitId: string): MemoryWriteParsed[] {
    const texts = this.#sql("SELECT write FROM memory_commit_writes WHERE commit_id = ? ORDER BY seq")
      .pluck()
      .all(commitId) as string[];
    return texts.map((text, i) => {
      const label = `commit ${commitId} staged write ${i + 1}`;
      try {
        return parseMemoryWrite(JSON.parse(text) as unknown, label);
      } catch (error) {
        throw new InvalidCommitWriteError(
          commitId,
          error instanceof Error ? error.message : `${label}: invalid`,
        );
      }
    });
  }

  /**
   * Finishes the commits of dead writers: those whose lease expired, and this owner's own (a restart
   * under the same owner id; call it before opening new commits). An open buffer is discarded; a pending
   * one is re-verified against its fingerprint and applied atomically, or aborted. Running it twice is
   * a no-op the second time; a live commit of another owner is left alone.
   */
  recover(): RecoveryReport {
    const report: RecoveryReport = { discarded: [], applied: [], aborted: [], skipped_live: [] };
    const ids = this.#sql(
      "SELECT commit_id FROM memory_commits WHERE state IN ('buffer_open', 'commit_pending') ORDER BY rowid",
    )
      .pluck()
      .all() as string[];
    for (const id of ids) {
      const outcome = this.#applyOrRecord(
        id,
        (): CommitOutcome | "discarded" | "skipped" | "gone" => {
          const row = this.get(id);
          if (row === undefined || !LIVE_STATES.includes(row.state)) return "gone";
          if (row.owner !== this.owner && row.lease_expires_at > this.#now().toISOString()) return "skipped";
          if (row.state === "commit_pending") return this.#applyPending(row, undefined, "recovery");
          this.#move(row, "commit_aborted", { reason: CRASHED_OPEN_REASON }, "recovery");
          return "discarded";
        },
        "recovery",
      );
      if (outcome === "discarded") report.discarded.push(id);
      else if (outcome === "skipped") report.skipped_live.push(id);
      else if (outcome === "gone") continue;
      else if (outcome.state === "commit_applied") {
        report.applied.push({ commit_id: id, snapshot: outcome.snapshot, inserted: outcome.inserted });
      } else report.aborted.push({ commit_id: id, reason_code: outcome.reason_code, reason: outcome.reason });
    }
    return report;
  }

  /** Runs `body` in an IMMEDIATE transaction; a storage failure inside it rolls back and is recorded after. */
  #applyOrRecord<T>(
    commitId: string,
    body: () => T | CommitOutcome,
    claim: Claim = "holder",
  ): T | CommitOutcome {
    try {
      return this.#tx(body);
    } catch (error) {
      if (!(error instanceof StorageApplyFailure)) throw error;
      const reason = describeError(error.error);
      // A second transaction: the first rolled back whole. If this one fails too (disk full), the commit
      // stays pending for recover() and the original error is what the caller sees.
      let recorded = false;
      try {
        recorded = this.#tx(() => {
          const row = this.get(commitId);
          return (
            row?.state === "commit_pending" &&
            this.#move(row, "commit_aborted", { reasonCode: "storage_apply_failed", reason }, claim)
          );
        });
      } catch {
        throw error.error;
      }
      if (!recorded) throw error.error;
      return aborted(commitId, "storage_apply_failed", reason, true);
    }
  }

  /** Inside a transaction: re-verifies a pending commit's payload, then applies it or aborts it. */
  #applyPending(row: CommitRecord, expected: string | undefined, claim: Claim): CommitOutcome {
    const abort = (reasonCode: CommitReasonCode, reason: string): CommitOutcome => {
      this.#move(row, "commit_aborted", { reasonCode, reason }, claim);
      return aborted(row.commit_id, reasonCode, reason, true);
    };
    let writes: MemoryWriteParsed[];
    try {
      writes = this.stagedWrites(row.commit_id);
    } catch (error) {
      if (!(error instanceof InvalidCommitWriteError)) throw error;
      return abort("validation_failed", error.message);
    }
    const actual = payloadFingerprint(writes);
    if (actual !== row.payload_fingerprint) {
      return abort("payload_mismatch", mismatch(row.commit_id, "prepared", row.payload_fingerprint, actual));
    }
    if (expected !== undefined && expected !== actual) {
      return abort("payload_mismatch", mismatch(row.commit_id, "staged", actual, expected));
    }
    try {
      const result = this.memory.applyWrites(writes, {
        now: this.#now(),
        commitId: row.commit_id,
        runId: row.run_id,
        issueId: row.issue_id,
      });
      if (!this.#move(row, "commit_applied", { appliedSeq: result.snapshot.seq }, claim)) {
        throw new Error(`commit ${row.commit_id} changed under an IMMEDIATE transaction`);
      }
      return {
        state: "commit_applied",
        commit_id: row.commit_id,
        snapshot: result.snapshot,
        inserted: result.inserted,
        idempotent: false,
      };
    } catch (error) {
      throw new StorageApplyFailure(error);
    }
  }

  /** A repeat of an applied commit: a no-op with the same fingerprint, a payload_mismatch without. */
  #replay(row: CommitRecord, fingerprint: string | null): CommitOutcome {
    if (fingerprint !== null && fingerprint === row.payload_fingerprint && row.applied_seq !== null) {
      const snapshot = this.memory.snapshot(row.applied_seq);
      if (snapshot !== undefined) {
        return {
          state: "commit_applied",
          commit_id: row.commit_id,
          snapshot,
          inserted: [],
          idempotent: true,
        };
      }
    }
    const reason = mismatch(row.commit_id, "applied", row.payload_fingerprint, fingerprint);
    return aborted(row.commit_id, "payload_mismatch", reason, false);
  }

  /** The conditional UPDATE of every state move; false when the commit was not where `row` said. */
  #move(
    row: CommitRecord,
    to: "commit_applied" | "commit_aborted",
    set: { reasonCode?: CommitReasonCode | null; reason?: string; appliedSeq?: number },
    claim: Claim,
  ): boolean {
    const now = this.#now().toISOString();
    return (
      this.#sql(
        `UPDATE memory_commits SET state = @to, reason_code = @code, reason = @reason, applied_seq = @seq,
           owner = @owner, updated_at = @now
         WHERE commit_id = @id AND state = @from AND ${CLAIM_SQL[claim]}`,
      ).run({
        to,
        code: set.reasonCode ?? null,
        reason: set.reason ?? null,
        seq: set.appliedSeq ?? null,
        owner: this.owner,
        now,
        id: row.commit_id,
        from: row.state,
      }).changes === 1
    );
  }

  /** The holder's conditional UPDATE: `set`, plus the lease slid forward; refused by name. */
  #holderUpdate(commitId: string, wanted: Wanted, set: string, params: Record<string, unknown> = {}): string {
    const now = this.#now();
    const lease = this.#leaseEnd(now);
    const states = wanted === "live" ? "'buffer_open', 'commit_pending'" : "'buffer_open'";
    const { changes } = this.#sql(
      `UPDATE memory_commits SET ${set}lease_expires_at = @lease, updated_at = @now
       WHERE commit_id = @id AND state IN (${states}) AND ${CLAIM_SQL.holder}`,
    ).run({ ...params, id: commitId, owner: this.owner, now: now.toISOString(), lease });
    if (changes !== 1) this.#refuse(commitId, wanted);
    return lease;
  }

  #end(commitId: string, wanted: Wanted, reasonCode: CommitReasonCode | null, reason: string): CommitRecord {
    return this.#tx(() => {
      const row = this.#mustGet(commitId);
      const ok = wanted === "live" ? LIVE_STATES.includes(row.state) : row.state === "buffer_open";
      if (!ok || !this.#move(row, "commit_aborted", { reasonCode, reason }, "holder")) {
        this.#refuse(commitId, wanted, row);
      }
      return this.#mustGet(commitId);
    });
  }

  /** Throws the error that says why a move of `commitId` from `wanted` was refused. */
  #refuse(commitId: string, wanted: Wanted | "commit_pending", found?: CommitRecord): never {
    const row = found ?? this.#mustGet(commitId);
    if (wanted === "buffer_open" && row.state !== "buffer_open")
      throw new CommitStateError("COMMIT_NOT_OPEN", row);
    if (!LIVE_STATES.includes(row.state)) throw new CommitStateError("COMMIT_ENDED", row);
    if (wanted === "commit_pending" && row.state !== "commit_pending") {
      throw new CommitStateError("COMMIT_NOT_PENDING", row);
    }
    throw new LeaseLostError(row, this.owner);
  }

  #mustGet(commitId: string): CommitRecord {
    const row = this.get(commitId);
    if (!row) throw new CommitBufferError("UNKNOWN_COMMIT", commitId, `no memory commit ${commitId}`);
    return row;
  }

  #leaseEnd(now: Date): string {
    return new Date(now.getTime() + this.#leaseMs).toISOString();
  }

  /**
   * An IMMEDIATE transaction. A `relaxed` one commits without an fsync even when durable: losing it to a
   * power cut only turns the commit back into an open buffer (or none), which recovery discards, and
   * the next FULL commit's fsync of the WAL covers it anyway. So a durable commit costs one fsync, at
   * apply, where the contract needs it. Inside a caller's transaction the caller's commit decides.
   */
  #tx<T>(body: () => T, relaxed = false): T {
    if (!relaxed || !this.#durable || this.#db.inTransaction) return this.#db.transaction(body).immediate();
    this.#sql("PRAGMA synchronous = NORMAL").run();
    try {
      return this.#db.transaction(body).immediate();
    } finally {
      this.#sql("PRAGMA synchronous = FULL").run();
    }
  }
}

function aborted(commit_id: string, reason_code: CommitReasonCode, reason: string, recorded: boolean) {
  return { state: "commit_aborted", commit_id, reason_code, reason, snapshot: null, recorded } as const;
}

function mismatch(commitId: string, what: string, stored: string | null, offered: string | null): string {
  const short = (fp: string | null) => (fp === null ? "an invalid payload" : fp.slice(0, 16));
  return `commit ${commitId}: ${what} payload ${short(stored)} differs from ${short(offered)}`;
}

/** The payload fingerprint of writes, or null when one of them does not validate. */
function fingerprintOrNull(writes: readonly MemoryWrite[]): string | null {
  try {
    return payloadFingerprint(writes.map((write) => parseMemoryWrite(write)));
  } catch (error) {
    if (error instanceof MemoryValidationError) return null;
    throw error;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${error.message}` : error.message;
}
