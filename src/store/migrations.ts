/**
 * The schema, as numbered migrations. A migration, once released, is never edited: a change is a new
 * entry at the end. `openDatabase` applies the missing ones in order, each in its own transaction.
 *
 * Tables are STRICT so a wrong type is refused at write time, not discovered at read time. Timestamps
 * are UTC ISO-8601 text; JSON columns hold text that `rows.ts` parses and validates on the way out.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// The value lists are written out, not built from the TypeScript enums: a released migration must
// read the same forever. A test checks they still match the enums, so adding a status needs a migration.
const ISSUE_STATUS_LIST =
  "'ready', 'in_progress', 'code_review', 'awaiting_guard_review', 'done', 'blocked', 'waiting_for_developer', 'guard_approved', 'guard_rejected', 'guard_requested_changes', 'canceled', 'archived'";
const WAIT_REASON_LIST = "'resource', 'dependency', 'review', 'input', 'system'";
const PRIORITY_LIST = "'critical', 'high', 'medium', 'low'";
const ACTOR_KIND_LIST = "'seat', 'system', 'user'";
const RUN_STATUS_LIST = "'running', 'done', 'incomplete', 'terminal_failure', 'crashed'";

const V1 = `
CREATE TABLE builds (
  build_id   TEXT PRIMARY KEY,
  epic_id    TEXT NOT NULL,
  title      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE issues (
  build_id        TEXT NOT NULL REFERENCES builds (build_id) ON DELETE CASCADE,
  id              TEXT NOT NULL,
  epic_id         TEXT NOT NULL,
  seat            TEXT NOT NULL,
  summary         TEXT NOT NULL,
  requirements    TEXT NOT NULL,
  priority        TEXT NOT NULL CHECK (priority IN (${PRIORITY_LIST})),
  depends_on      TEXT NOT NULL,
  max_retries     INTEGER NOT NULL CHECK (max_retries >= 0),
  required_files  TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN (${ISSUE_STATUS_LIST})),
  wait_reason     TEXT CHECK (wait_reason IN (${WAIT_REASON_LIST})),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  turns           INTEGER NOT NULL DEFAULT 0 CHECK (turns >= 0),
  created_by_kind TEXT NOT NULL CHECK (created_by_kind IN (${ACTOR_KIND_LIST})),
  created_by_name TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (build_id, id)
) STRICT;

CREATE TABLE comments (
  comment_id  INTEGER PRIMARY KEY AUTOINCREMENT,
  build_id    TEXT NOT NULL,
  issue_id    TEXT NOT NULL,
  author_kind TEXT NOT NULL CHECK (author_kind IN (${ACTOR_KIND_LIST})),
  author_name TEXT NOT NULL,
  body        TEXT NOT NULL,
  at          TEXT NOT NULL,
  FOREIGN KEY (build_id, issue_id) REFERENCES issues (build_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX comments_by_issue ON comments (build_id, issue_id, comment_id);

CREATE TABLE card_transactions (
  tx_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  build_id    TEXT NOT NULL,
  issue_id    TEXT NOT NULL,
  actor_kind  TEXT NOT NULL CHECK (actor_kind IN (${ACTOR_KIND_LIST})),
  actor_name  TEXT NOT NULL,
  from_status TEXT NOT NULL CHECK (from_status IN (${ISSUE_STATUS_LIST})),
  to_status   TEXT NOT NULL CHECK (to_status IN (${ISSUE_STATUS_LIST})),
  reason      TEXT NOT NULL,
  wait_reason TEXT CHECK (wait_reason IN (${WAIT_REASON_LIST})),
  at          TEXT NOT NULL,
  run_id      TEXT,
  FOREIGN KEY (build_id, issue_id) REFERENCES issues (build_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX card_transactions_by_issue ON card_transactions (build_id, issue_id, tx_id);

CREATE TABLE runs (
  run_id       TEXT PRIMARY KEY,
  build_id     TEXT NOT NULL,
  epic_id      TEXT NOT NULL,
  model_ref    TEXT NOT NULL,
  workspace    TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN (${RUN_STATUS_LIST})),
  started_at   TEXT NOT NULL,
  ended_at     TEXT,
  summary      TEXT,
  pid          INTEGER CHECK (pid > 0),
  heartbeat_at TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_build ON runs (build_id, started_at);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE run_ledger (
  run_id                 TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  seq                    INTEGER NOT NULL CHECK (seq >= 1),
  issue_id               TEXT,
  seat                   TEXT,
  role                   TEXT,
  turn                   INTEGER CHECK (turn >= 0),
  outcome                TEXT NOT NULL,
  error_code             TEXT,
  internal_model_seconds REAL CHECK (internal_model_seconds >= 0),
  total_seconds          REAL CHECK (total_seconds >= 0),
  at                     TEXT NOT NULL,
  detail                 TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) STRICT;

CREATE TABLE snapshots (
  snapshot_id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  label       TEXT NOT NULL,
  at          TEXT NOT NULL,
  json        TEXT NOT NULL
) STRICT;
CREATE INDEX snapshots_by_run ON snapshots (run_id, snapshot_id);
`;

const TRUST_LIST = "'low', 'medium', 'high'";
const COMMIT_STATE_LIST = "'buffer_open', 'commit_pending', 'commit_applied', 'commit_aborted'";
const COMMIT_REASON_LIST =
  "'policy_rejected', 'validation_failed', 'storage_apply_failed', 'payload_mismatch'";

// Project memory. Records are append-only and content-addressed (record_id is a fingerprint), each
// introduced by one snapshot; snapshot 0 is the empty memory. A snapshot's id chains its parent's id
// with the payload that made it, so equal ids mean equal contents. memory_fts is an external-content
// FTS5 index over the records, kept in step by triggers.
const V2 = `
CREATE TABLE memory_snapshots (
  seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
  snapshot_id TEXT NOT NULL UNIQUE,
  parent_seq  INTEGER REFERENCES memory_snapshots (seq),
  commit_id   TEXT,
  created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE memory_records (
  rowid        INTEGER PRIMARY KEY,
  record_id    TEXT NOT NULL UNIQUE,
  namespace    TEXT NOT NULL,
  record_type  TEXT NOT NULL,
  content      TEXT NOT NULL,
  tags         TEXT NOT NULL,
  trust        TEXT NOT NULL CHECK (trust IN (${TRUST_LIST})),
  scope        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,
  snapshot_seq INTEGER NOT NULL REFERENCES memory_snapshots (seq),
  run_id       TEXT,
  issue_id     TEXT
) STRICT;
CREATE INDEX memory_records_by_snapshot ON memory_records (snapshot_seq);

CREATE VIRTUAL TABLE memory_fts USING fts5(
  content, tags,
  content = 'memory_records', content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER memory_records_ai AFTER INSERT ON memory_records BEGIN
  INSERT INTO memory_fts (rowid, content, tags) VALUES (new.rowid, new.content, new.tags);
END;
CREATE TRIGGER memory_records_ad AFTER DELETE ON memory_records BEGIN
  INSERT INTO memory_fts (memory_fts, rowid, content, tags) VALUES ('delete', old.rowid, old.content, old.tags);
END;

CREATE TABLE memory_commits (
  commit_id           TEXT PRIMARY KEY,
  state               TEXT NOT NULL CHECK (state IN (${COMMIT_STATE_LIST})),
  reason_code         TEXT CHECK (reason_code IN (${COMMIT_REASON_LIST})),
  reason              TEXT,
  base_seq            INTEGER NOT NULL,
  applied_seq         INTEGER,
  payload_fingerprint TEXT,
  owner               TEXT NOT NULL,
  lease_expires_at    TEXT NOT NULL,
  run_id              TEXT,
  issue_id            TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
) STRICT;
CREATE INDEX memory_commits_live ON memory_commits (state) WHERE state IN ('buffer_open', 'commit_pending');

CREATE TABLE memory_commit_writes (
  commit_id TEXT NOT NULL REFERENCES memory_commits (commit_id) ON DELETE CASCADE,
  seq       INTEGER NOT NULL CHECK (seq >= 1),
  write     TEXT NOT NULL,
  PRIMARY KEY (commit_id, seq)
) STRICT;
`;

const V3 = `
CREATE TABLE bench_history (
  history_id            INTEGER PRIMARY KEY AUTOINCREMENT,
  kind                  TEXT NOT NULL CHECK (kind IN ('bench', 'sweep_row')),
  report_path           TEXT NOT NULL,
  report_sha256         TEXT NOT NULL UNIQUE,
  sweep_path            TEXT,
  recorded_at           TEXT NOT NULL,
  generated_at          TEXT NOT NULL,
  model_ref             TEXT NOT NULL,
  quantization          TEXT,
  model_sha256          TEXT,
  bank_name             TEXT NOT NULL,
  bank_version          TEXT NOT NULL,
  bank_sha256           TEXT,
  mode                  TEXT NOT NULL,
  role                  TEXT,
  host                  TEXT NOT NULL,
  test_runs             INTEGER NOT NULL CHECK (test_runs >= 0),
  valid_runs            INTEGER NOT NULL CHECK (valid_runs >= 0),
  passes                INTEGER NOT NULL CHECK (passes >= 0),
  pass_rate             REAL,
  median_init_latency   REAL,
  median_total_latency  REAL,
  median_generation_tps REAL,
  peak_memory_rss       REAL,
  reproducibility       TEXT NOT NULL
) STRICT;
CREATE INDEX bench_history_by_model ON bench_history (model_ref, generated_at);
`;

const V4 = `
CREATE TABLE jobs (
  job_id      TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('bench', 'sweep', 'run')),
  backend     TEXT NOT NULL,
  request     TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  finished_at TEXT,
  attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  result      TEXT,
  error_code  TEXT,
  error       TEXT
) STRICT;
CREATE INDEX jobs_by_state ON jobs (state, created_at);
`;

// The API lists runs newest first, a page at a time.
const V5 = `
CREATE INDEX runs_by_started ON runs (started_at DESC, run_id DESC);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "cards-and-runs", sql: V1 },
  { version: 2, name: "project-memory", sql: V2 },
  { version: 3, name: "bench-history", sql: V3 },
  { version: 4, name: "server-jobs", sql: V4 },
  { version: 5, name: "runs-by-start", sql: V5 },
];
