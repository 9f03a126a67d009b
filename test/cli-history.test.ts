/**
 * `orket history` and `orket leaderboard` in real processes, on report files recorded with
 * `orket history add` into a project's own database: dedupe by content, filters, a trend, the ranking,
 * and a bad file that records nothing.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/spec/report.js";
import { reportOf, testRun } from "./support/lab-fixtures.js";
import { runCli } from "./support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "orket-cli-history-"));

function write(name: string, model: string, passes: number, at: string): string {
  const runs = Array.from({ length: 4 }, (_, i) =>
    testRun({ task: `t${i}`, outcome: i < passes ? "pass" : "fail" }),
  );
  const report: Report = { ...reportOf(runs, model), report_generated_at: at };
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(report));
  return path;
}

describe("orket history and leaderboard", () => {
  it("records reports once, lists and filters them, ranks models and shows a trend", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-history-project-"));
    const a1 = write("a1", "ollama/alpha:q4", 2, "2026-11-01T00:00:00.000Z");
    const a2 = write("a2", "ollama/alpha:q4", 4, "2026-12-01T00:00:00.000Z");
    const b = write("b", "ollama/beta:q8", 3, "2026-11-15T00:00:00.000Z");
    const added = await runCli(["history", "add", a1, a2, b, "--project", project]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe("recorded 3 report(s)\n");
    const again = await runCli(["history", "add", a1, "--project", project]);
    expect(again.stdout).toBe("recorded 0 report(s); 1 already recorded\n");

    const list = JSON.parse((await runCli(["history", "--json"], { cwd: project })).stdout);
    expect(list.map((r: { report_path: string }) => r.report_path)).toEqual([a2, b, a1]);
    const filtered = JSON.parse(
      (await runCli(["history", "--json", "--model", "alpha", "--since", "2026-11-10"], { cwd: project }))
        .stdout,
    );
    expect(filtered.map((r: { report_path: string }) => r.report_path)).toEqual([a2]);

    const board = JSON.parse((await runCli(["leaderboard", "--json"], { cwd: project })).stdout);
    expect(
      board.map((r: { model_ref: string; passes: number; valid_runs: number }) => [
        r.model_ref,
        r.passes,
        r.valid_runs,
      ]),
    ).toEqual([
      ["ollama/alpha:q4", 6, 8],
      ["ollama/beta:q8", 3, 4],
    ]);
    const text = await runCli(["leaderboard"], { cwd: project });
    expect(text.stdout).toMatch(/^1\s+0\.75\s+0\.35–0\.97\s+8 /m);

    const trend = await runCli(["history", "trend", "--model", "alpha"], { cwd: project });
    expect(
      trend.stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.slice(0, 25)),
    ).toEqual(["2026-11-01T00:00:00  0.5 ", "2026-12-01T00:00:00  1   "]);
  });

  it("refuses a bad file with one line, exit 2, and records nothing of the batch", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-history-bad-"));
    const good = write("good", "ollama/alpha:q4", 1, "2026-11-01T00:00:00.000Z");
    writeFileSync(join(dir, "junk.json"), JSON.stringify({ hello: 1 }));
    const bad = await runCli(["history", "add", good, join(dir, "junk.json"), "--project", project]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^orket: BAD_HISTORY_INPUT: .*junk\.json: neither an orket_report\.json nor a sweep summary/,
    );
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    const none = await runCli(["history"], { cwd: project });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no Orket state for project/);
    for (const [args, message] of [
      [["history", "--since", "soon"], /--since takes a date/],
      [["history", "trend"], /history trend needs --model/],
    ] as const) {
      const run = await runCli([...args, "--project", project]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
