/**
 * Two projects, one ORKET_HOME (as a user who sets it once to share the smoke model and the hardware
 * history would have it): each project keeps its own cards, runs and memory in `<project>/.orket`, so
 * the second project's `orket run` of the same starter epic works its own cards and writes its own
 * workspace, instead of finding the first project's done cards. Real processes, a real SQLite file each.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coderDone, GREET, guardDone, reviewerPass } from "./support/hello-python-answers.js";
import { runCli } from "./support/run-cli.js";
import { writeScript } from "./support/script-cassette.js";

const script = [coderDone, reviewerPass, guardDone];

describe("project state with a shared ORKET_HOME", () => {
  it("keeps each project's cards, runs and memory in the project", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-two-projects-"));
    const env = { ORKET_HOME: join(root, "shared-home") };
    const cassette = writeScript(join(root, "script.jsonl"), script);
    const projects = [join(root, "alpha"), join(root, "beta")];

    for (const project of projects) {
      mkdirSync(project);
      expect((await runCli(["init", project, "--model", `replay/${cassette}`], { env })).code).toBe(0);
      const run = await runCli(["run", "--epic", "hello-python", "--pacing", "instant"], {
        env,
        cwd: project,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/1 kept/);
      expect(run.stdout).toMatch(/^done: every issue is done/m);
      expect(run.stderr).toMatch(/✓ greet · coder · turn 1: ok/);
      expect(readFileSync(join(project, "workspace", "hello-python", "output", "greet.py"), "utf8")).toBe(
        GREET,
      );
      expect(existsSync(join(project, ".orket", "orket.db"))).toBe(true);
    }
    expect(existsSync(join(env.ORKET_HOME, "orket.db"))).toBe(false);

    // Each board and run list shows that project's own build and run only.
    const runIds: string[] = [];
    for (const project of projects) {
      const board = await runCli(["board", "--json"], { env, cwd: project });
      const builds = JSON.parse(board.stdout) as {
        build: string;
        issues: { id: string; status: string }[];
      }[];
      expect(builds.map((b) => b.build)).toEqual(["hello-python@hello-python"]);
      expect(builds[0]?.issues.map((i) => [i.id, i.status])).toEqual([["greet", "done"]]);
      const runs = JSON.parse((await runCli(["runs", "--json", "--project", project], { env })).stdout);
      expect(runs).toHaveLength(1);
      runIds.push(runs[0].run_id);
    }
    expect(new Set(runIds).size).toBe(2);

    // Memory is a project's too.
    await runCli(["memory", "add", "alpha uses tabs", "--project", projects[0] ?? ""], { env });
    const beta = await runCli(["memory", "search", "tabs", "--json", "--project", projects[1] ?? ""], {
      env,
    });
    expect(JSON.parse(beta.stdout).hits).toEqual([]);
    const alpha = await runCli(["memory", "search", "tabs", "--json"], { env, cwd: projects[0] });
    expect(JSON.parse(alpha.stdout).hits).toHaveLength(1);
  }, 90_000);

  it("points at a shared ORKET_HOME/orket.db from before instead of reading it as this project's", async () => {
    const root = mkdtempSync(join(tmpdir(), "orket-old-home-"));
    const home = join(root, "home");
    // An Orket from before kept every project's state in ORKET_HOME: make such a file.
    await runCli(["memory", "add", "old", "--project", join(root, "old")], { env: { ORKET_HOME: home } });
    mkdirSync(home, { recursive: true });
    const { copyFileSync } = await import("node:fs");
    copyFileSync(join(root, "old", ".orket", "orket.db"), join(home, "orket.db"));
    mkdirSync(join(root, "fresh"));
    const board = await runCli(["board"], { env: { ORKET_HOME: home }, cwd: join(root, "fresh") });
    expect(board.code).toBe(2);
    expect(board.stderr.trim().split("\n")).toHaveLength(1);
    expect(board.stderr).toContain(
      `${join(home, "orket.db")} holds state from before projects kept their own`,
    );
  });
});
