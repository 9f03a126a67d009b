/** Opens the project memory in `<home>/orket.db` for a CLI command and closes it afterwards. */
import { join } from "node:path";
import { MemoryStore, parseMemoryWrite } from "../../memory/memory-store.js";
import { openDatabase } from "../../store/db.js";
import { CliUsageError } from "../errors.js";

export async function withMemory(
  home: string,
  body: (store: MemoryStore, parse: (write: unknown) => ReturnType<typeof parseMemoryWrite>) => void,
): Promise<void> {
  const db = openDatabase(join(home, "orket.db"));
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
