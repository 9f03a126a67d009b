/**
 * The commit buffer's types: its errors (each with a stable code and a one-line message naming the
 * commit), the stored commit row, the options and the outcomes of its calls.
 */
import { z } from "zod";
import { UtcTimestampSchema } from "../spec/common.js";
import { COMMIT_REASON_CODES, COMMIT_STATES, type CommitReasonCode } from "../spec/memory.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import type { MemoryStore, Snapshot } from "./memory-store.js";

/** Every code of the commit buffer, with its exit class. */
const COMMIT_BUFFER_CODES = {
  UNKNOWN_COMMIT: "failed",
  COMMIT_EXISTS: "failed",
  INVALID_COMMIT_ID: "failed",
  INVALID_WRITE: "failed",
  COMMIT_NOT_OPEN: "failed",
  COMMIT_NOT_PENDING: "failed",
  COMMIT_ENDED: "failed",
  LEASE_LOST: "failed",
} as const satisfies Record<string, ExitClass>;

export type CommitBufferErrorCode = keyof typeof COMMIT_BUFFER_CODES;

/** A refused call; nothing was written. INVALID_WRITE names the field, and the commit stays open. */
export class CommitBufferError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = COMMIT_BUFFER_CODES;
  constructor(
    override readonly code: CommitBufferErrorCode,
    readonly commitId: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The commit is not in the state the call needs; `commit` is the row as found. */
export class CommitStateError extends CommitBufferError {
  constructor(
    code: "COMMIT_NOT_OPEN" | "COMMIT_NOT_PENDING" | "COMMIT_ENDED",
    readonly commit: CommitRecord,
  ) {
    const { commit_id: id, state } = commit;
    const why = commit.reason === null ? "" : ` (${commit.reason_code ?? "no code"}: ${commit.reason})`;
    const message = {
      COMMIT_NOT_OPEN: `commit ${id} is ${state}${why}, not buffer_open`,
      COMMIT_NOT_PENDING: `commit ${id} is ${state}, not commit_pending: prepare it first`,
      COMMIT_ENDED: `commit ${id} has ended: ${state}${why}`,
    }[code];
    super(code, id, message);
  }
}

/** The caller is not the owner, or its lease expired: only `recover()` may move the commit now. */
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

export const CommitRowSchema = z.object({
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
  /** Who holds the leases this buffer takes; `recover()` also takes back this owner's live commits. */
  owner: string;
  leaseMs?: number;
  now?: () => Date;
  /**
   * Sets `synchronous = FULL` on the connection, so a commit that reached a final state survives a
   * power cut. open, stage, prepare and renew still commit without an fsync (see `#tx`).
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
  /** False for a payload_mismatch against an applied commit: its stored row stays commit_applied. */
  recorded: boolean;
}

export type CommitOutcome = AppliedOutcome | AbortedOutcome;

export interface PreparedCommit {
  commit_id: string;
  payload_fingerprint: string;
  write_count: number;
}

export interface RecoveryReport {
  /** Open buffers of dead writers, aborted with reason "crashed while open". */
  discarded: string[];
  applied: { commit_id: string; snapshot: Snapshot; inserted: string[] }[];
  aborted: { commit_id: string; reason_code: CommitReasonCode; reason: string }[];
  /** Live commits under another owner's unexpired lease: left alone. */
  skipped_live: string[];
}
