/**
 * `orket bench`, `orket report` and `orket bank` as a new user runs them, in real processes. With no
 * model and no Ollama the bench uses the embedded smoke model (random weights: its answers are noise, so
 * its runs fail) and says so.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";
import { refusedUrl } from "./support/wire-server.js";

describe("orket bench, report and bank", () => {
  it("benches the embedded default with no model named, says so, and writes a readable report", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-bench-"));
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: await refusedUrl() };
    const out = join(dir, "results");
    const bench = await runCli(["bench", "--tasks", "1-2", "--max-tokens", "32", "--out", out], {
      env,
      cwd: dir,
    });
    expect(bench.code, bench.stderr).toBe(0);
    // The finished report is recorded in the project's history.
    const history = JSON.parse((await runCli(["history", "--json"], { env, cwd: dir })).stdout);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      kind: "bench",
      report_path: join(out, "orket_report.json"),
      test_runs: 2,
    });
    expect(bench.stderr).toMatch(
      /model: gguf\/.*orket-tiny\.gguf \(no Ollama at .*embedded llama\.cpp on the smoke model/,
    );
    expect(bench.stderr).toMatch(/\[2\/2\]/);
    expect(bench.stdout).toMatch(/test runs\s+2 /);
    const report = JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8"));
    expect(report.test_runs).toHaveLength(2);
    expect(report.test_runs[0].telemetry.init_latency).toBeGreaterThan(0);
    expect(report.test_runs[0].telemetry.peak_memory_rss).toBeGreaterThan(20);

    const show = await runCli(["report", "show", join(out, "orket_report.json")], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^task\s+lang\s+tier\s+pass\/valid/m);
    const md = await runCli(["report", "md", join(out, "orket_report.json")], { env });
    expect(md.stdout).toMatch(/^# Orket benchmark: gguf\//);
    expect(md.stdout).toMatch(/^\| task \| lang \| tier \|/m);

    writeFileSync(join(dir, "bad.json"), JSON.stringify({ schema_version: "orket.report.v1" }));
    const bad = await runCli(["report", "show", join(dir, "bad.json")], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json: not an Orket report: /);
  }, 120_000);

  it("imports a HumanEval-format file and self-tests it to 100%", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-bank-"));
    const bank = join(dir, "mini.json");
    const imported = await runCli(["bank", "import", "test/fixtures/humaneval/mini.jsonl", "--out", bank]);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await runCli(["bank", "validate", bank])).code).toBe(0);
    const selftest = await runCli(["bank", "selftest", bank]);
    expect(selftest.code, selftest.stdout).toBe(0);
    expect(selftest.stdout).toMatch(/^5\/5 reference solutions pass/m);
  }, 60_000);

  it("rejects bad input with one line and exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-bank-bad-"));
    const tasks = await runCli(["bench", "--model", "replay/none.jsonl", "--tasks", "0-3"]);
    expect(tasks.code).toBe(2);
    writeFileSync(
      join(dir, "bank.json"),
      JSON.stringify({ schema_version: "orket.task_bank.v1", name: "x", version: "1", tasks: [] }),
    );
    const invalid = await runCli(["bank", "validate", join(dir, "bank.json")]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/BAD_BANK/);
    const mode = await runCli(["bench", "--mode", "chat"]);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toMatch(/--mode takes one of direct, agent/);
  });
});
