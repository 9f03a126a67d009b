/**
 * What a run's seats may do with project memory, by the run's visibility mode:
 *   off              no memory tools, nothing injected, nothing read;
 *   read_only        memory_search, and past decisions injected into the prompt;
 *   buffered_write   also memory_write, staged in the SQLite commit buffer and committed at the end of a
 *                    successful turn (a failed turn's writes are discarded);
 *   live_read_write  memory_write applies at once and later searches see it.
 * Reads in read_only and buffered_write see the snapshot pinned when the turn began, so a turn's
 * retrievals do not depend on what concurrent turns commit meanwhile. Every retrieval is reported to
 * `onRetrieval`, which the trace recorder links to the determinism event that consumed it.
 */
import { randomUUID } from "node:crypto";
import { CommitBuffer, type RecoveryReport } from "../memory/commit-buffer.js";
import {
  MemoryStore,
  parseMemoryWrite,
  recordIdFor,
  type SearchHit,
  type SearchResult,
  type Snapshot,
} from "../memory/memory-store.js";
import type { VisibilityMode } from "../spec/memory.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import type { Database } from "../store/db.js";
import type { TurnContext } from "./interceptors.js";
import type { ToolArgs } from "./tools/definitions.js";

/** The namespace whose records are injected into prompts as past decisions. */
export const DECISIONS_NAMESPACE = "decisions";
const INJECTED_DECISIONS = 3;

export interface RunMemoryOptions {
  db: Database;
  mode: VisibilityMode;
  runId: string;
  epicId: string;
  now: () => Date;
  /** Told about every retrieval, before its results reach the prompt or the model. */
  onRetrieval?: (ctx: TurnContext, result: SearchResult) => void;
}

export interface TurnMemoryEnd {
  mode: VisibilityMode;
  snapshot_id: string;
  /** What happened to the turn's buffered writes (buffered_write only). */
  commit: {
    commit_id: string;
    state: "commit_applied" | "commit_aborted" | "discarded";
    writes: number;
    snapshot_id: string | null;
  } | null;
}

export class MemoryAccessError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = {
    MEMORY_OFF: "failed",
    MEMORY_READ_ONLY: "failed",
  };
  constructor(
    override readonly code: "MEMORY_OFF" | "MEMORY_READ_ONLY",
    message: string,
  ) {
    super(message);
  }
}

/** The refusal of a memory tool in a run whose memory is off. */
export function memoryOffError(): MemoryAccessError {
  return new MemoryAccessError(
    "MEMORY_OFF",
    "project memory is off for this run (orket run --memory read_only|buffered_write|live_read_write)",
  );
}

export class RunMemory {
  private readonly store: MemoryStore;
  private readonly buffer: CommitBuffer;
  /** Commits this run has open: their leases are renewed with the run's heartbeat. */
  readonly live = new Set<string>();

  constructor(private readonly options: RunMemoryOptions) {
    this.store = new MemoryStore(options.db);
    this.buffer = new CommitBuffer(options.db, {
      owner: `run:${options.runId}:${process.pid}:${randomUUID().slice(0, 8)}`,
      now: options.now,
      memory: this.store,
    });
  }

  /**
   * Settles commits left by runs that died (their leases expired): a buffer still open is discarded, a
   * pending commit is applied whole or aborted. Commits under a live lease are left alone.
   */
  recover(): RecoveryReport {
    return this.buffer.recover();
  }

  /** Keeps this run's open commits leased; called with the run's heartbeat. */
  renewLeases(): void {
    for (const id of this.live) this.buffer.renew(id);
  }

  get mode(): VisibilityMode {
    return this.options.mode;
  }

  /** Pins the turn's snapshot. With memory off the snapshot id is `none`: the memory is not consulted. */
  beginTurn(ctx: TurnContext): TurnMemory {
    const snapshot = this.options.mode === "off" ? null : this.store.head();
    const buffer = this.options.mode === "buffered_write" ? this.buffer : undefined;
    return new TurnMemory(ctx, this.options, this.store, buffer, snapshot, this.live);
  }
}

export class TurnMemory {
  private commitId: string | undefined;
  private staged = 0;

  constructor(
    private readonly ctx: TurnContext,
    private readonly options: RunMemoryOptions,
    private readonly store: MemoryStore,
    private readonly buffer: CommitBuffer | undefined,
    private readonly pinned: Snapshot | null,
    private readonly live: Set<string>,
  ) {}

  get mode(): VisibilityMode {
    return this.options.mode;
  }

  get snapshotId(): string {
    return this.pinned?.snapshot_id ?? "none";
  }

  /** Past decisions relevant to the issue, for the prompt (read modes only; empty when off). */
  pastDecisions(text: string): SearchHit[] {
    if (this.options.mode === "off") return [];
    return this.search({ query: text, namespace: DECISIONS_NAMESPACE, limit: INJECTED_DECISIONS }).hits;
  }

  /** The memory_search tool. */
  search(
    args: Pick<ToolArgs["memory_search"], "query" | "limit"> & {
      namespace?: string | undefined;
      tags?: string[] | undefined;
    },
  ): SearchResult {
    this.require("search");
    const result = this.store.search({
      text: args.query,
      namespaces: args.namespace ? [args.namespace] : undefined,
      tags: args.tags,
      scopes: ["project", `epic:${this.options.epicId}`],
      asOf: this.options.now(),
      snapshotSeq: this.options.mode === "live_read_write" ? undefined : this.pinned?.seq,
      limit: args.limit,
    });
    this.options.onRetrieval?.(this.ctx, result);
    return result;
  }

  /** The memory_write tool: staged (buffered_write) or applied now (live_read_write). */
  write(args: ToolArgs["memory_write"]): {
    record_id: string;
    status: "buffered" | "stored" | "already_stored";
  } {
    this.require("write");
    const write = parseMemoryWrite(
      {
        namespace: args.namespace,
        record_type: args.record_type,
        content: args.content,
        tags: args.tags,
        trust: "low",
        scope: args.scope === "epic" ? `epic:${this.options.epicId}` : "project",
        ttl_seconds: args.ttl_seconds,
      },
      "memory_write",
    );
    const meta = { runId: this.options.runId, issueId: this.ctx.issue.id };
    if (this.buffer) {
      if (this.commitId === undefined) {
        this.commitId = this.buffer.open(meta);
        this.live.add(this.commitId);
      }
      this.buffer.stage(this.commitId, write);
      this.staged++;
      return { record_id: recordIdFor(write), status: "buffered" };
    }
    const applied = this.store.applyWrites([write], { ...meta, now: this.options.now() });
    return {
      record_id: recordIdFor(write),
      status: applied.advanced ? "stored" : "already_stored",
    };
  }

  /** Ends the turn: commits its buffered writes when it succeeded, discards them when it did not. */
  finish(succeeded: boolean): TurnMemoryEnd {
    const base = { mode: this.options.mode, snapshot_id: this.snapshotId };
    if (!this.buffer || this.commitId === undefined) return { ...base, commit: null };
    const commitId = this.commitId;
    this.live.delete(commitId);
    if (!succeeded) {
      this.buffer.abort(commitId, null, "discarded: the turn failed");
      return {
        ...base,
        commit: { commit_id: commitId, state: "discarded", writes: this.staged, snapshot_id: null },
      };
    }
    this.buffer.prepare(commitId);
    const applied = this.buffer.apply(commitId);
    return {
      ...base,
      commit: {
        commit_id: commitId,
        state: applied.state,
        writes: this.staged,
        snapshot_id: applied.snapshot?.snapshot_id ?? null,
      },
    };
  }

  private require(what: "search" | "write"): void {
    if (this.options.mode === "off") throw memoryOffError();
    if (what === "write" && this.options.mode === "read_only")
      throw new MemoryAccessError("MEMORY_READ_ONLY", "project memory is read-only for this run");
  }
}
