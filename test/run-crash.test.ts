/**
 * Crash and resume with real processes: `orket run` in a child is killed with SIGKILL in the middle of a
 * turn; `orket run --resume` requeues the card it left in progress and finishes the epic. No transition
 * is lost or repeated.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CardStore } from "../src/store/card-store.js";
import { openDatabase } from "../src/store/db.js";
import { RunStore } from "../src/store/run-store.js";
import { coderDone, guardDone, reviewerPass } from "./support/hello-python-answers.js";
import { runCli } from "./support/run-cli.js";
import { writeScript } from "./support/script-cassette.js";

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("crash and resume", () => {
  it("kill -9 mid-turn, then --resume requeues the in-progress card and finishes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-crash-"));
    const home = join(dir, ".orket");
    const slow = writeScript(join(dir, "slow.jsonl"), [{ text: coderDone, delayMs: 30_000 }]);
    const child = spawn(
      process.execPath,
      [
        join(process.cwd(), "dist/cli/main.js"),
        "run",
        "--epic",
        "hello-python",
        "--project",
        dir,
        "-m",
        `replay/${slow}`,
      ],
      { env: { ...process.env, ORKET_HOME: home, CI: "true" }, stdio: "ignore" },
    );
    const runsDir = join(dir, "workspace", "hello-python", "runs");
    const eventsFile = () => {
      const run = existsSync(runsDir) ? readdirSync(runsDir)[0] : undefined;
      return run ? join(runsDir, run, "events.jsonl") : undefined;
    };
    await waitFor(() => {
      const file = eventsFile();
      return (
        file !== undefined && existsSync(file) && readFileSync(file, "utf8").includes('"type":"turn_started"')
      );
    }, 20_000);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));

    const before = (() => {
      const db = openDatabase(join(home, "orket.db"));
      const cards = new CardStore(db);
      const issue = cards.getIssue("hello-python@hello-python", "greet");
      db.close();
      return issue?.status;
    })();
    expect(before).toBe("in_progress");

    const rest = writeScript(join(dir, "rest.jsonl"), [coderDone, reviewerPass, guardDone]);
    const refused = await runCli(
      ["run", "--epic", "hello-python", "--project", dir, "-m", `replay/${rest}`],
      { env: { ORKET_HOME: home } },
    );
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/RUN_REFUSED: .*in-progress cards .*greet.*--resume/);

    const resumed = await runCli(
      ["run", "--epic", "hello-python", "--project", dir, "-m", `replay/${rest}`, "--resume", "--json"],
      {
        env: { ORKET_HOME: home },
      },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).status).toBe("done");

    const db = openDatabase(join(home, "orket.db"));
    const cards = new CardStore(db);
    const runs = new RunStore(db);
    const moves = cards
      .listTransactions("hello-python@hello-python", "greet")
      .map((t) => `${t.from}→${t.to}`);
    expect(moves).toEqual([
      "ready→in_progress",
      "in_progress→ready",
      "ready→in_progress",
      "in_progress→code_review",
      "code_review→awaiting_guard_review",
      "awaiting_guard_review→done",
    ]);
    const statuses = runs
      .listRuns(10)
      .map((r) => r.status)
      .sort();
    expect(statuses).toEqual(["crashed", "done"]);
    db.close();
  }, 60_000);
});
