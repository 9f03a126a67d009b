/**
 * The store across real processes: a writer killed with SIGKILL inside a transition, and several
 * processes racing on one database file. The other process is `fixtures/store-child.mjs`, run through
 * tsx so it uses this very store code.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChildRun } from "../../test/support/child-run.js";
import { EpicSchema } from "../spec/cards.js";
import { CardStore } from "./card-store.js";
import { type Database, openDatabase } from "./db.js";
import { RunStore } from "./run-store.js";

const CHILD = fileURLToPath(new URL("./fixtures/store-child.mjs", import.meta.url));
const T0 = new Date("2025-01-02T03:04:05.000Z");

const epic = EpicSchema.parse({
  id: "calc",
  title: "Calculator",
  issues: [{ id: "i1", seat: "coder", summary: "Do it" }],
});

let dir: string;
let dbPath: string;
const children: ChildRun[] = [];

function spawnChild(...args: string[]): ChildRun {
  const child = new ChildRun(CHILD, [args[0] ?? "", dbPath, ...args.slice(1)]);
  children.push(child);
  return child;
}

/** Opens the file the way the next Orket would after the crash, and reads the issue and its log. */
function inspect(): { status: string; transactions: number; integrity: unknown } {
  const db: Database = openDatabase(dbPath);
  try {
    const store = new CardStore(db);
    return {
      status: store.getIssue("b1", "i1")?.status ?? "missing",
      transactions: store.listTransactions("b1", "i1").length,
      integrity: db.pragma("integrity_check", { simple: true }),
    };
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orket-procs-"));
  dbPath = join(dir, "orket.db");
  const db = openDatabase(dbPath);
  new CardStore(db).syncEpic("b1", epic, T0);
  db.close();
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    await child.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("a writer killed with SIGKILL", () => {
  it.each([
    ["after the status UPDATE, before the log row", "pause-after-update"],
    ["after the log row, before COMMIT", "pause-after-insert"],
  ])("%s leaves the old state and no log row", async (_, mode) => {
    const child = spawnChild(mode);
    await child.waitFor((line) => line === "inside");
    await child.kill();
    expect(inspect()).toEqual({ status: "ready", transactions: 0, integrity: "ok" });
  });

  it("after COMMIT keeps the new state and its one log row", async () => {
    const child = spawnChild("pause-after-commit");
    await child.waitFor((line) => line === "committed");
    await child.kill();
    expect(inspect()).toEqual({ status: "in_progress", transactions: 1, integrity: "ok" });
  });

  it("at an arbitrary moment of a stream of transitions never leaves half of one", async () => {
    for (const delayMs of [0, 15, 40, 90]) {
      const child = spawnChild("flip-loop");
      await child.waitFor((line) => line === "looping");
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await child.kill();
      // The loop alternates ready → in_progress → ready ...: an odd log means in_progress.
      const { status, transactions, integrity } = inspect();
      expect(integrity).toBe("ok");
      expect(transactions).toBeGreaterThan(0);
      expect(status).toBe(transactions % 2 === 1 ? "in_progress" : "ready");
      // Put the card back for the next round, through the store like any other writer.
      if (status === "in_progress") {
        const db = openDatabase(dbPath);
        new CardStore(db).transition({
          buildId: "b1",
          issueId: "i1",
          to: "ready",
          actor: { kind: "system", name: "test" },
          reason: "reset",
          now: T0,
        });
        db.close();
      }
    }
  }, 60_000);
});

describe("processes racing on one file", () => {
  it("lets exactly one of several processes apply the same transition", async () => {
    const racers = Array.from({ length: 4 }, () => spawnChild("race"));
    await Promise.all(racers.map((child) => child.waitFor((line) => line === "ready")));
    for (const child of racers) child.process.stdin.write("go\n");
    const outcomes = await Promise.all(
      racers.map(async (child) => JSON.parse(await child.waitFor((line) => line.startsWith("{"))) as unknown),
    );
    expect(outcomes.filter((o) => (o as { ok: boolean }).ok)).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => !(o as { ok: boolean }).ok)) {
      expect(["ILLEGAL_TRANSITION", "TRANSITION_CONFLICT"]).toContain((outcome as { code: string }).code);
    }
    expect(inspect()).toEqual({ status: "in_progress", transactions: 1, integrity: "ok" });
  });

  it("keeps ledger sequence numbers contiguous under concurrent appenders", async () => {
    const db = openDatabase(dbPath);
    new RunStore(db).startRun({
      runId: "r1",
      buildId: "b1",
      epicId: "calc",
      modelRef: "fake",
      workspace: "w",
      pid: process.pid,
      now: T0,
    });
    db.close();
    const writers = Array.from({ length: 4 }, () => spawnChild("ledger", "r1", "25"));
    await Promise.all(writers.map((child) => child.waitFor((line) => line === "ready")));
    for (const child of writers) child.process.stdin.write("go\n");
    await Promise.all(writers.map((child) => child.waitFor((line) => line === "done")));

    const check = openDatabase(dbPath);
    try {
      const ledger = new RunStore(check).listLedger("r1");
      expect(ledger.map((entry) => entry.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      const byWriter = new Set(ledger.map((entry) => JSON.stringify(entry.detail)));
      expect(byWriter.size).toBe(4);
    } finally {
      check.close();
    }
  });
});
