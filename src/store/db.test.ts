import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ISSUE_STATUSES, PRIORITIES, WAIT_REASONS } from "../spec/cards.js";
import { appliedMigrations, type Database, openDatabase } from "./db.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { RUN_STATUSES } from "./rows.js";
import { DatabaseCorruptError, DatabaseTooNewError, NotADatabaseError } from "./store-errors.js";

const VERSIONS = MIGRATIONS.map((m) => m.version);
const CURRENT = MIGRATIONS.length;

let dir: string;
const open: Database[] = [];

function openAt(path: string, migrations?: readonly Migration[]): Database {
  const db = openDatabase(path, migrations === undefined ? {} : { migrations });
  open.push(db);
  return db;
}

function tableNames(db: Database): string[] {
  return db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orket-db-"));
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("openDatabase", () => {
  it("creates the file and its parent directories with WAL and the connection settings", () => {
    const path = join(dir, "nested", ".orket", "orket.db");
    const db = openAt(path);
    expect(existsSync(path)).toBe(true);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
  });

  it("creates every table of the schema", () => {
    const db = openAt(join(dir, "orket.db"));
    expect(tableNames(db)).toEqual([
      "bench_history",
      "builds",
      "card_transactions",
      "comments",
      "issues",
      "jobs",
      "memory_commit_writes",
      "memory_commits",
      "memory_fts",
      "memory_fts_config",
      "memory_fts_data",
      "memory_fts_docsize",
      "memory_fts_idx",
      "memory_records",
      "memory_snapshots",
      "run_ledger",
      "runs",
      "schema_migrations",
      "snapshots",
    ]);
  });

  it("applies migrations once and re-opens cleanly", () => {
    const path = join(dir, "orket.db");
    const first = openAt(path);
    const recorded = first.prepare("SELECT * FROM schema_migrations").all();
    expect(appliedMigrations(first)).toEqual(MIGRATIONS.map((m) => m.version));
    first.close();

    const second = openAt(path);
    expect(second.prepare("SELECT * FROM schema_migrations").all()).toEqual(recorded);
    expect(second.pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("applies only the missing migrations of a newer schema, each recorded with its name", () => {
    const path = join(dir, "orket.db");
    openAt(path).close();
    const next: Migration = {
      version: CURRENT + 1,
      name: "extra",
      sql: "CREATE TABLE extra (key TEXT PRIMARY KEY) STRICT",
    };
    const db = openAt(path, [...MIGRATIONS, next]);
    expect(appliedMigrations(db)).toEqual([...VERSIONS, CURRENT + 1]);
    expect(tableNames(db)).toContain("extra");
    expect(
      db
        .prepare("SELECT name FROM schema_migrations WHERE version = ?")
        .pluck()
        .get(CURRENT + 1),
    ).toBe("extra");
  });

  it("rolls a failing migration back entirely", () => {
    const path = join(dir, "orket.db");
    const broken: Migration = {
      version: CURRENT + 1,
      name: "broken",
      sql: "CREATE TABLE half (a TEXT); INSERT INTO no_such_table VALUES (1);",
    };
    expect(() => openAt(path, [...MIGRATIONS, broken])).toThrow(/no_such_table/);
    const db = openAt(path);
    expect(appliedMigrations(db)).toEqual(VERSIONS);
    expect(tableNames(db)).not.toContain("half");
  });

  it("refuses a database from a newer Orket, naming the file", () => {
    const path = join(dir, "orket.db");
    const future: Migration = {
      version: CURRENT + 1,
      name: "future",
      sql: "CREATE TABLE future (a TEXT) STRICT",
    };
    openAt(path, [...MIGRATIONS, future]).close();
    let error: unknown;
    try {
      openAt(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DatabaseTooNewError);
    expect(error).toMatchObject({
      code: "SCHEMA_TOO_NEW",
      path,
      foundVersion: CURRENT + 1,
      knownVersion: CURRENT,
    });
    expect((error as Error).message).toContain(path);
  });

  it("refuses a file that is not a SQLite database, naming it", () => {
    const path = join(dir, "orket.db");
    writeFileSync(
      path,
      "this is not a database, just some text that is long enough to have a header".repeat(20),
    );
    expect(() => openAt(path)).toThrow(NotADatabaseError);
    expect(() => openAt(path)).toThrow(path);
  });

  it("names a damaged database file (SQLITE_CORRUPT) and says what to do", () => {
    const path = join(dir, "orket.db");
    const db = openAt(path);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    // Overwrite the schema table's page after the file header: SQLite can read the header, not the schema.
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(3000, 0xab), 0, 3000, 100);
    closeSync(fd);
    expect(() => openAt(path)).toThrow(DatabaseCorruptError);
    expect(() => openAt(path)).toThrow(
      `${path} is damaged (SQLite: database disk image is malformed); restore it from a backup, or move it away and Orket starts a new one`,
    );
  });

  it("opens an in-memory database for tests", () => {
    const db = openAt(":memory:");
    expect(db.memory).toBe(true);
    expect(appliedMigrations(db)).toEqual(VERSIONS);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
  });

  it("keeps the CHECK lists of migration 1 equal to the enums (a new value needs a new migration)", () => {
    const db = openAt(":memory:");
    const sql = (table: string) =>
      db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(table) as string;
    const checkList = (table: string, column: string): string[] => {
      const match = new RegExp(`${column}\\s+TEXT[^,]*?CHECK \\(${column} IN \\(([^)]*)\\)\\)`).exec(
        sql(table),
      );
      if (match?.[1] === undefined) throw new Error(`no CHECK list for ${table}.${column}`);
      return match[1].split(",").map((value) => value.trim().replace(/^'|'$/g, ""));
    };
    expect(checkList("issues", "status")).toEqual([...ISSUE_STATUSES]);
    expect(checkList("card_transactions", "from_status")).toEqual([...ISSUE_STATUSES]);
    expect(checkList("card_transactions", "to_status")).toEqual([...ISSUE_STATUSES]);
    expect(checkList("issues", "wait_reason")).toEqual([...WAIT_REASONS]);
    expect(checkList("issues", "priority")).toEqual([...PRIORITIES]);
    expect(checkList("runs", "status")).toEqual([...RUN_STATUSES]);
  });

  it("refuses a migration list with gaps", () => {
    const gap: Migration = { version: CURRENT + 2, name: "gap", sql: "SELECT 1" };
    expect(() => openAt(":memory:", [...MIGRATIONS, gap])).toThrow(new RegExp(`expected ${CURRENT + 1}`));
  });
});
