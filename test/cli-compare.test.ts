/**
 * `orket report compare` through the built CLI on report files: the table, --json against its schema,
 * --md and --html files, the gate's exit codes (1 and every breached threshold named; "not significant"
 * exits 0 unless --strict), and bad input (a missing file, not a report, another bank, a bad threshold)
 * as one line with exit 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ComparisonSchema } from "../src/spec/comparison.js";
import type { Report } from "../src/spec/report.js";
import { reportOf, sweepSummary, testRun } from "./support/lab-fixtures.js";
import { runCli } from "./support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "orket-cli-compare-"));

function write(name: string, report: Report): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(report));
  return path;
}

/** 60 tasks, one run each; `fails(i)` fails task i; latency `total(i)`. */
function bench(name: string, fails: (i: number) => boolean, total: (i: number) => number = () => 1): string {
  const runs = Array.from({ length: 60 }, (_, i) => {
    const run = testRun({ task: `t${i}`, outcome: fails(i) ? "fail" : "pass" });
    return { ...run, telemetry: { ...run.telemetry, total_latency: total(i) } };
  });
  const report = reportOf(runs, `replay/${name}`);
  report.settings.bank = { ...report.settings.bank, sha256: "a".repeat(64) };
  return write(`${name}.json`, report);
}

const base = bench(
  "base",
  () => false,
  (i) => 1 + (i % 7) / 10,
);
const rerun = bench(
  "rerun",
  () => false,
  (i) => 1 + ((i + 3) % 7) / 10,
);
const worse = bench(
  "worse",
  (i) => i % 4 === 0,
  (i) => 1.5 + (i % 7) / 10,
);

describe("orket report compare", () => {
  it("prints the verdict and the tables, and exits 0 without --fail-on", async () => {
    const run = await runCli(["report", "compare", base, worse]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/verdict: pass rate −25\.0 pp \(95 % CI .* McNemar p=.*\): significant/);
    expect(run.stdout).toMatch(/newly failing \(15\): t0, t4, t8/);
    expect(run.stdout).toMatch(/total_latency_p50 \(s\)\s+1\.3\s+1\.8\s+\+38\.5 %/);
    expect(run.stdout).toMatch(/model_ref\s+"replay\/base"\s+"replay\/worse"/);
  });

  it("writes --json valid against its schema, and --md and --html files", async () => {
    const md = join(dir, "c.md");
    const html = join(dir, "c.html");
    const run = await runCli([
      "report",
      "compare",
      "--baseline",
      base,
      "--candidate",
      worse,
      "--candidate",
      rerun,
      "--json",
      "--md",
      md,
      "--html",
      html,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const record = ComparisonSchema.parse(JSON.parse(run.stdout));
    expect(record.comparisons.map((c) => c.candidate.model_ref)).toEqual(["replay/worse", "replay/rerun"]);
    expect(record.comparisons[1]?.pass.difference).toBe(0);
    expect(record.comparisons[1]?.pass.significant).toBe(false);
    expect(readFileSync(md, "utf8")).toMatch(/^# Orket comparison\n/);
    expect(readFileSync(md, "utf8")).toMatch(/\| pass rate \| 1 \| 0\.75 \| −25\.0 pp \|/);
    expect(readFileSync(html, "utf8")).toMatch(/<canvas id="orket-compare-chart-1"/);
  });

  it("fails the gate naming every breached threshold, and passes a rerun of the same model", async () => {
    const gate = "pass_rate:-2pp,total_latency_p50:+10%,generation_tokens_per_second_p50:-5%";
    const failed = await runCli(["report", "compare", base, worse, "--fail-on", gate]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      "orket: gate failed: pass_rate:-2pp (replay/worse: breached), total_latency_p50:+10% (replay/worse: breached)\n",
    );
    const passed = await runCli(["report", "compare", base, rerun, "--fail-on", "pass_rate:-2pp"]);
    expect(passed.code, passed.stderr).toBe(0);
  });

  it("exits 0 on a drop that is not significant, and 1 with --strict", async () => {
    const small = (name: string, fails: boolean) => {
      const report = reportOf(
        [0, 1, 2, 3].map((i) => testRun({ task: `t${i}`, outcome: fails && i === 0 ? "fail" : "pass" })),
        `replay/${name}`,
      );
      return write(`${name}.json`, report);
    };
    const a = small("small-a", false);
    const b = small("small-b", true);
    const lenient = await runCli(["report", "compare", a, b, "--fail-on", "pass_rate:-2pp"]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/pass_rate:-2pp\s+−25\.0 pp\s+.*past the limit, not significant/);
    const strict = await runCli(["report", "compare", a, b, "--fail-on", "pass_rate:-2pp", "--strict"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/pass_rate:-2pp \(replay\/small-b: not significant\)/);
  });

  it("compares each row of a sweep summary given as a candidate, and refuses one as the baseline", async () => {
    const summary = sweepSummary([
      { tag: "q8_0", runs: [testRun({ task: "t0" })], reportPath: rerun },
      { tag: "q4_K_M", runs: [testRun({ task: "t0" })], reportPath: "worse.json" },
    ]);
    const path = join(dir, "sweep_summary.json");
    writeFileSync(path, JSON.stringify(summary));
    const run = await runCli(["report", "compare", base, path, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const record = ComparisonSchema.parse(JSON.parse(run.stdout));
    expect(record.comparisons.map((c) => c.candidate.path)).toEqual([rerun, worse]);
    const asBaseline = await runCli(["report", "compare", path, base]);
    expect(asBaseline.code).toBe(2);
    expect(asBaseline.stderr).toMatch(/a sweep summary cannot be the baseline/);
  });

  it("refuses bad input with one line and exit 2", async () => {
    const other = reportOf([testRun({ task: "t0" })], "replay/other");
    other.settings.bank = { name: "mine", version: "2", source: "mine.json", sha256: "b".repeat(64) };
    const otherBank = write("other-bank.json", other);
    writeFileSync(join(dir, "not-json.json"), "{");
    writeFileSync(join(dir, "sweep.json"), JSON.stringify({ schema_version: "orket.sweep.v1" }));
    writeFileSync(join(dir, "other.json"), JSON.stringify({ schema_version: "orket.check.v1" }));
    const cases: Array<[string[], RegExp]> = [
      [
        [base, join(dir, "missing.json")],
        /BAD_COMPARE_INPUT: .*missing\.json: cannot read it as JSON \(no such file\)/,
      ],
      [[base, join(dir, "not-json.json")], /BAD_COMPARE_INPUT: .*not-json\.json: cannot read it as JSON/],
      [[base, join(dir, "sweep.json")], /BAD_COMPARE_INPUT: .*sweep\.json: not a valid sweep summary/],
      [[base, join(dir, "other.json")], /BAD_COMPARE_INPUT: .*other\.json: not an orket_report\.json/],
      [
        [base, otherBank],
        /BANK_MISMATCH: .*other-bank\.json ran bank mine 2 .*only runs of one bank compare/,
      ],
      [[base, worse, "--fail-on", "pass_rate:2pp"], /BAD_GATE: --fail-on: "pass_rate:2pp" is not key/],
      [[base, worse, "--fail-on", "speed_p50:-5%"], /BAD_GATE: --fail-on: "speed_p50" is not a gate key/],
      [[base], /give at least one candidate/],
      [[base, worse, "--strict"], /--strict needs --fail-on/],
      [[base, "--candidate", worse], /as arguments or with --baseline\/--candidate, not both/],
      [[base, worse, "--md", dir], /--md ".*" is a folder, not a file/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(["report", "compare", ...args]);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
      // One line (a flag error is followed by commander's pointer to --help).
      const lines = run.stderr
        .trim()
        .split("\n")
        .filter((l) => l !== "(orket --help for usage)");
      expect(lines, run.stderr).toHaveLength(1);
    }
  });
});
