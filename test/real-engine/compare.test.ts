/**
 * `orket report compare` on real reports: the built-in bank's first 16 tasks benchmarked on the
 * embedded engine with two real quantizations of the code-writing model (Q8_0 and Q4_K_M, made by
 * llama-quantize), Q8_0 once more, and a deliberately worse model: the same weights crushed to ternary
 * (TQ2_0, every tensor, by the real llama-quantize), which writes no working code. Every bench caps the
 * answer at 160 tokens (the model's solutions fit; the crushed model would otherwise babble until the
 * context is full, and such runs do not count). The gate on pass rate fails on the worse model and
 * passes on the rerun; the record names what differs between the quantizations. Timing thresholds are
 * tested on constructed reports (test/cli-compare.test.ts): timings on a loaded 2-core machine are not
 * stable enough for a test.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Comparison, ComparisonSchema } from "../../src/spec/comparison.js";
import { llamaTool, MEMORIZER_F32, quantized } from "../support/llama-cpp.js";
import { runCli } from "../support/run-cli.js";

const TASKS = "1-16";

describe("orket report compare on real benchmark reports", () => {
  let dir: string;
  const report = (name: string) => join(dir, name, "orket_report.json");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orket-real-compare-"));
    const worse = join(dir, "memorizer-TQ2_0.gguf");
    execFileSync(llamaTool("llama-quantize"), ["--pure", MEMORIZER_F32, worse, "TQ2_0"], { stdio: "ignore" });
    // The crushed model rambles: without a limit most of its answers fill the context and are left out
    // as PROMPT_TRUNCATED (how many depends on the machine's float rounding); 160 tokens ends each one
    // as a plain, valid failure.
    const models: Array<[string, string, string[]]> = [
      ["q8", quantized("Q8_0"), []],
      ["q8-again", quantized("Q8_0"), []],
      ["q4", quantized("Q4_K_M"), []],
      ["worse", worse, ["--max-tokens", "160"]],
    ];
    for (const [name, file, extra] of models) {
      const run = await runCli(
        ["bench", "--model", `gguf/${file}`, "--tasks", TASKS, ...extra, "--out", join(dir, name)],
        {
          cwd: dir,
        },
      );
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
    }
  });

  async function compare(
    ...args: string[]
  ): Promise<{ code: number | null; record: Comparison; stderr: string }> {
    const run = await runCli(["report", "compare", ...args, "--json"], { cwd: dir });
    return { code: run.code, record: ComparisonSchema.parse(JSON.parse(run.stdout)), stderr: run.stderr };
  }

  it("compares two quantizations task by task and names what differs between them", async () => {
    const { code, record } = await compare(report("q8"), report("q4"));
    expect(code).toBe(0);
    const [c] = record.comparisons;
    const leftOut = Object.values(c?.tasks.left_out ?? {}).reduce((a, b) => a + b, 0);
    expect((c?.tasks.compared ?? 0) + leftOut).toBe(16);
    // Both quantizations recall every reference solution: no flip, no pass-rate change.
    expect(c?.pass.newly_failing).toEqual([]);
    expect(c?.pass.difference).toBe(0);
    expect(c?.pass.significant).toBe(false);
    const fields = c?.reproducibility.map((d) => d.field);
    expect(fields).toContain("model.file_sha256");
    expect(c?.reproducibility.find((d) => d.field === "model.quantization")).toMatchObject({
      baseline: "Q8_0",
      candidate: "Q4_K_M",
    });
    // Every metric was measured on both sides, with an interval where two or more tasks compare.
    for (const m of c?.metrics ?? []) {
      if (m.key === "peak_memory_rss" || m.key === "adherence_score" || m.key === "init_latency") continue;
      expect(m.baseline_values, m.key).toBeGreaterThan(0);
      expect(m.changes[0]?.interval, m.key).not.toBeNull();
    }
  });

  it("fails the pass-rate gate on a worse model and passes it on a rerun of the same one", async () => {
    const worse = await compare(report("q8"), report("worse"), "--fail-on", "pass_rate:-2pp");
    expect(worse.code).toBe(1);
    expect(worse.stderr).toMatch(/gate failed: pass_rate:-2pp \(gguf\/.*memorizer-TQ2_0\.gguf: breached\)/);
    expect(worse.record.gate_failed).toBe(true);
    expect(worse.record.comparisons[0]?.pass.significant).toBe(true);
    expect(worse.record.comparisons[0]?.pass.newly_failing).toHaveLength(
      worse.record.comparisons[0]?.tasks.compared ?? -1,
    );
    // Every compared task flipped one way: McNemar's exact p is 2 × ½ⁿ.
    const compared = worse.record.comparisons[0]?.tasks.compared ?? 0;
    expect(compared).toBeGreaterThanOrEqual(4);
    expect(worse.record.comparisons[0]?.pass.mcnemar.p_value).toBeCloseTo(
      Math.min(1, 2 * 0.5 ** compared),
      9,
    );

    const rerun = await compare(report("q8"), report("q8-again"), "--fail-on", "pass_rate:-2pp");
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.record.comparisons[0]?.gate?.[0]?.status).toBe("ok");
    // The same file: nothing about the model differs between the two runs.
    const fields = rerun.record.comparisons[0]?.reproducibility.map((d) => d.field) ?? [];
    expect(fields.filter((f) => f.startsWith("model") || f.startsWith("engine"))).toEqual([]);
  });
});
