/**
 * The memory commit buffer (docs/memory.md, "The commit buffer"): a turn's memory writes are staged
 * durably under a commit id, sealed with a payload fingerprint, and applied to project memory in ONE
 * SQLite transaction together with the commit's state change, so snapshot N+1 is the head snapshot plus
 * exactly the buffered writes, or nothing at all. States: buffer_open → commit_pending → commit_applied
 * | commit_aborted.
 *
 * Every move is a conditional UPDATE (`WHERE state = <expected> AND <claim>`) inside a `BEGIN IMMEDIATE`
 * transaction, so of two processes moving the same commit exactly one wins. A lease (owner, expiry)
 * says who may move a live commit: the owner while it is unexpired (each owner step slides it forward),
 * anyone through `recover()` once it has expired. An expired lease is lost for good: the owner's next
 * step fails with LEASE_LOST even if no one has recovered the commit yet.
 *
 * Reason codes: a buffer given up on purpose (`discard`, or `abort(id, null, ...)`) and one found open
 * after a crash are aborted with reason_code NULL, because nothing failed; the codes are kept for
 * failures (policy_rejected, validation_failed, storage_apply_failed, payload_mismatch).
 */
import { randomUUID } from "node:crypto";
import type { CommitReasonCode, CommitState, MemoryWrite, MemoryWriteParsed } from "../spec/memory.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { type Database, type Statement, statementCache } from "../store/db.js";
import { parseRow } from "../store/rows.js";
import {
  type AbortedOutcome,
  CommitBufferError,
  type CommitBufferErrorCode,
  type CommitBufferOptions,
  type CommitOutcome,
  type CommitRecord,
  CommitRowSchema,
  CommitStateError,
  LeaseLostError,
  type OpenCommitOptions,
  type PreparedCommit,
  type RecoveryReport,
} from "./commit-buffer-types.js";
import {
  MemoryStore,
  MemoryValidationError,
  parseMemoryWrite,
  payloadFingerprint,
  recordIdFor,
} from "./memory-store.js";

export * from "./commit-buffer-types.js";

export const DEFAULT_LEASE_MS = 30_000;
export const DISCARDED_REASON = "discarded";
export const CRASHED_OPEN_REASON = "crashed while open";

/** Who may move a commit: its owner under a live lease, or a recoverer once the lease expired. */
type Claim = "holder" | "recovery";
const CLAIM_SQL: Record<Claim, string> = {
  holder: "owner = @owner AND lease_expires_at > @now",
  recovery: "(owner = @owner OR lease_expires_at <= @now)",
};
/** The state a call needs: open, pending, or either of the two live states. */
type Wanted = "buffer_open" | "commit_pending" | "live";
const LIVE_STATES: readonly CommitState[] = ["buffer_open", "commit_pending"];

const COMMIT_SELECT = `SELECT c.commit_id, c.state, c.reason_code, c.reason, c.base_seq, c.applied_seq,
  c.payload_fingerprint, c.owner, c.lease_expires_at, c.run_id, c.issue_id, c.created_at, c.updated_at,
  (SELECT count(*) FROM memory_commit_writes w WHERE w.commit_id = c.commit_id) AS write_count
  FROM memory_commits c`;

/** Thrown out of an apply transaction so that it rolls back whole; recorded as storage_apply_failed. */
class StorageApplyFailure extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { STORAGE_APPLY_FAILED: "internal" };
  override readonly code = "STORAGE_APPLY_FAILED";

  constructor(readonly error: unknown) {
    super("storage apply failed", { cause: error });
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
      const at = this.#now();
      const meta = [options.runId ?? null, options.issueId ?? null, at.toISOString(), at.toISOString()];
      this.#sql(
        `INSERT INTO memory_commits (commit_id, state, base_seq, owner, lease_expires_at, run_id, issue_id,
           created_at, updated_at) VALUES (?, 'buffer_open', ?, ?, ?, ?, ?, ?, ?)`,
      ).run(id, this.memory.head().seq, this.owner, this.#leaseEnd(at), ...meta);
      return id;
    }, true);
  }

  /** Validates one write and appends it to an open buffer (an invalid write throws INVALID_WRITE). */
  stage(commitId: string, write: MemoryWrite): { seq: number; record_id: string } {
    const parsed = validated(commitId, write, `commit ${commitId} write`);
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
      const fp = payloadFingerprint(writes);
      this.#holderUpdate(commitId, "buffer_open", "state = 'commit_pending', payload_fingerprint = @fp, ", {
        fp,
      });
      return { commit_id: commitId, payload_fingerprint: fp, write_count: writes.length };
    }, true);
  }

  /**
   * Applies a pending commit: its staged writes and the move to commit_applied in one transaction.
   * Re-applying an applied commit with its own fingerprint (`expectedFingerprint`, default: its own) is
   * an idempotent no-op; with another one the call comes back payload_mismatch, changing nothing.
   * Contract outcomes (payload_mismatch, validation_failed, storage_apply_failed) are returned as
   * `commit_aborted`; refusals (state, lease) throw.
   */
  apply(commitId: string, options: { expectedFingerprint?: string | undefined } = {}): CommitOutcome {
    return this.#applyOrRecord(commitId, "holder", () => {
      const row = this.#mustGet(commitId);
      const expected = options.expectedFingerprint;
      if (row.state === "commit_applied") return this.#replay(row, expected ?? row.payload_fingerprint);
      if (row.state !== "commit_pending") this.#refuse(commitId, "commit_pending", row);
      if (row.owner !== this.owner || row.lease_expires_at <= this.#now().toISOString()) {
        throw new LeaseLostError(row, this.owner);
      }
      return this.#applyPending(row, expected, "holder");
    });
  }

  /**
   * open + stage + prepare + apply in a row. Re-run with the id of an applied commit it is an idempotent
   * no-op when the writes fingerprint the same, and a payload_mismatch that changes nothing when not.
   * An invalid write aborts the new commit with validation_failed.
   */
  commit(
    commitId: string,
    writes: readonly MemoryWrite[],
    meta: Omit<OpenCommitOptions, "commitId"> = {},
  ): CommitOutcome {
    const existing = this.get(commitId);
    if (existing?.state === "commit_applied") return this.#replay(existing, fingerprintOrNull(writes));
    if (existing?.state === "commit_aborted") throw new CommitStateError("COMMIT_ENDED", existing);
    this.open({ ...meta, commitId });
    try {
      for (const write of writes) this.stage(commitId, write);
    } catch (error) {
      if (!isCode(error, "INVALID_WRITE")) throw error;
      this.abort(commitId, "validation_failed", error.message);
      return aborted(commitId, "validation_failed", error.message, true);
    }
    return this.apply(commitId, { expectedFingerprint: this.prepare(commitId).payload_fingerprint });
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
    const filter = options.states ? " WHERE c.state IN (SELECT value FROM json_each(@states))" : "";
    return this.#sql(`${COMMIT_SELECT}${filter} ORDER BY c.rowid`)
      .all(...(options.states ? [{ states: JSON.stringify(options.states) }] : []))
      .map((row) => parseRow(CommitRowSchema, "memory_commits", row));
  }

  /** The staged writes in order, validated again: one that no longer validates throws INVALID_WRITE. */
  stagedWrites(commitId: string): MemoryWriteParsed[] {
    return this.#sql("SELECT write FROM memory_commit_writes WHERE commit_id = ? ORDER BY seq")
      .pluck()
      .all(commitId)
      .map((text, i) => {
        const label = `commit ${commitId} staged write ${i + 1}`;
        try {
          return validated(commitId, JSON.parse(String(text)), label);
        } catch (error) {
          if (error instanceof SyntaxError)
            throw new CommitBufferError("INVALID_WRITE", commitId, `${label}: not JSON`);
          throw error;
        }
      });
  }

  /**
   * Finishes the commits of dead writers: those whose lease expired, and this owner's own (a restart
   * under the same owner id: call it before opening new commits). An open buffer is discarded; a
   * pending one is re-verified against its fingerprint and applied atomically, or aborted. A live
   * commit of another owner is left alone. Running it twice is a no-op the second time.
   */
  recover(): RecoveryReport {
    const report: RecoveryReport = { discarded: [], applied: [], aborted: [], skipped_live: [] };
    const live =
      "SELECT commit_id FROM memory_commits WHERE state IN ('buffer_open', 'commit_pending') ORDER BY rowid";
    for (const id of this.#sql(live).pluck().all() as string[]) {
      const outcome = this.#applyOrRecord(
        id,
        "recovery",
        (): CommitOutcome | "discarded" | "skipped_live" | null => {
          const row = this.get(id);
          if (row === undefined || !LIVE_STATES.includes(row.state)) return null;
          if (row.owner !== this.owner && row.lease_expires_at > this.#now().toISOString())
            return "skipped_live";
          if (row.state === "commit_pending") return this.#applyPending(row, undefined, "recovery");
          this.#move(row, "commit_aborted", { reason: CRASHED_OPEN_REASON }, "recovery");
          return "discarded";
        },
      );
      if (outcome === "discarded" || outcome === "skipped_live") report[outcome].push(id);
      else if (outcome?.state === "commit_applied") {
        report.applied.push({ commit_id: id, snapshot: outcome.snapshot, inserted: outcome.inserted });
      } else if (outcome?.state === "commit_aborted") {
        report.aborted.push({ commit_id: id, reason_code: outcome.reason_code, reason: outcome.reason });
      }
    }
    return report;
  }

  /** `body` in a transaction; a storage failure in it rolls it back whole and is recorded after. */
  #applyOrRecord<T>(commitId: string, claim: Claim, body: () => T): T | AbortedOutcome {
    try {
      return this.#tx(body);
    } catch (error) {
      if (!(error instanceof StorageApplyFailure)) throw error;
      const reason = describeError(error.error);
      // If recording fails too (disk full), the commit stays pending for recover() and the caller
      // sees the original error.
      const set = { reasonCode: "storage_apply_failed", reason } as const;
      let recorded = false;
      try {
        recorded = this.#tx(() => {
          const row = this.get(commitId);
          return row?.state === "commit_pending" && this.#move(row, "commit_aborted", set, claim);
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
    const abort = (reasonCode: CommitReasonCode, reason: string): AbortedOutcome => {
      this.#move(row, "commit_aborted", { reasonCode, reason }, claim);
      return aborted(row.commit_id, reasonCode, reason, true);
    };
    let writes: MemoryWriteParsed[];
    try {
      writes = this.stagedWrites(row.commit_id);
    } catch (error) {
      if (!isCode(error, "INVALID_WRITE")) throw error;
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
      const meta = { now: this.#now(), commitId: row.commit_id, runId: row.run_id, issueId: row.issue_id };
      const { snapshot, inserted } = this.memory.applyWrites(writes, meta);
      if (!this.#move(row, "commit_applied", { appliedSeq: snapshot.seq }, claim)) {
        throw new Error(`commit ${row.commit_id} moved under an IMMEDIATE transaction`);
      }
      return { state: "commit_applied", commit_id: row.commit_id, snapshot, inserted, idempotent: false };
    } catch (error) {
      throw new StorageApplyFailure(error);
    }
  }

  /** A repeat of an applied commit: a no-op with the same fingerprint, a payload_mismatch without. */
  #replay(row: CommitRecord, fingerprint: string | null): CommitOutcome {
    const snapshot = row.applied_seq === null ? undefined : this.memory.snapshot(row.applied_seq);
    if (fingerprint !== null && fingerprint === row.payload_fingerprint && snapshot !== undefined) {
      return { state: "commit_applied", commit_id: row.commit_id, snapshot, inserted: [], idempotent: true };
    }
    const reason = mismatch(row.commit_id, "applied", row.payload_fingerprint, fingerprint);
    return aborted(row.commit_id, "payload_mismatch", reason, false);
  }

  /** The conditional UPDATE of every move to a final state; false when `row` is no longer current. */
  #move(
    row: CommitRecord,
    to: "commit_applied" | "commit_aborted",
    set: { reasonCode?: CommitReasonCode | null; reason?: string; appliedSeq?: number },
    claim: Claim,
  ): boolean {
    const { changes } = this.#sql(
      `UPDATE memory_commits SET state = @to, reason_code = @code, reason = @reason, applied_seq = @seq,
         owner = @owner, updated_at = @now WHERE commit_id = @id AND state = @from AND ${CLAIM_SQL[claim]}`,
    ).run({
      ...{ to, code: set.reasonCode ?? null, reason: set.reason ?? null, seq: set.appliedSeq ?? null },
      ...{ owner: this.owner, now: this.#now().toISOString(), id: row.commit_id, from: row.state },
    });
    return changes === 1;
  }

  /** The holder's conditional UPDATE of a live commit: `set`, and the lease slid forward. */
  #holderUpdate(commitId: string, wanted: Wanted, set: string, params: Record<string, unknown> = {}): string {
    const now = this.#now();
    const lease = this.#leaseEnd(now);
    const states = wanted === "live" ? "'buffer_open', 'commit_pending'" : `'${wanted}'`;
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
      const ok = wanted === "live" ? LIVE_STATES.includes(row.state) : row.state === wanted;
      if (!ok || !this.#move(row, "commit_aborted", { reasonCode, reason }, "holder")) {
        this.#refuse(commitId, wanted, row);
      }
      return this.#mustGet(commitId);
    });
  }

  /** Throws the error that says why a move of `commitId` from `wanted` was refused. */
  #refuse(commitId: string, wanted: Wanted, found?: CommitRecord): never {
    const row = found ?? this.#mustGet(commitId);
    if (wanted === "buffer_open" && row.state !== wanted) throw new CommitStateError("COMMIT_NOT_OPEN", row);
    if (!LIVE_STATES.includes(row.state)) throw new CommitStateError("COMMIT_ENDED", row);
    if (wanted === "commit_pending" && row.state !== wanted)
      throw new CommitStateError("COMMIT_NOT_PENDING", row);
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
   * power cut only turns a commit back into an open buffer (or none), which recovery discards, and the
   * next FULL commit's fsync of the WAL covers it anyway. So a durable commit costs one fsync, at
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

function aborted(
  commit_id: string,
  reason_code: CommitReasonCode,
  reason: string,
  recorded: boolean,
): AbortedOutcome {
  return { state: "commit_aborted", commit_id, reason_code, reason, snapshot: null, recorded };
}

function validated(commitId: string, write: unknown, label: string): MemoryWriteParsed {
  try {
    return parseMemoryWrite(write, label);
  } catch (error) {
    if (error instanceof MemoryValidationError)
      throw new CommitBufferError("INVALID_WRITE", commitId, error.message);
    throw error;
  }
}

function isCode(error: unknown, code: CommitBufferErrorCode): error is CommitBufferError {
  return error instanceof CommitBufferError && error.code === code;
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
