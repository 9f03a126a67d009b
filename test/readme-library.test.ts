/**
 * The README's library example, run as written: the first TypeScript block that imports `runBenchmark`
 * from "orket" is copied into a file inside the package (so "orket" resolves to this package's own
 * build, as it would for a user who installed it) and run with tsx. It must finish, print its two lines
 * and leave a report whose figures are the ones it printed.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ReportSchema } from "../src/spec/report.js";

function libraryExample(): string {
  const readme = readFileSync("README.md", "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  const block = blocks.find((code) => code.includes('import { runBenchmark } from "orket"'));
  if (block === undefined) throw new Error('README.md has no ts block importing runBenchmark from "orket"');
  return block;
}

describe("the README's library example", () => {
  it("runs as written against the built package and prints the report's own figures", async () => {
    const out = "orket-results/library-example";
    rmSync(out, { recursive: true, force: true });
    mkdirSync("orket-results", { recursive: true });
    const file = join("orket-results", `readme-example-${process.pid}.ts`);
    writeFileSync(file, libraryExample());
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["node_modules/tsx/dist/cli.mjs", file],
        { env: { ...process.env, CI: "true" }, timeout: 120_000 },
      );
      const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")));
      expect(report.test_runs).toHaveLength(3);
      expect(report.reproducibility?.model_ref).toBe(
        "gguf/test/fixtures/models/orket-builtin-memorizer-f32.gguf",
      );
      const { summary } = report;
      const lines = stdout.trim().split("\n");
      expect(lines[0]).toBe(
        `${join(process.cwd(), out, "orket_report.json")}: ${summary.outcomes.pass} of 3 test runs passed`,
      );
      expect(lines[1]).toBe(
        `valid: ${summary.valid_runs}, pass rate: ${summary.pass_rate ?? "none (no valid run)"}`,
      );
      // The test model answers these tasks with their reference solutions.
      expect(summary.outcomes.pass).toBe(3);
    } finally {
      rmSync(file, { force: true });
    }
  }, 150_000);
});
