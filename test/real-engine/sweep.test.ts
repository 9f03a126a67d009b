/**
 * Sweeps on real engines. A quant sweep over six real quantizations (made by llama-quantize) reached
 * through symbolic links, as a Hugging Face cache keeps them: the canary passes on a repeatable model,
 * every row is compared over the same tasks, and every row's peak memory is the memory of that quant
 * benchmarked alone (each embedded row runs in a fresh process). A context sweep applies each size on
 * the embedded engine, and is refused, saying why, on a server that fixes its context at start.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SweepSummary, SweepSummarySchema } from "../../src/spec/lab.js";
import { ReportSchema } from "../../src/spec/report.js";
import { type LlamaServer, QUANTS, quantized, startLlamaServer } from "../support/llama-cpp.js";
import { runCli } from "../support/run-cli.js";

const TASKS = "1-12";
const TASK_COUNT = 12;

function readSummary(path: string): SweepSummary {
  return SweepSummarySchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

describe("orket sweep quant over six real quantizations behind symbolic links", () => {
  let dir: string;
  let links: string;
  let summary: SweepSummary;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orket-real-sweep-"));
    links = join(dir, "hf-cache-snapshot");
    mkdirSync(links);
    for (const quant of QUANTS) symlinkSync(quantized(quant), join(links, `memorizer-${quant}.gguf`));
    const run = await runCli(
      [
        "sweep",
        "quant",
        "--gguf-dir",
        links,
        "--quants",
        QUANTS.join(","),
        "--tasks",
        TASKS,
        "--out",
        join(dir, "sweep"),
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    summary = readSummary(join(dir, "sweep", "sweep_summary.json"));
  });

  it("passes the canary on a model that answers the same way twice", () => {
    expect(summary.canary.decision, summary.canary.reason).toBe("pass");
    expect(summary.canary.adherence_spread).toBe(0);
  });

  it("runs every quantization for real and compares the rows over the same tasks", () => {
    expect(summary.rows.map((r) => r.quant_tag)).toEqual([...QUANTS]);
    // A run the machine's own load disturbed (72 runs on 2 cores: one was seen with HIGH_SYSTEM_LOAD in
    // CI) is left out with its reason, and its task leaves the comparison for every row. At most one
    // task may go that way, and only for load; every row is then compared over the same tasks.
    const pairing = summary.pairing as NonNullable<typeof summary.pairing>;
    expect(pairing.tasks).toBe(TASK_COUNT);
    expect(pairing.excluded.length).toBeLessThanOrEqual(1);
    for (const task of pairing.excluded) {
      for (const row of task.rows) {
        expect(
          row.reasons.every((r) => /^HIGH_(SYSTEM_LOAD|CPU_SATURATION)$/.test(r)),
          row.reasons.join(","),
        ).toBe(true);
      }
    }
    expect(pairing.paired_tasks).toBe(TASK_COUNT - pairing.excluded.length);
    for (const row of summary.rows) {
      expect(row.paired_tasks, row.quant_tag).toBe(pairing.paired_tasks);
      expect(row.valid_runs, row.quant_tag).toBeGreaterThanOrEqual(TASK_COUNT - 1);
      if (row.run_quality_status !== "CLEAN") {
        expect(row.run_quality_reasons.every((r) => /^HIGH_(SYSTEM_LOAD|CPU_SATURATION)$/.test(r))).toBe(
          true,
        );
      }
      expect(row.pass_rate, row.quant_tag).toBe(1);
      // The engine names the quantization it loaded: each row really ran its own file.
      expect(
        (row as { reproducibility?: { model: { quantization: string } } }).reproducibility?.model
          .quantization,
      ).toBe(row.quant_tag);
    }
    expect(summary.recommendation).toMatch(/^Use /);
  });

  it("measures each row in a clean state: its peak memory within 10 % of the same quant benchmarked alone", async () => {
    for (const quant of ["Q8_0", "Q2_K"] as const) {
      const out = join(dir, `solo-${quant}`);
      const run = await runCli(
        [
          "bench",
          "--model",
          `gguf/${join(links, `memorizer-${quant}.gguf`)}`,
          "--tasks",
          TASKS,
          "--out",
          out,
        ],
        { cwd: dir },
      );
      expect(run.code, run.stderr).toBe(0);
      const solo = ReportSchema.parse(JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")));
      const soloPeak = Math.max(...solo.test_runs.map((r) => r.telemetry.peak_memory_rss ?? 0));
      const row = summary.rows.find((r) => r.quant_tag === quant);
      expect(row?.peak_memory_rss, quant).not.toBeNull();
      const ratio = (row?.peak_memory_rss ?? 0) / soloPeak;
      expect(ratio, `${quant}: row ${row?.peak_memory_rss} MiB, alone ${soloPeak} MiB`).toBeGreaterThan(0.9);
      expect(ratio, `${quant}: row ${row?.peak_memory_rss} MiB, alone ${soloPeak} MiB`).toBeLessThan(1.1);
    }
  });
});

describe("orket sweep context", () => {
  let server: LlamaServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orket-real-context-"));
    server = await startLlamaServer({ model: quantized("Q8_0"), contextSize: 1024 });
  });
  afterAll(async () => server?.stop());

  it("applies each context size on the embedded engine, as the engine then reports it", async () => {
    const out = join(dir, "embedded");
    const run = await runCli(
      [
        "sweep",
        "context",
        "--model",
        `gguf/${quantized("Q8_0")}`,
        "--contexts",
        "512,1024",
        "--tasks",
        "1-3",
        "--skip-canary",
        "--out",
        out,
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = readSummary(join(out, "sweep_summary.json"));
    for (const row of summary.rows) {
      const record = (row as { reproducibility?: { context_size: Record<string, unknown> } }).reproducibility;
      expect(record?.context_size, row.quant_tag).toEqual({
        requested: row.context_size,
        applied: true,
        effective: row.context_size,
        reason: null,
      });
      expect(row.valid_runs).toBe(3);
    }
  });

  it("is refused on llama-server, which fixes its context at start, and says how to sweep instead", async () => {
    const run = await runCli(
      [
        "sweep",
        "context",
        "--model",
        "openai/m",
        "--base-url",
        server.baseURL,
        "--contexts",
        "512,1024",
        "--out",
        join(dir, "server"),
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^orket: BAD_SWEEP: openai\/m: an OpenAI-compatible server fixes its context when it starts/m,
    );
  });

  it("a bench asking llama-server for a context records it as not applied, with the server's own size", async () => {
    const out = join(dir, "ctx-bench");
    const run = await runCli(
      [
        "bench",
        "--model",
        "openai/m",
        "--base-url",
        server.baseURL,
        "--ctx-size",
        "8192",
        "--tasks",
        "1-2",
        "--out",
        out,
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")));
    expect(report.reproducibility?.context_size).toMatchObject({
      requested: 8192,
      applied: false,
      effective: 1024,
    });
    expect(report.reproducibility?.context_size.reason).toMatch(
      /fixes its context window when it loads the model/,
    );
    expect(report.reproducibility?.settings_not_applied).toEqual([
      expect.objectContaining({ setting: "contextSize", calls: 2 }),
    ]);
    // The runs are not judged against a context that never applied.
    for (const r of report.test_runs)
      expect(r.telemetry.run_quality_reasons).not.toContain("PROMPT_TRUNCATED");
  });
});
