/**
 * Errors of the SQLite store. Each kind has a stable string code and the data a caller needs (file,
 * build, issue, run); the CLI maps the code to one line. A raw `SqliteError` escaping the store is a
 * defect, except for I/O failures of the database file itself.
 */
import type { TransitionErrorCode } from "../core/runtime/state-machine.js";
import type { IssueStatus } from "../spec/cards.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";

export type TransitionRefusalCode = TransitionErrorCode | "UNKNOWN_ISSUE" | "TRANSITION_CONFLICT";

/** Every code of the store, with its exit class: the input was fine and the store refused or failed. */
const STORE_CODES = {
  ILLEGAL_TRANSITION: "failed",
  GUARD_ONLY_STATUS: "failed",
  WAIT_REASON_REQUIRED: "failed",
  WAIT_REASON_UNEXPECTED: "failed",
  UNKNOWN_ISSUE: "failed",
  TRANSITION_CONFLICT: "failed",
  SCHEMA_TOO_NEW: "failed",
  NOT_A_DATABASE: "failed",
  DATABASE_CORRUPT: "failed",
  INVALID_ROW: "failed",
  INVALID_ISSUE_SPEC: "failed",
  ISSUE_EXISTS: "failed",
  UNKNOWN_BUILD: "failed",
  BUILD_EPIC_MISMATCH: "failed",
  UNKNOWN_RUN: "failed",
  RUN_EXISTS: "failed",
  RUN_NOT_RUNNING: "failed",
  BUILD_BUSY: "failed",
  NOT_JSON: "failed",
} as const satisfies Record<string, ExitClass>;

export type StoreErrorCode = keyof typeof STORE_CODES;

export class StoreError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = STORE_CODES;
  override readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** The file was written by a newer Orket: its schema has migrations this build does not know. */
export class DatabaseTooNewError extends StoreError {
  constructor(
    readonly path: string,
    readonly foundVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      "SCHEMA_TOO_NEW",
      `${path} has schema version ${foundVersion}, but this Orket knows only up to ${knownVersion}; ` +
        "upgrade Orket or point ORKET_HOME at another directory",
    );
  }
}

/** The file exists but is not a SQLite database (or is encrypted or damaged beyond its header). */
export class NotADatabaseError extends StoreError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super("NOT_A_DATABASE", `${path} is not a SQLite database`, { cause });
  }
}

/** SQLite found the file damaged (SQLITE_CORRUPT): named, with what the user can do. */
export class DatabaseCorruptError extends StoreError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      "DATABASE_CORRUPT",
      `${path} is damaged (SQLite: ${cause instanceof Error ? cause.message : String(cause)}); restore it from a backup, or move it away and Orket starts a new one`,
      { cause },
    );
  }
}

/** A row read back does not match its schema: the file was edited by hand or by a broken writer. */
export class InvalidRowError extends StoreError {
  constructor(
    readonly table: string,
    readonly detail: string,
  ) {
    super("INVALID_ROW", `a row of ${table} is invalid: ${detail}`);
  }
}

/** A status change the state machine (or the store) refused; nothing was written. */
export class TransitionRefusedError extends StoreError {
  declare readonly code: TransitionRefusalCode;

  constructor(
    code: TransitionRefusalCode,
    message: string,
    readonly buildId: string,
    readonly issueId: string,
    /** The status the store found, or null when the issue does not exist. */
    readonly from: IssueStatus | null,
    readonly to: IssueStatus,
  ) {
    super(code, message);
  }
}

export class InvalidIssueSpecError extends StoreError {
  constructor(
    readonly issueId: string,
    detail: string,
  ) {
    super("INVALID_ISSUE_SPEC", `issue ${JSON.stringify(issueId)} is invalid: ${detail}`);
  }
}

export class UnknownIssueError extends StoreError {
  constructor(
    readonly buildId: string,
    readonly issueId: string,
  ) {
    super("UNKNOWN_ISSUE", `build ${buildId} has no issue ${issueId}`);
  }
}

export class IssueExistsError extends StoreError {
  constructor(
    readonly buildId: string,
    readonly issueId: string,
  ) {
    super("ISSUE_EXISTS", `build ${buildId} already has an issue ${issueId}`);
  }
}

export class UnknownBuildError extends StoreError {
  constructor(readonly buildId: string) {
    super("UNKNOWN_BUILD", `no build ${buildId}; sync its epic first`);
  }
}

/** A build belongs to one epic; syncing or creating an issue of another epic into it is refused. */
export class BuildEpicMismatchError extends StoreError {
  constructor(
    readonly buildId: string,
    readonly buildEpicId: string,
    readonly epicId: string,
  ) {
    super("BUILD_EPIC_MISMATCH", `build ${buildId} belongs to epic ${buildEpicId}, not ${epicId}`);
  }
}

export class UnknownRunError extends StoreError {
  constructor(readonly runId: string) {
    super("UNKNOWN_RUN", `no run ${runId}`);
  }
}

export class RunExistsError extends StoreError {
  constructor(readonly runId: string) {
    super("RUN_EXISTS", `a run ${runId} already exists`);
  }
}

/** The run already ended (possibly marked crashed by recovery while its process was still alive). */
export class RunNotRunningError extends StoreError {
  constructor(
    readonly runId: string,
    readonly status: string,
  ) {
    super("RUN_NOT_RUNNING", `run ${runId} is ${status}, not running`);
  }
}

/** A value handed to the store for a JSON column has no JSON form (undefined, a function, a cycle). */
export class NotJsonError extends StoreError {
  constructor(what: string, cause?: unknown) {
    super("NOT_JSON", `${what} cannot be stored as JSON`, { cause });
  }
}

/** Another live process is running this build: two runs of one build would race for its cards. */
export class BuildBusyError extends StoreError {
  constructor(
    readonly buildId: string,
    readonly runId: string,
    readonly pid: number | null,
  ) {
    super(
      "BUILD_BUSY",
      `build ${buildId} is being run by pid ${pid ?? "unknown"} (run ${runId}); wait for it or stop it`,
    );
  }
}
