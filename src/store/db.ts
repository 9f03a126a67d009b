/**
 * Opening `orket.db`: a real SQLite file in WAL mode, brought up to the current schema by numbered
 * migrations recorded in `schema_migrations`. Opening twice, or from two processes at once, applies
 * each migration exactly once; a file from a newer Orket is refused by name instead of half-understood.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { z } from "zod";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { parseRows } from "./rows.js";
import { DatabaseCorruptError, DatabaseTooNewError, NotADatabaseError } from "./store-errors.js";

export type Database = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** How long a writer waits for another connection's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

export interface OpenDatabaseOptions {
  /** Clock for `schema_migrations.applied_at`. */
  now?: () => Date;
  /** The migrations to apply; tests pass extra ones. Defaults to this Orket's schema. */
  migrations?: readonly Migration[];
}

/**
 * Opens (creating it and its parent directories when missing) the database at `path`, or an in-memory
 * one for ":memory:", and applies any missing migrations. The caller owns the handle and closes it.
 *
 * Settings: WAL (readers never block the writer, and a killed process leaves a consistent file),
 * `synchronous = NORMAL` (safe with WAL: a power cut may lose the last commits, never corrupt),
 * foreign keys on, and a 5 s busy timeout so concurrent Orket processes queue instead of failing.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const inMemory = path === ":memory:";
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!inMemory) db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db, path, options.migrations ?? MIGRATIONS, options.now ?? (() => new Date()));
    return db;
  } catch (error) {
    db.close();
    if (isSqliteCode(error, "SQLITE_NOTADB")) throw new NotADatabaseError(path, error);
    if (isSqliteCode(error, "SQLITE_CORRUPT")) throw new DatabaseCorruptError(path, error);
    throw error;
  }
}

/**
 * A `prepare` that compiles each distinct SQL text once, on first use, so a store that is constructed
 * but barely used costs nothing and a hot one does not re-parse its SQL.
 */
export function statementCache(db: Database): (source: string) => Statement {
  const statements = new Map<string, Statement>();
  return (source) => {
    let statement = statements.get(source);
    if (statement === undefined) {
      statement = db.prepare(source);
      statements.set(source, statement);
    }
    return statement;
  };
}

const AppliedSchema = z.object({ version: z.number().int().positive() });

/** The versions recorded in `schema_migrations`, ascending. */
export function appliedMigrations(db: Database): number[] {
  const rows = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
  return parseRows(AppliedSchema, "schema_migrations", rows).map((row) => row.version);
}

function migrate(db: Database, path: string, migrations: readonly Migration[], now: () => Date): void {
  checkMigrationList(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const known = migrations.at(-1)?.version ?? 0;
  const isApplied = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").pluck();
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");

  const newest = Math.max(0, ...appliedMigrations(db));
  if (newest > known) throw new DatabaseTooNewError(path, newest, known);

  for (const migration of migrations) {
    if (migration.version <= newest) continue;
    // IMMEDIATE takes the write lock before the check, so a second process opening the same file at
    // the same moment waits here and then finds the migration already recorded.
    db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now().toISOString());
    }).immediate();
  }
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration ${migration.name} has version ${migration.version}, expected ${index + 1}`);
    }
  });
}

function isSqliteCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}
