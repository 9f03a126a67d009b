/** `orket memory add|search` through the built CLI, on a real database under ORKET_HOME. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

describe("orket memory add and search", () => {
  it("adds once, refuses duplicates quietly, and searches with filters", async () => {
    const env = { ORKET_HOME: mkdtempSync(join(tmpdir(), "orket-mem-cli-")) };
    const added = await runCli(
      ["memory", "add", "Use argparse for command-line flags", "--tag", "cli", "--json"],
      { env },
    );
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ stored: true, snapshot: { seq: 1 } });
    const again = await runCli(["memory", "add", "Use argparse for command-line flags", "--tag", "cli"], {
      env,
    });
    expect(again.stdout).toBe("already remembered (snapshot 1 unchanged)\n");
    await runCli(["memory", "add", "Tests use pytest", "--namespace", "conventions", "--trust", "low"], {
      env,
    });

    const found = await runCli(["memory", "search", "argparse", "--json"], { env });
    const result = JSON.parse(found.stdout);
    expect(result.hits.map((h: { record: { content: string } }) => h.record.content)).toEqual([
      "Use argparse for command-line flags",
    ]);
    const trusted = await runCli(["memory", "search", "tests pytest", "--min-trust", "medium"], { env });
    expect(trusted.stdout).toBe("0 of 0 match(es) at snapshot 2\n");
  });

  it("bad input is one line naming the field or flag, exit 2, and nothing is stored", async () => {
    const env = { ORKET_HOME: mkdtempSync(join(tmpdir(), "orket-mem-cli-")) };
    const bad = await runCli(["memory", "add", "x", "--scope", "galaxy"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^orket: BAD_USAGE: orket memory add: scope: use project or epic:<id>\n$/);
    const none = await runCli(["memory", "search", "x"], { env });
    expect(none.stdout).toBe("0 of 0 match(es) at snapshot 0\n");
  });
});
