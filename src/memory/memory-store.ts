/**
 * Project memory in `orket.db`: append-only, content-addressed records, each introduced by a snapshot,
 * and full-text retrieval through SQLite FTS5 ranked by BM25 with a deterministic tie-break (record id).
 * Every search states the filters it applied, so a retrieval trace can say exactly what was asked.
 *
 * Snapshots: snapshot 0 is the empty memory; applying writes makes snapshot N+1 whose id chains the
 * parent's id with the payload's fingerprint, so two databases with the same snapshot id hold the
 * same records. A search reads at a snapshot (records introduced at or before it), which lets a turn
 * pin the memory it started with.
 */
import { roundDecimal } from "../core/shared/rounding.js";
import {
  type MemoryRecord,
  type MemoryWrite,
  type MemoryWriteParsed,
  MemoryWriteSchema,
  TRUST_LEVELS,
  type Trust,
} from "../spec/memory.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import type { Database } from "../store/db.js";
import { statementCache } from "../store/db.js";
import { fingerprint, sha256Hex } from "./fingerprint.js";

export const RETRIEVAL_POLICY_ID = "memory.fts5_bm25";
export const RETRIEVAL_POLICY_VERSION = "1";
export const QUERY_NORMALIZATION_VERSION = "memory.query.v1";
export const RETRIEVAL_MODE = "fts5_bm25";
/** The id of snapshot 0, the empty memory. */
export const EMPTY_SNAPSHOT_ID = `mem-${sha256Hex("orket.memory.empty").slice(0, 32)}`;

export interface Snapshot {
  seq: number;
  snapshot_id: string;
}

export interface SearchQuery {
  text: string;
  /** Only these namespaces (absent: all). */
  namespaces?: string[] | undefined;
  /** Records carrying every one of these tags (absent: any). */
  tags?: string[] | undefined;
  /** At least this trust (absent: any). */
  minTrust?: Trust | undefined;
  /** Only these scopes (absent: all). */
  scopes?: string[] | undefined;
  /** Expiry is judged at this time; expired records are left out unless `includeExpired`. */
  asOf: Date;
  includeExpired?: boolean | undefined;
  /** Read the memory as of this snapshot (default: the head). */
  snapshotSeq?: number | undefined;
  /** Most records returned (default 5, at most 50). */
  limit?: number | undefined;
}

export interface SearchHit {
  record: MemoryRecord;
  /** −bm25, rounded to 6 decimals: higher is better. Ties are broken by record id. */
  score: number;
  rank: number;
}

export interface SearchResult {
  tokens: string[];
  query_fingerprint: string;
  candidate_count: number;
  hits: SearchHit[];
  applied_filters: {
    namespace: string[] | null;
    tags: string[] | null;
    trust: Trust | null;
    scope: string[] | null;
    ttl: { exclude_expired: boolean; as_of: string };
  };
  snapshot: Snapshot;
}

export interface ApplyMeta {
  now: Date;
  commitId?: string | null | undefined;
  runId?: string | null | undefined;
  issueId?: string | null | undefined;
}

export interface ApplyResult {
  snapshot: Snapshot;
  /** Records new to the memory (a write whose record already exists is skipped). */
  inserted: string[];
  /** False when every write already existed: the head did not move. */
  advanced: boolean;
}

export class MemoryValidationError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { MEMORY_INVALID: "failed" };
  override readonly code = "MEMORY_INVALID";
}

/** Validates one write: the message names the field. */
export function parseMemoryWrite(write: unknown, label = "memory write"): MemoryWriteParsed {
  const parsed = MemoryWriteSchema.safeParse(write);
  if (parsed.success) return { ...parsed.data, tags: [...new Set(parsed.data.tags)].sort() };
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join(".") || "(value)";
  throw new MemoryValidationError(`${label}: ${field}: ${issue?.message ?? "invalid"}`);
}

/** A record's id: the fingerprint of what it says and where it lives (not when it was written). */
export function recordIdFor(write: MemoryWriteParsed): string {
  return `rec-${fingerprint({
    namespace: write.namespace,
    record_type: write.record_type,
    content: write.content,
    tags: write.tags,
    trust: write.trust,
    scope: write.scope,
    ttl_seconds: write.ttl_seconds,
  }).slice(0, 32)}`;
}

/** The fingerprint of an ordered list of writes (what a commit carries). */
export function payloadFingerprint(writes: readonly MemoryWriteParsed[]): string {
  return fingerprint(writes.map((w) => ({ ...w, record_id: recordIdFor(w) })));
}

/** Query text → the tokens searched: NFC, lowercase, letters and digits, unique, in first-seen order. */
export function normalizeQuery(text: string): string[] {
  const tokens =
    text
      .normalize("NFC")
      .toLowerCase()
      .match(/[\p{L}\p{N}_]+/gu) ?? [];
  return [...new Set(tokens)].slice(0, 32);
}

interface RecordRow {
  record_id: string;
  namespace: string;
  record_type: string;
  content: string;
  tags: string;
  trust: Trust;
  scope: string;
  created_at: string;
  expires_at: string | null;
  snapshot_seq: number;
}

const RECORD_COLUMNS =
  "r.record_id, r.namespace, r.record_type, r.content, r.tags, r.trust, r.scope, r.created_at, r.expires_at, r.snapshot_seq";

export class MemoryStore {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(private readonly db: Database) {
    this.sql = statementCache(db);
    this.sql(
      "INSERT OR IGNORE INTO memory_snapshots (seq, snapshot_id, parent_seq, commit_id, created_at) VALUES (0, ?, NULL, NULL, ?)",
    ).run(EMPTY_SNAPSHOT_ID, "1970-01-01T00:00:00.000Z");
  }

  head(): Snapshot {
    return this.sql(
      "SELECT seq, snapshot_id FROM memory_snapshots ORDER BY seq DESC LIMIT 1",
    ).get() as Snapshot;
  }

  snapshot(seq: number): Snapshot | undefined {
    return this.sql("SELECT seq, snapshot_id FROM memory_snapshots WHERE seq = ?").get(seq) as
      | Snapshot
      | undefined;
  }

  /** Every record visible at a snapshot, by record id: the snapshot's exact contents. */
  records(seq = this.head().seq): MemoryRecord[] {
    const rows = this.sql(
      `SELECT ${RECORD_COLUMNS} FROM memory_records r WHERE r.snapshot_seq <= ? ORDER BY r.record_id`,
    ).all(seq) as RecordRow[];
    return rows.map(toRecord);
  }

  /**
   * Adds writes as the next snapshot, in one transaction (nested inside a caller's transaction when
   * there is one). Writes must already be validated by `parseMemoryWrite`.
   */
  applyWrites(writes: readonly MemoryWriteParsed[], meta: ApplyMeta): ApplyResult {
    return this.db.transaction(() => {
      const head = this.head();
      const at = meta.now.toISOString();
      // Each record once; one that exists and has not expired is already remembered. An expired one is
      // written again: its old row goes (it was invisible from now on anyway) and the new snapshot
      // brings it back with a fresh expiry.
      const seen = new Set<string>();
      const fresh: Array<{ id: string; write: MemoryWriteParsed }> = [];
      for (const write of writes) {
        const id = recordIdFor(write);
        if (seen.has(id)) continue;
        seen.add(id);
        const existing = this.sql("SELECT expires_at FROM memory_records WHERE record_id = ?").get(id) as
          | { expires_at: string | null }
          | undefined;
        if (existing && (existing.expires_at === null || existing.expires_at > at)) continue;
        if (existing) this.sql("DELETE FROM memory_records WHERE record_id = ?").run(id);
        fresh.push({ id, write });
      }
      if (fresh.length === 0) return { snapshot: head, inserted: [], advanced: false };
      const seq = head.seq + 1;
      const payload = payloadFingerprint(fresh.map((f) => f.write));
      const snapshotId = `mem-${sha256Hex(`${head.snapshot_id}:${payload}`).slice(0, 32)}`;
      this.sql(
        "INSERT INTO memory_snapshots (seq, snapshot_id, parent_seq, commit_id, created_at) VALUES (?, ?, ?, ?, ?)",
      ).run(seq, snapshotId, head.seq, meta.commitId ?? null, at);
      const insert = this.sql(
        `INSERT INTO memory_records (record_id, namespace, record_type, content, tags, trust, scope, created_at, expires_at, snapshot_seq, run_id, issue_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const inserted: string[] = [];
      for (const { id, write: w } of fresh) {
        const expires =
          w.ttl_seconds === undefined
            ? null
            : new Date(meta.now.getTime() + w.ttl_seconds * 1000).toISOString();
        insert.run(
          id,
          w.namespace,
          w.record_type,
          w.content,
          JSON.stringify(w.tags),
          w.trust,
          w.scope,
          at,
          expires,
          seq,
          meta.runId ?? null,
          meta.issueId ?? null,
        );
        inserted.push(id);
      }
      return { snapshot: { seq, snapshot_id: snapshotId }, inserted, advanced: true };
    })();
  }

  /** Full-text search at a snapshot, with the filters applied in SQL and stated in the result. */
  search(query: SearchQuery): SearchResult {
    const snapshot = query.snapshotSeq === undefined ? this.head() : this.snapshot(query.snapshotSeq);
    if (!snapshot) throw new MemoryValidationError(`no memory snapshot ${query.snapshotSeq}`);
    const tokens = normalizeQuery(query.text);
    const limit = Math.min(Math.max(query.limit ?? 5, 1), 50);
    const namespaces = query.namespaces?.length ? [...new Set(query.namespaces)].sort() : null;
    const tags = query.tags?.length ? [...new Set(query.tags)].sort() : null;
    const scopes = query.scopes?.length ? [...new Set(query.scopes)].sort() : null;
    const asOf = query.asOf.toISOString();
    const applied_filters = {
      namespace: namespaces,
      tags,
      trust: query.minTrust ?? null,
      scope: scopes,
      ttl: { exclude_expired: !query.includeExpired, as_of: asOf },
    };
    const query_fingerprint = fingerprint({
      tokens,
      limit,
      namespace: namespaces,
      tags,
      trust: query.minTrust ?? null,
      scope: scopes,
      include_expired: Boolean(query.includeExpired),
    });
    const base = { tokens, query_fingerprint, applied_filters, snapshot };
    if (tokens.length === 0) return { ...base, candidate_count: 0, hits: [] };

    const where = ["memory_fts MATCH @match", "r.snapshot_seq <= @seq"];
    const params: Record<string, unknown> = {
      match: tokens.map((t) => `"${t.replace(/"/g, '""')}"`).join(" OR "),
      seq: snapshot.seq,
    };
    if (namespaces) {
      where.push(`r.namespace IN (SELECT value FROM json_each(@namespaces))`);
      params.namespaces = JSON.stringify(namespaces);
    }
    if (scopes) {
      where.push(`r.scope IN (SELECT value FROM json_each(@scopes))`);
      params.scopes = JSON.stringify(scopes);
    }
    if (tags) {
      where.push(
        `(SELECT count(*) FROM json_each(r.tags) t WHERE t.value IN (SELECT value FROM json_each(@tags))) = @tagCount`,
      );
      params.tags = JSON.stringify(tags);
      params.tagCount = tags.length;
    }
    if (query.minTrust) {
      const allowed = TRUST_LEVELS.slice(TRUST_LEVELS.indexOf(query.minTrust));
      where.push(`r.trust IN (SELECT value FROM json_each(@trust))`);
      params.trust = JSON.stringify(allowed);
    }
    if (!query.includeExpired) {
      where.push("(r.expires_at IS NULL OR r.expires_at > @asOf)");
      params.asOf = asOf;
    }
    const from = `FROM memory_fts JOIN memory_records r ON r.rowid = memory_fts.rowid WHERE ${where.join(" AND ")}`;
    const candidate_count = (this.sql(`SELECT count(*) AS n ${from}`).get(params) as { n: number }).n;
    const rows = this.sql(
      `SELECT ${RECORD_COLUMNS}, -bm25(memory_fts) AS score ${from} ORDER BY bm25(memory_fts) ASC, r.record_id ASC LIMIT ${limit}`,
    ).all(params) as Array<RecordRow & { score: number }>;
    const hits = rows.map((row, i) => ({
      record: toRecord(row),
      score: roundDecimal(row.score, 6),
      rank: i + 1,
    }));
    return { ...base, candidate_count, hits };
  }
}

function toRecord(row: RecordRow): MemoryRecord {
  return {
    record_id: row.record_id,
    namespace: row.namespace,
    record_type: row.record_type,
    content: row.content,
    tags: JSON.parse(row.tags) as string[],
    trust: row.trust,
    scope: row.scope,
    created_at: row.created_at,
    expires_at: row.expires_at,
    snapshot_seq: row.snapshot_seq,
  };
}

export type { MemoryWrite };
