/** `orket memory add|search` through the built CLI, on a real database in the project's .orket/ folder. */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

describe("orket memory add and search", () => {
  it("adds once, refuses duplicates quietly, and searches with filters", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-mem-cli-"));
    const env = { ORKET_HOME: join(project, "machine-home") };
    const added = await runCli(
      ["memory", "add", "Use argparse for command-line flags", "--tag", "cli", "--json"],
      { env, cwd: project },
    );
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ stored: true, snapshot: { seq: 1 } });
    const again = await runCli(["memory", "add", "Use argparse for command-line flags", "--tag", "cli"], {
      env,
      cwd: project,
    });
    expect(again.stdout).toBe("already remembered (snapshot 1 unchanged)\n");
    await runCli(["memory", "add", "Tests use pytest", "--namespace", "conventions", "--trust", "low"], {
      env,
      cwd: project,
    });

    const found = await runCli(["memory", "search", "argparse", "--json"], { env, cwd: project });
    const result = JSON.parse(found.stdout);
    expect(result.hits.map((h: { record: { content: string } }) => h.record.content)).toEqual([
      "Use argparse for command-line flags",
    ]);
    const trusted = await runCli(["memory", "search", "tests pytest", "--min-trust", "medium"], {
      env,
      cwd: project,
    });
    expect(trusted.stdout).toBe("0 of 0 match(es) at snapshot 2\n");
    // The memory is the project's: nothing is kept in ORKET_HOME.
    expect(existsSync(join(project, ".orket", "orket.db"))).toBe(true);
    expect(existsSync(join(env.ORKET_HOME, "orket.db"))).toBe(false);
  });

  it("bad input is one line naming the field or flag, exit 2, and nothing is stored", async () => {
    const project = mkdtempSync(join(tmpdir(), "orket-mem-cli-"));
    const env = { ORKET_HOME: join(project, "machine-home") };
    const bad = await runCli(["memory", "add", "x", "--scope", "galaxy"], { env, cwd: project });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^orket: BAD_USAGE: orket memory add: scope: use project or epic:<id>\n$/);
    const none = await runCli(["memory", "search", "x"], { env, cwd: project });
    expect(none.stdout).toBe("0 of 0 match(es) at snapshot 0\n");
  });
});
