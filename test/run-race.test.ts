/**
 * Runs of one build started at the same moment, in real processes: the live-run check and the run's
 * start are one write transaction, so exactly one goes ahead and the others are refused before they
 * touch a card (before, two or three went ahead in 4 of 6 rounds, with spurious ILLEGAL_TRANSITION
 * violations and runs left "running").
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CardStore } from "../src/store/card-store.js";
import { openDatabase } from "../src/store/db.js";
import { RunStore } from "../src/store/run-store.js";
import { coderDone, guardDone, reviewerPass } from "./support/hello-python-answers.js";
import { runCli } from "./support/run-cli.js";
import { writeScript } from "./support/script-cassette.js";

describe("orket run started three times at once on one project", () => {
  it.each([1, 2, 3, 4])(
    "round %i: one run goes ahead, the others are refused and change nothing",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "orket-race-"));
      const home = join(dir, ".orket");
      // The first answer takes 3 s, so the winner still holds the build when the others ask for it.
      const script = writeScript(join(dir, "answers.jsonl"), [
        { text: coderDone, delayMs: 3000 },
        reviewerPass,
        guardDone,
      ]);
      const runs = await Promise.all(
        [0, 1, 2].map(() =>
          runCli(["run", "--epic", "hello-python", "--project", dir, "-m", `replay/${script}`], {
            env: { ORKET_HOME: home },
          }),
        ),
      );
      const codes = runs.map((r) => r.code).sort();
      expect(codes, runs.map((r) => r.stderr).join("\n---\n")).toEqual([0, 2, 2]);
      for (const refused of runs.filter((r) => r.code === 2))
        expect(refused.stderr).toMatch(
          /^orket: RUN_REFUSED: build hello-python@hello-python is being run by pid \d+ \(run [\w-]+\); wait for it or stop it$/m,
        );
      for (const run of runs) expect(run.stderr + run.stdout).not.toContain("ILLEGAL_TRANSITION");

      const db = openDatabase(join(home, "orket.db"));
      try {
        const all = new RunStore(db).listRuns(10);
        expect(all.map((r) => r.status)).toEqual(["done"]);
        const moves = new CardStore(db)
          .listTransactions("hello-python@hello-python", "greet")
          .map((t) => `${t.from}→${t.to}`);
        expect(moves).toEqual([
          "ready→in_progress",
          "in_progress→code_review",
          "code_review→awaiting_guard_review",
          "awaiting_guard_review→done",
        ]);
      } finally {
        db.close();
      }
    },
    60_000,
  );
});
