/**
 * Where a project's own state lives: `<project>/.orket/orket.db` holds its cards, runs and memory, so
 * two projects never share a board even when they share one `ORKET_HOME` (which holds only what is
 * machine-wide: the smoke model, the call log, the hardware history). docs/runtime.md, Where state lives.
 */
import { join, resolve } from "node:path";

export const PROJECT_STATE_DIR = ".orket";

/** The project's database file; `stateDir` overrides the folder (default `<projectDir>/.orket`). */
export function projectDatabasePath(projectDir: string, stateDir?: string): string {
  return join(resolve(stateDir ?? join(projectDir, PROJECT_STATE_DIR)), "orket.db");
}

/** The project's state folder (default `<projectDir>/.orket`): the database, and the server's job folders. */
export function projectStateDir(projectDir: string, stateDir?: string): string {
  return resolve(stateDir ?? join(projectDir, PROJECT_STATE_DIR));
}
