/**
 * `orket sweep` end to end. A whole quant sweep over the embedded engine with two real GGUF files of
 * different sizes (random weights: their adherence is honestly null), a sweep over scripted cassettes
 * whose right and wrong answers fix the recommendation, and the bad inputs that must stop a sweep with
 * one line before anything runs. Runs on a busy machine may come out POLLUTED (HIGH_SYSTEM_LOAD), so the
 * CLI tests assert what holds either way; the exact recommendation is checked in-process with a steady
 * load sampler.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import { runQuantSweep } from "../src/lab/sweep.js";
import type { Task } from "../src/spec/bank.js";
import { type SweepRow, type SweepSummary, SweepSummarySchema } from "../src/spec/lab.js";
import { ReportSchema } from "../src/spec/report.js";
import { detectGpuBackend } from "../src/telemetry/sidecar.js";
import { runCli } from "./support/run-cli.js";
import { fence, writeAnswers, writeTinyGguf } from "./support/sweep-fixtures.js";
import { refusedUrl, startWireServer, type WireServer } from "./support/wire-server.js";

const steadyLoad = { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) };
const cpuOnly = detectGpuBackend({ env: { PATH: "" } });

/** The error line among the progress lines (`orket: CODE: ...`). */
function oneLine(stderr: string): string {
  const errors = stderr.split("\n").filter((line) => /^orket: [A-Z_]+: /.test(line));
  expect(errors).toHaveLength(1);
  return errors[0] ?? "";
}

describe("orket sweep quant over the embedded engine", () => {
  it("really runs each GGUF file, keeps each row's report, and writes a schema-valid summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-sweep-gguf-"));
    const models = join(dir, "models");
    mkdirSync(models);
    const q8 = writeTinyGguf(join(models, "tiny-q8_0.gguf"), { seed: 1, paddingKiB: 256 });
    const q4 = writeTinyGguf(join(models, "tiny-q4_K_M.gguf"), { seed: 2 });
    const out = join(dir, "sweep");
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: await refusedUrl() };
    const run = await runCli(
      [
        "sweep",
        "quant",
        "--gguf-dir",
        models,
        "--quants",
        "q8_0,q4_K_M",
        "--tasks",
        "1",
        "--runs",
        "2",
        "--max-tokens",
        "12",
        "--skip-canary",
        "--out",
        out,
        "--json",
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/orket: row q8_0 \(1\/2\)/);
    expect(run.stderr).toMatch(/\[q4_K_M 2\/2\] py\/clamp#1/);
    const summary = SweepSummarySchema.parse(JSON.parse(run.stdout));
    expect(JSON.parse(readFileSync(join(out, "sweep_summary.json"), "utf8"))).toEqual(JSON.parse(run.stdout));

    const [a, b] = summary.rows;
    expect(summary.rows.map((r) => r.quant_tag)).toEqual(["q8_0", "q4_K_M"]);
    expect(a?.model_ref).toBe(`gguf/${join(models, "tiny-q8_0.gguf")}`);
    expect(b?.model_ref).toBe(`gguf/${join(models, "tiny-q4_K_M.gguf")}`);
    expect([a?.model_size_bytes, b?.model_size_bytes]).toEqual([q8, q4]);
    expect(q8).toBeGreaterThan(q4);
    for (const row of summary.rows) {
      expect(row.test_runs).toBe(2);
      expect(row.report_path).not.toBeNull();
      const report = ReportSchema.parse(JSON.parse(readFileSync(row.report_path ?? "", "utf8")));
      expect(report.settings.model_ref).toBe(row.model_ref);
      expect(report.test_runs).toHaveLength(2);
      // Real inference: the engine produced tokens, with timings, in this row's own window.
      expect(report.test_runs[0]?.telemetry.token_metrics.counts.output_tokens).toBeGreaterThan(0);
      expect(report.test_runs[0]?.telemetry.token_metrics.timing_source).toBe("embedded");
      expect(row.hardware_sidecar).toMatchObject({ schema_version: "sidecar.parse.v1" });
      // Random weights write no code: adherence is unknown, and the row says why.
      expect(row.adherence_score).toBeNull();
      expect(row.null_reasons.adherence_score).toBeDefined();
    }
    expect(summary.canary).toMatchObject({ decision: "skip", reason: "skipped with --skip-canary" });
    expect(summary.efficiency_frontier).toMatchObject({
      minimum_viable_quant: null,
      best_value_quant: null,
      adherence_threshold: 0.9,
      latency_ceiling: null,
    });
    expect(summary.recommendation).toMatch(/^No recommendation: no quantization (reached|had a valid run)/);
    expect(summary.stability_kpis.frontier_success_rate ?? 0).toBe(0);
    expect(summary.hardware_fingerprint.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    if (summary.commit_sha === null) expect(summary.null_reasons.commit_sha).toBeDefined();
    else expect(summary.commit_sha).toMatch(/^[0-9a-f]{40}$/);
    expect(summary.timing.benchmark_seconds).toBeGreaterThan(0);
    expect(summary.timing.benchmark_seconds).toBeLessThanOrEqual(summary.timing.total_seconds);
    const history = join(dir, ".orket", "diagnostics", summary.hardware_fingerprint.fingerprint, "ci-safe");
    expect(existsSync(history)).toBe(true);

    const report = await runCli(["sweep", "report", "--summary", join(out, "sweep_summary.json")], { env });
    expect(report.code, report.stderr).toBe(0);
    expect(statSync(join(out, "sweep_report.md")).size).toBeGreaterThan(0);
    expect(statSync(join(out, "sweep_report.html")).size).toBeGreaterThan(0);

    const human = await runCli(
      [
        "sweep",
        "quant",
        "--gguf-dir",
        models,
        "--quants",
        "q4_K_M",
        "--tasks",
        "1",
        "--max-tokens",
        "4",
        "--skip-canary",
        "--out",
        join(dir, "again"),
      ],
      { env },
    );
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^quant\s+size\s+valid\/runs\s+adherence/m);
    expect(human.stdout).toMatch(/^recommendation\s+No recommendation/m);
    expect(human.stdout).toMatch(/^summary: .*sweep_summary\.json$/m);
  }, 240_000);
});

describe("orket sweep context over the embedded engine", () => {
  it("applies each context size to the engine: a context smaller than the prompt truncates it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-sweep-context-"));
    const model = join(dir, "tiny.gguf");
    writeTinyGguf(model);
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: await refusedUrl() };
    const run = await runCli(
      [
        "sweep",
        "context",
        "--model",
        `gguf/${model}`,
        "--contexts",
        "64,256,512",
        "--tasks",
        "1",
        "--max-tokens",
        "32",
      ].concat(["--skip-canary", "--out", join(dir, "out"), "--json"]),
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = SweepSummarySchema.parse(JSON.parse(run.stdout));
    expect(summary.kind).toBe("context");
    expect(summary.rows.map((r) => [r.quant_tag, r.context_size, r.model_ref, r.test_runs])).toEqual([
      ["64", 64, `gguf/${model}`, 1],
      ["256", 256, `gguf/${model}`, 1],
      ["512", 512, `gguf/${model}`, 1],
    ]);
    // llama.cpp gives no context under 256 tokens: the 64-token row did not measure 64, and says so.
    const [small, fits, roomy] = summary.rows as [SweepRow, SweepRow, SweepRow];
    expect(small.run_quality_reasons).toContain("CONTEXT_NOT_APPLIED");
    expect(small.valid).toBe(false);
    expect((small as { reproducibility?: unknown }).reproducibility).toMatchObject({
      context_size: {
        requested: 64,
        applied: false,
        effective: 256,
        reason: "the engine runs with 256 tokens, not 64",
      },
    });
    // The builtin task's prompt (about 240 tokens) and 32 more do not fit 256: that window was full.
    expect(fits.run_quality_reasons).toContain("PROMPT_TRUNCATED");
    expect(roomy.run_quality_reasons).not.toContain("PROMPT_TRUNCATED");
    expect(roomy.run_quality_reasons).not.toContain("CONTEXT_NOT_APPLIED");
    expect(summary.safe_context_ceiling).toMatchObject({ adherence_floor: 0, first_token_ceiling: null });
    const ceiling = summary.safe_context_ceiling?.context_size ?? null;
    expect(ceiling === null || ceiling === 512).toBe(true);
  }, 120_000);
});

describe("a sweep over scripted cassettes", () => {
  let dir: string;
  let right: string;
  let wrong: string;
  let flaky: string;
  let tasks: Task[];

  beforeAll(async () => {
    tasks = (await loadBank("builtin")).tasks.slice(0, 2);
    const [t1, t2] = tasks as [Task, Task];
    dir = mkdtempSync(join(tmpdir(), "orket-sweep-replay-"));
    const good = [fence(t1, t1.reference_solution), fence(t1, t1.reference_solution)];
    good.push(fence(t2, t2.reference_solution), fence(t2, t2.reference_solution));
    right = writeAnswers(join(dir, "q8.jsonl"), good, [0]);
    const bad = fence(t1, "def wrong():\n    return None\n");
    wrong = writeAnswers(join(dir, "q4.jsonl"), [bad, bad, bad, bad]);
    flaky = writeAnswers(join(dir, "flaky.jsonl"), [good[0] as string, bad]);
  });

  it("recommends the quant whose answers are right, after a canary that really ran", async () => {
    const { summary, path, historyPath } = await runQuantSweep({
      home: join(dir, ".orket"),
      out: join(dir, "in-process"),
      models: [
        { quant: "q8_0", ref: `replay/${right}` },
        { quant: "q4_K_M", ref: `replay/${wrong}` },
      ],
      tasks: "1-2",
      runs: 2,
      providers: { replayPacing: "instant" },
      loadSampler: steadyLoad,
      rowIsolation: "in-process",
      gpuBackend: cpuOnly,
    });
    expect(existsSync(path)).toBe(true);
    expect(historyPath && existsSync(historyPath)).toBe(true);
    expect(summary.canary).toMatchObject({
      decision: "pass",
      runs: 4,
      model_ref: `replay/${right}`,
      adherence_spread: 0,
    });
    expect(summary.canary.reason).toMatch(/^repeatable over 2 tasks with repeats/);
    expect(existsSync(join(dir, "in-process", "canary", "orket_report.json"))).toBe(true);
    const [q8, q4] = summary.rows as [SweepSummary["rows"][0], SweepSummary["rows"][0]];
    expect(q8).toMatchObject({
      adherence_score: 1,
      pass_rate: 1,
      test_runs: 4,
      valid_runs: 3,
      run_quality_status: "POLLUTED",
      run_quality_reasons: ["COLD_MODEL_LOAD"],
      model_size_bytes: null,
    });
    expect(q8.null_reasons.model_size_bytes).toMatch(/cassette has no model file/);
    expect(q4).toMatchObject({ pass_rate: 0, test_runs: 4, valid_runs: 4, run_quality_status: "CLEAN" });
    expect(q4.adherence_score ?? 1).toBeLessThan(0.9);
    expect(summary.efficiency_frontier).toMatchObject({
      minimum_viable_quant: "q8_0",
      best_value_quant: "q8_0",
    });
    expect(summary.recommendation).toMatch(
      /^Use q8_0: adherence 1\.00 at \d+\.\d{3} s median; q4_K_M fell below the 0\.90 threshold\. 1 of 8 runs was excluded as POLLUTED \(COLD_MODEL_LOAD\)\.$/,
    );
    expect(summary.stability_kpis).toEqual({
      determinism_rate: 1,
      missing_telemetry_rate: 0,
      polluted_run_rate: 0.125,
      frontier_success_rate: 0.5,
    });
    expect(summary.timing.canary_seconds).toBeGreaterThan(0);
  }, 120_000);

  it("runs from the CLI with --models, and stops at a canary whose repeats cannot be compared", async () => {
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: await refusedUrl() };
    const models = `q8_0=replay/${right},q4_K_M=replay/${wrong}`;
    const common = ["--models", models, "--tasks", "1-2", "--runs", "2", "--pacing", "instant", "--json"];
    const run = await runCli(["sweep", "quant", ...common, "--skip-canary", "--out", join(dir, "cli")], {
      env,
    });
    expect(run.code, run.stderr).toBe(0);
    const summary = SweepSummarySchema.parse(JSON.parse(run.stdout));
    expect(summary.rows.map((r) => [r.quant_tag, r.model_ref, r.test_runs])).toEqual([
      ["q8_0", `replay/${right}`, 4],
      ["q4_K_M", `replay/${wrong}`, 4],
    ]);
    expect(summary.model_family).toBe(`replay/${dir}`);
    const best = summary.efficiency_frontier.best_value_quant;
    if (best !== null) expect(summary.recommendation.startsWith(`Use ${best}:`)).toBe(true);
    expect(best === null || best === "q8_0").toBe(true);

    // The canary's two repeats of one task disagree (or, on a loaded machine, cannot be compared): stop.
    const stopped = await runCli(
      [
        "sweep",
        "quant",
        "--models",
        `q8_0=replay/${flaky},q4_K_M=replay/${wrong}`,
        "--tasks",
        "1",
        "--canary-tasks",
        "1",
        "--pacing",
        "instant",
        "--out",
        join(dir, "stopped"),
      ],
      { env },
    );
    expect(stopped.code).toBe(1);
    expect(oneLine(stopped.stderr)).toMatch(
      /^orket: CANARY_FAILED: the canary on replay\/.*flaky\.jsonl failed: (adherence differed by 0\.60 between repeats of py\/clamp|no canary task had two comparable repeats)/,
    );
    const written = SweepSummarySchema.parse(
      JSON.parse(readFileSync(join(dir, "stopped", "sweep_summary.json"), "utf8")),
    );
    expect(written.canary.decision).toBe("fail");
    expect(written.rows).toEqual([]);
  }, 120_000);
});

describe("bad sweep input", () => {
  let server: WireServer;
  let dir: string;
  beforeAll(async () => {
    server = await startWireServer();
    server.route("GET /api/tags", {
      chunks: [
        {
          data: JSON.stringify({
            models: [
              {
                name: "qwen2.5-coder:7b-instruct-q8_0",
                size: 8_098_525_888,
                modified_at: "2025-03-01T10:00:00Z",
                digest: "a1",
              },
              {
                name: "qwen2.5-coder:7b-instruct-q4_K_M",
                size: 4_683_087_332,
                modified_at: "2025-03-01T10:00:00Z",
                digest: "b2",
              },
              { name: "llama3.2:3b", size: 2_019_393_189, modified_at: "2025-03-01T10:00:00Z", digest: "c3" },
            ],
          }),
        },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), "orket-sweep-bad-"));
    mkdirSync(join(dir, "two"));
    writeTinyGguf(join(dir, "two", "m-q8_0.gguf"));
    writeTinyGguf(join(dir, "two", "m-q8_0-imatrix.gguf"));
    writeTinyGguf(join(dir, "two", "m-q4_K_M.gguf"));
  });
  afterAll(() => server.close());

  const sweep = (...args: string[]) =>
    runCli(["sweep", "quant", "--skip-canary", "--out", join(dir, "never"), ...args], {
      env: { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: server.baseUrl },
    });

  it("names a quant no file matches, and two files that match one quant", async () => {
    const unknown = await sweep("--gguf-dir", join(dir, "two"), "--quants", "q4_K_M,q3_K_S");
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.stderr)).toBe(
      `orket: BAD_SWEEP: --gguf-dir ${join(dir, "two")} has no .gguf file whose name contains "q3_K_S" (its .gguf files: m-q4_K_M.gguf, m-q8_0-imatrix.gguf, m-q8_0.gguf)`,
    );
    const twice = await sweep("--gguf-dir", join(dir, "two"), "--quants", "q8_0");
    expect(twice.code).toBe(2);
    expect(oneLine(twice.stderr)).toMatch(
      /BAD_SWEEP: .*2 files match "q8_0" \(m-q8_0-imatrix\.gguf, m-q8_0\.gguf\)/,
    );
    expect(existsSync(join(dir, "never"))).toBe(false);
  });

  it("checks Ollama tags before running, listing the ones that exist", async () => {
    const missing = await sweep("--model-family", "qwen2.5-coder:7b", "--quants", "q8_0,q3_K_S");
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toBe(
      `orket: BAD_SWEEP: Ollama at ${server.baseUrl} has no qwen2.5-coder:7b-instruct-q3_K_S (quant q3_K_S, from --tag-template "{family}-instruct-{quant}"); it has qwen2.5-coder:7b-instruct-q8_0, qwen2.5-coder:7b-instruct-q4_K_M. Pull it with: ollama pull qwen2.5-coder:7b-instruct-q3_K_S`,
    );
    const template = await sweep(
      "--model-family",
      "qwen2.5-coder:7b",
      "--quants",
      "q8_0",
      "--tag-template",
      "{family}-{quant}",
    );
    expect(template.code).toBe(2);
    expect(oneLine(template.stderr)).toMatch(
      /has no qwen2\.5-coder:7b-q8_0 \(quant q8_0, from --tag-template "\{family\}-\{quant\}"\)/,
    );
    expect(server.requests.every((r) => r.url === "/api/tags")).toBe(true);
  });

  it("rejects a bad list flag with one line naming it", async () => {
    const empty = await sweep("--gguf-dir", dir, "--quants", "q8_0,,q4_K_M");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--quants: empty item in "q8_0,,q4_K_M"/);
    const odd = await sweep("--gguf-dir", dir, "--quants", "q8 0");
    expect(odd.code).toBe(2);
    expect(odd.stderr).toMatch(/--quants: "q8 0" is not a quantization tag/);
    const pairs = await sweep("--models", "q8_0");
    expect(pairs.code).toBe(2);
    expect(pairs.stderr).toMatch(/--models: "q8_0" is not quant=provider\/model/);
    const contexts = await runCli(["sweep", "context", "--model", "gguf/x.gguf", "--contexts", "4096,abc"]);
    expect(contexts.code).toBe(2);
    expect(contexts.stderr).toMatch(/--contexts: "abc" is not a context size/);
  });

  it("refuses a context sweep where the context cannot be set per request", async () => {
    const run = await runCli(
      [
        "sweep",
        "context",
        "--model",
        "openai/qwen",
        "--contexts",
        "2048,4096",
        "--base-url",
        `${server.baseUrl}/v1`,
      ],
      { env: { ORKET_HOME: join(dir, ".orket") } },
    );
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toMatch(
      /^orket: BAD_SWEEP: openai\/qwen: an OpenAI-compatible server fixes its context when it starts/,
    );
  });
});
