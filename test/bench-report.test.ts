/**
 * `orket bench` over a scripted cassette: the real bank, extraction, validator, evaluator sandbox and
 * report writer, with the model's answers fixed. The report is compared field by field with the one
 * these answers must produce, and validated against its exported JSON Schema.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import { runBenchmark } from "../src/bench/runner.js";
import type { Task } from "../src/spec/bank.js";
import { type Report, ReportSchema } from "../src/spec/report.js";
import { writeScript } from "./support/script-cassette.js";

const fence = (task: Task, code: string) => `Here you go:\n\`\`\`${task.language}\n${code}\n\`\`\`\n`;
const steadyLoad = { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) };

describe("orket bench over a scripted cassette", () => {
  let report: Report;
  let path: string;
  let tasks: Task[];

  beforeAll(async () => {
    tasks = (await loadBank("builtin")).tasks.slice(0, 3);
    const [a, b] = tasks as [Task, Task, Task];
    const dir = mkdtempSync(join(tmpdir(), "orket-bench-"));
    const cassette = writeScript(join(dir, "answers.jsonl"), [
      fence(a, a.reference_solution),
      fence(a, a.reference_solution),
      fence(b, "def wrong():\n    return None\n"),
      fence(b, b.reference_solution),
      "I am not able to write that.",
      { error: { code: "SERVER_ERROR", message: "server reported an error: out of memory" } },
    ]);
    ({ report, path } = await runBenchmark({
      model: `replay/${cassette}`,
      tasks: "1-3",
      runs: 2,
      home: join(dir, ".orket"),
      out: join(dir, "results"),
      providers: { replayPacing: "instant" },
      loadSampler: steadyLoad,
    }));
  }, 120_000);

  it("scores every test run as its answer deserves", () => {
    const runs = report.test_runs.map((r) => ({
      test_id: r.test_id,
      outcome: r.outcome,
      adherence: r.telemetry.adherence_score,
      evaluation:
        r.telemetry.evaluation &&
        `${r.telemetry.evaluation.passed_examples}/${r.telemetry.evaluation.total_examples}`,
      extraction: r.telemetry.extraction.source,
      quality: r.telemetry.run_quality_status,
      error: r.telemetry.error?.code ?? null,
      tokens: r.telemetry.token_metrics.status,
    }));
    const [a, b, c] = tasks as [Task, Task, Task];
    const examples = (t: Task) => (t.evaluation.kind === "test_program" ? 1 : t.evaluation.examples.length);
    expect(runs).toEqual([
      {
        test_id: `${a.id}#0`,
        outcome: "pass",
        adherence: 1,
        evaluation: `${examples(a)}/${examples(a)}`,
        extraction: "fenced",
        quality: "CLEAN",
        error: null,
        tokens: "OK",
      },
      {
        test_id: `${a.id}#1`,
        outcome: "pass",
        adherence: 1,
        evaluation: `${examples(a)}/${examples(a)}`,
        extraction: "fenced",
        quality: "CLEAN",
        error: null,
        tokens: "OK",
      },
      {
        test_id: `${b.id}#0`,
        outcome: "fail",
        adherence: expect.any(Number),
        evaluation: `0/${examples(b)}`,
        extraction: "fenced",
        quality: "CLEAN",
        error: null,
        tokens: "OK",
      },
      {
        test_id: `${b.id}#1`,
        outcome: "pass",
        adherence: 1,
        evaluation: `${examples(b)}/${examples(b)}`,
        extraction: "fenced",
        quality: "CLEAN",
        error: null,
        tokens: "OK",
      },
      {
        test_id: `${c.id}#0`,
        outcome: "fail",
        adherence: null,
        evaluation: null,
        extraction: "none",
        quality: "CLEAN",
        error: null,
        tokens: "OK",
      },
      {
        test_id: `${c.id}#1`,
        outcome: "error",
        adherence: null,
        evaluation: null,
        extraction: "none",
        quality: "CLEAN",
        error: "SERVER_ERROR",
        tokens: "TOKEN_AND_TIMING_UNAVAILABLE",
      },
    ]);
    expect(report.test_runs[2]?.telemetry.adherence_score ?? 1).toBeLessThan(1);
    expect(report.test_runs[4]?.telemetry.null_reasons.adherence_score).toMatch(/no code was produced/);
  });

  it("keeps engine figures from the recording and client timings from this run", () => {
    const t = report.test_runs[0]?.telemetry;
    expect(t?.token_metrics).toMatchObject({
      counts: { prompt_tokens: 100 },
      latencies: { prefill_seconds: 0.01, decode_seconds: 0.02 },
      timing_source: "llama.cpp",
    });
    expect(t?.init_latency).not.toBeNull();
    expect(t?.total_latency).toBeGreaterThan(0);
    expect(t?.internal_model_seconds).toBeGreaterThanOrEqual(0);
    expect(t?.system_load_start).toEqual({ cpu_percent: 5, load_1m: 0.1, core_count: 2 });
    expect(report.test_runs[5]?.telemetry.total_latency).toBeGreaterThanOrEqual(0);
  });

  it("summarizes valid runs only, with pass@k and determinism per task", () => {
    const [a, b, c] = tasks as [Task, Task, Task];
    expect(report.summary).toMatchObject({
      test_runs: 6,
      valid_runs: 5,
      invalid_runs: 1,
      outcomes: { pass: 3, fail: 2, error: 1 },
      pass_rate: 0.6,
    });
    expect(
      report.summary.tasks.map((t) => ({
        id: t.task_id,
        passes: t.passes,
        valid: t.valid_runs,
        rate: t.success_rate,
        k: t.pass_at_k,
        det: t.determinism_rate,
        distinct: t.distinct_outputs,
      })),
    ).toEqual([
      { id: a.id, passes: 2, valid: 2, rate: 1, k: { 1: 1, 2: 1 }, det: 1, distinct: 1 },
      { id: b.id, passes: 1, valid: 2, rate: 0.5, k: { 1: 0.5, 2: 1 }, det: 0.5, distinct: 2 },
      { id: c.id, passes: 0, valid: 1, rate: 0, k: { 1: 0 }, det: null, distinct: 1 },
    ]);
    expect(report.settings).toMatchObject({
      runs_per_task: 2,
      mode: "direct",
      seed: 42,
      temperature: 0,
      task_ids: tasks.map((t) => t.id),
    });
    expect(report.interrupted).toBe(false);
  });

  it("writes a report that validates against its JSON Schema and its zod schema", () => {
    const written = JSON.parse(readFileSync(path, "utf8"));
    const schema = JSON.parse(readFileSync("schemas/report.v1.schema.json", "utf8"));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(written), JSON.stringify(validate.errors)).toBe(true);
    expect(ReportSchema.safeParse(written).success).toBe(true);
    expect(written.report_generated_at).toMatch(/Z$/);
  });
});

describe("orket bench on a backend that does not truly stream, and the pass/fail flow", () => {
  it("leaves init_latency null with a reason, and scores exactly as evaluating the answers directly would", async () => {
    const { evaluate } = await import("../src/bench/evaluator/index.js");
    const { extractCode } = await import("../src/bench/extract-code.js");
    const bank = await loadBank("builtin");
    const picked = bank.tasks.filter((t) => t.language === "typescript").slice(0, 2) as [Task, Task];
    const answers = [
      fence(picked[0], picked[0].reference_solution),
      fence(picked[1], "export function nope(): number { return 0; }"),
    ];
    const dir = mkdtempSync(join(tmpdir(), "orket-bench-nostream-"));
    const cassette = writeScript(join(dir, "answers.jsonl"), answers, { trueStreaming: false });
    const { report } = await runBenchmark({
      model: `replay/${cassette}`,
      tasks: picked.map((t) => t.id).join(","),
      home: join(dir, ".orket"),
      out: join(dir, "results"),
      providers: { replayPacing: "instant" },
      loadSampler: steadyLoad,
    });
    for (const run of report.test_runs) {
      expect(run.telemetry.init_latency).toBeNull();
      expect(run.telemetry.null_reasons.init_latency).toMatch(/does not truly stream/);
    }
    // The instrumented runner must decide pass/fail exactly as the bare evaluator does on the same code.
    const direct = await Promise.all(
      picked.map(async (task, i) => {
        const code = extractCode(answers[i] ?? "", task.language).code ?? "";
        return (await evaluate(code, task.language, task.evaluation)).passed ? "pass" : "fail";
      }),
    );
    expect(report.test_runs.map((r) => r.outcome)).toEqual(direct);
    expect(direct).toEqual(["pass", "fail"]);
    // The failing run keeps what it was asked, what it answered and what the evaluator said; the
    // passing one keeps none of it.
    const [passed, failed] = report.test_runs;
    expect(passed?.failure).toBeUndefined();
    expect(failed?.failure?.prompt).toContain(picked[1].instruction);
    expect(failed?.failure?.answer).toBe(answers[1]);
    expect(failed?.failure?.answer_truncated).toBe(false);
    expect(failed?.failure?.failed_examples.length).toBeGreaterThan(0);
    expect(failed?.failure?.failed_examples.length).toBe(
      Math.min(
        10,
        (failed?.telemetry.evaluation?.total_examples ?? 0) -
          (failed?.telemetry.evaluation?.passed_examples ?? 0),
      ),
    );
    expect(failed?.failure?.failed_examples[0]?.detail).not.toBe("");
  }, 60_000);
});

describe("orket bench --mode agent", () => {
  it("works each task as a coder card and keeps its memory traces under <out>/traces", async () => {
    const bank = await loadBank("builtin");
    const task = bank.tasks.find((t) => t.language === "python") as Task;
    const file = task.solution_file ?? "solution.py";
    const write = `\`\`\`json\n${JSON.stringify({ tool: "write_file", args: { path: file, content: task.reference_solution } })}\n\`\`\``;
    const status = `\`\`\`json\n${JSON.stringify({ tool: "update_issue_status", args: { status: "code_review" } })}\n\`\`\``;
    const dir = mkdtempSync(join(tmpdir(), "orket-bench-agent-"));
    const cassette = writeScript(join(dir, "answers.jsonl"), [
      `${write}\n\n${status}`,
      `${write}\n\n${status}`,
    ]);
    const common = {
      model: `replay/${cassette}`,
      tasks: task.id,
      mode: "agent" as const,
      home: join(dir, ".orket"),
      providers: { replayPacing: "instant" as const },
      loadSampler: steadyLoad,
    };
    const traced = await runBenchmark({ ...common, out: join(dir, "traced") });
    expect(traced.report.test_runs[0]?.outcome).toBe("pass");
    const turn = join(
      dir,
      "traced",
      "traces",
      task.id.replace(/[^A-Za-z0-9._-]/g, "_"),
      "0",
      "turns",
      "solve",
    );
    const [folder] = readdirSync(turn);
    const trace = JSON.parse(readFileSync(join(turn, folder as string, "memory_trace.json"), "utf8"));
    expect(trace).toMatchObject({ workflow_id: "bench", issue_id: "solve", role_id: "coder" });
    expect(readdirSync(join(turn, folder as string)).sort()).toEqual([
      "memory_retrieval_trace.json",
      "memory_trace.json",
    ]);
    await runBenchmark({ ...common, out: join(dir, "untraced"), memoryTrace: false });
    expect(existsSync(join(dir, "untraced", "traces"))).toBe(false);
  }, 60_000);
});
