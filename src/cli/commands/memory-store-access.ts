/** Opens the project memory in `<project>/.orket/orket.db` for a CLI command and closes it afterwards. */
import type { MemoryStore, parseMemoryWrite } from "../../index.js";
import { CliUsageError } from "../errors.js";

export async function withMemory(
  project: string,
  body: (store: MemoryStore, parse: (write: unknown) => ReturnType<typeof parseMemoryWrite>) => void,
): Promise<void> {
  const { MemoryStore, openDatabase, parseMemoryWrite, projectDatabasePath } = await import("../../index.js");
  const db = openDatabase(projectDatabasePath(project));
  try {
    body(new MemoryStore(db), (write) => {
      try {
        return parseMemoryWrite(write, "orket memory add");
      } catch (error) {
        throw new CliUsageError((error as Error).message);
      }
    });
  } finally {
    db.close();
  }
}
