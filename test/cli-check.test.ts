/**
 * `orket check` through the built CLI: a report `runBenchmark` really wrote (a scripted cassette, with a
 * run that ended in an error) passes every rule; the same report with a polluted run counted in its
 * aggregates fails with exit 1 naming `kpi_excludes_polluted`; garbage and malformed files exit 2
 * naming the file and field. A sweep summary is checked against its rows' reports on disk.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import { runBenchmark } from "../src/bench/runner.js";
import { runQuantSweep } from "../src/lab/sweep.js";
import type { Task } from "../src/spec/bank.js";
import { CheckArtifactSchema } from "../src/spec/lab.js";
import type { Report } from "../src/spec/report.js";
import { detectGpuBackend } from "../src/telemetry/sidecar.js";
import { reportOf, sweepSummary, testRun } from "./support/lab-fixtures.js";
import { runCli } from "./support/run-cli.js";
import { writeScript } from "./support/script-cassette.js";
import { writeAnswers } from "./support/sweep-fixtures.js";

const fence = (task: Task, code: string) => `\`\`\`${task.language}\n${code}\n\`\`\`\n`;

describe("orket check report", () => {
  let dir: string;
  let path: string;
  let report: Report;

  beforeAll(async () => {
    const [a, b] = (await loadBank("builtin")).tasks.slice(0, 2) as [Task, Task];
    dir = mkdtempSync(join(tmpdir(), "orket-check-"));
    const cassette = writeScript(join(dir, "answers.jsonl"), [
      fence(a, a.reference_solution),
      fence(a, a.reference_solution),
      fence(b, "def wrong():\n    return None\n"),
      { error: { code: "SERVER_ERROR", message: "server reported an error: out of memory" } },
    ]);
    ({ report, path } = await runBenchmark({
      model: `replay/${cassette}`,
      tasks: "1-2",
      runs: 2,
      home: join(dir, ".orket"),
      out: join(dir, "results"),
      providers: { replayPacing: "instant" },
      loadSampler: { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) },
    }));
  }, 120_000);

  it("passes a real report, prints each rule and writes orket_check.json beside it", async () => {
    expect(report.summary.invalid_runs).toBe(1);
    const run = await runCli(["check", "report", path]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("PASS kpi_excludes_polluted\n");
    expect(run.stdout.split("\n").filter((l) => l.startsWith("PASS "))).toHaveLength(9);
    const written = JSON.parse(readFileSync(join(dir, "results", "orket_check.json"), "utf8"));
    expect(CheckArtifactSchema.parse(written)).toMatchObject({
      kind: "report",
      source: path,
      ok: true,
      execution_lane: "ci",
      vram_profile: "safe",
    });
  });

  it("prints the artifact with --json and writes it where --out says", async () => {
    const out = join(dir, "elsewhere", "check.json");
    const run = await runCli(["check", "report", path, "--json", "--out", out]);
    expect(run.code).toBe(0);
    const printed = CheckArtifactSchema.parse(JSON.parse(run.stdout));
    expect(printed.rules.every((r) => r.passed)).toBe(true);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(printed);
  });

  it("fails a report whose aggregates count a polluted run: exit 1, naming the rule", async () => {
    // The first run was polluted after all, but the summary still counts it.
    const tampered = structuredClone(report);
    const first = tampered.test_runs[0] as Report["test_runs"][number];
    first.telemetry.run_quality_status = "POLLUTED";
    first.telemetry.run_quality_reasons = ["HOT_START"];
    const file = join(dir, "tampered", "orket_report.json");
    writeFile(file, JSON.stringify(tampered));
    const run = await runCli(["check", "report", file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^FAIL kpi_excludes_polluted: summary\.valid_runs is 3, the valid runs give 2/m,
    );
    expect(run.stderr).toMatch(
      /^orket: CHECK_FAILED: kpi_excludes_polluted: summary\.valid_runs is 3, the valid runs give 2 \(2 excluded run\(s\): .*#0 POLLUTED/,
    );
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    const written = CheckArtifactSchema.parse(
      JSON.parse(readFileSync(join(dir, "tampered", "orket_check.json"), "utf8")),
    );
    expect(written.ok).toBe(false);
  });

  it("exits 2 on a garbage file and on a report missing a field, naming file and field", async () => {
    const garbage = join(dir, "garbage.json");
    writeFileSync(garbage, "\u0000\u0001 not json at all");
    const run = await runCli(["check", "report", garbage]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^orket: BAD_CHECK_INPUT: ${garbage}: not JSON`));
    const broken = structuredClone(report) as unknown as { summary: Record<string, unknown> };
    delete broken.summary.pass_rate;
    const file = join(dir, "broken.json");
    writeFileSync(file, JSON.stringify(broken));
    const bad = await runCli(["check", "report", file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      new RegExp(`^orket: BAD_CHECK_INPUT: ${file}: not a valid report file: summary\\.pass_rate:`),
    );
    const missing = await runCli(["check", "report", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read it \(ENOENT\)/);
  });
});

describe("orket check sweep", () => {
  const dir = mkdtempSync(join(tmpdir(), "orket-check-sweep-"));
  const rows = [
    { tag: "q8_0", adherence: 1, total: 2.5 },
    { tag: "q4_K_M", adherence: 0.9, total: 1.2 },
    { tag: "q2_K", adherence: 1, total: 0.4, reasons: ["HOT_START"] },
  ].map((r) => ({
    tag: r.tag,
    runs: [0, 1].map((index) =>
      testRun({ task: "a", index, adherence: r.adherence, total: r.total, reasons: r.reasons }),
    ),
    reportPath: join(dir, r.tag, "orket_report.json"),
  }));

  function write(mutate: (summary: ReturnType<typeof sweepSummary>) => void = () => undefined): string {
    const summary = sweepSummary(rows);
    for (const [i, spec] of rows.entries()) {
      const row = summary.rows[i];
      writeFile(spec.reportPath, JSON.stringify(reportOf(spec.runs, row?.model_ref)));
    }
    mutate(summary);
    const file = join(dir, "sweep_summary.json");
    writeFileSync(file, JSON.stringify(summary));
    return file;
  }

  it("passes a consistent sweep, checking each row against its report", async () => {
    const run = await runCli(["check", "sweep", write()]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("PASS every_quant_ran\n");
    const written = CheckArtifactSchema.parse(
      JSON.parse(readFileSync(join(dir, "orket_check.json"), "utf8")),
    );
    expect(written.rules.find((r) => r.rule === "rows_aggregate_valid_runs_only")?.detail).toMatch(
      /3 recomputed from their reports/,
    );
  });

  it("fails a sweep whose row names a model its report did not run", async () => {
    const file = write((s) => {
      (s.rows[1] as { model_ref: string }).model_ref = "ollama/qwen2.5-coder:7b-q4_0";
    });
    const run = await runCli(["check", "sweep", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^orket: CHECK_FAILED: every_quant_ran: q4_K_M: its report ran ollama\/qwen2\.5-coder:7b-q4_K_M/,
    );
  });
});

describe("orket check sweep on a sweep the lab really ran", () => {
  it("passes a quant sweep with a POLLUTED run, its rows checked against their reports", async () => {
    const [t1, t2] = (await loadBank("builtin")).tasks.slice(0, 2) as [Task, Task];
    const dir = mkdtempSync(join(tmpdir(), "orket-check-real-sweep-"));
    const good = [t1, t1, t2, t2].map((t) => fence(t, t.reference_solution));
    const right = writeAnswers(join(dir, "q8.jsonl"), good, [0]);
    const bad = fence(t1, "def wrong():\n    return None\n");
    const wrong = writeAnswers(join(dir, "q4.jsonl"), [bad, bad, bad, bad]);
    const { path, summary } = await runQuantSweep({
      home: join(dir, ".orket"),
      out: join(dir, "sweep"),
      models: [
        { quant: "q8_0", ref: `replay/${right}` },
        { quant: "q4_K_M", ref: `replay/${wrong}` },
      ],
      tasks: "1-2",
      runs: 2,
      skipCanary: true,
      providers: { replayPacing: "instant" },
      loadSampler: { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) },
      gpuBackend: detectGpuBackend({ env: { PATH: "" } }),
    });
    expect(summary.stability_kpis.polluted_run_rate).toBeGreaterThan(0);
    const run = await runCli(["check", "sweep", path]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const written = CheckArtifactSchema.parse(
      JSON.parse(readFileSync(join(dir, "sweep", "orket_check.json"), "utf8")),
    );
    const detail = (rule: string) => written.rules.find((r) => r.rule === rule)?.detail;
    expect(detail("kpis_from_valid_runs")).toMatch(/all four KPIs recomputed/);
    expect(detail("rows_aggregate_valid_runs_only")).toMatch(/2 recomputed from their reports/);
  }, 120_000);
});

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
