/**
 * KL divergence of quantizations, checked against llama.cpp's own `llama-perplexity --kl-divergence`:
 * on the same text and window size, Orket's mean KL divergence (from the embedded engine's
 * probabilities) agrees within 2 % (0.0005 absolute under 0.01) and the same-top-token share within
 * 0.5 points. Then `orket sweep quant --kld` on the bank's reference solutions.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBank } from "../../src/bench/bank/bank-loader.js";
import { fencedAnswer, measureKld } from "../../src/lab/kld.js";
import { SweepSummarySchema } from "../../src/spec/lab.js";
import { llamaTool, MEMORIZER_F32, quantized } from "../support/llama-cpp.js";
import { runCli } from "../support/run-cli.js";

const CTX = 128;

/**
 * What `llama-perplexity --kl-divergence` prints for a model against the saved base distributions. Its
 * log is written by a background thread, and on a loaded machine the last lines were seen missing from
 * stdout once (the table stopped at window 40 of 52, exit 0): the figures are read from stdout, stderr
 * and `--log-file`, and the tool is run again (twice at most) when none of them has them.
 */
function llamaPerplexityKld(model: string, base: string, dir: string): { mean: number; sameTop: number } {
  let out = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const log = join(dir, `perplexity-${attempt}.log`);
    const run = spawnSync(
      llamaTool("llama-perplexity"),
      [
        "-m",
        model,
        "-c",
        String(CTX),
        "-t",
        "2",
        "--kl-divergence-base",
        base,
        "--kl-divergence",
        "--log-file",
        log,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    if (run.status !== 0)
      throw new Error(`llama-perplexity exited with ${run.status}: ${run.stderr.slice(-2000)}`);
    out = `${run.stdout}\n${run.stderr}\n${existsSync(log) ? readFileSync(log, "utf8") : ""}`;
    const mean = /Mean\s+KLD:\s+([\d.]+)/.exec(out)?.[1];
    const same = /Same top p:\s+([\d.]+)/.exec(out)?.[1];
    if (mean && same) return { mean: Number(mean), sameTop: Number(same) };
  }
  throw new Error(`llama-perplexity printed no KL divergence in 3 runs:\n${out.slice(-2000)}`);
}

describe("KL divergence against llama-perplexity", () => {
  let dir: string;
  let text: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orket-kld-"));
    text = join(dir, "solutions.txt");
    const bank = await loadBank("builtin");
    writeFileSync(text, bank.tasks.map((t) => fencedAnswer(t)).join("\n\n"));
  });

  it("agrees with llama.cpp's own tool on the same text and window size", async () => {
    const base = join(dir, "base.kld");
    execFileSync(
      llamaTool("llama-perplexity"),
      ["-m", MEMORIZER_F32, "-f", text, "-c", String(CTX), "-t", "2", "--kl-divergence-base", base],
      { stdio: "ignore" },
    );
    const candidates = [quantized("Q8_0"), quantized("Q4_K_M"), quantized("Q2_K")];
    const ours = await measureKld({
      reference: MEMORIZER_F32,
      candidates,
      source: { kind: "text", file: text, ctx: CTX },
    });
    expect(ours.rows.map((r) => r.model_path)).toEqual(candidates);
    for (const [index, model] of candidates.entries()) {
      const theirs = llamaPerplexityKld(model, base, dir);
      const mine = ours.rows[index]?.summary;
      if (!mine) throw new Error(`no figures for ${model}`);
      const tolerance = theirs.mean < 0.01 ? 0.0005 : 0.02 * theirs.mean;
      expect(
        Math.abs(mine.mean_kld - theirs.mean),
        `${model}: mean KLD ${mine.mean_kld} vs ${theirs.mean}`,
      ).toBeLessThanOrEqual(tolerance);
      expect(
        Math.abs(mine.same_top_percent - theirs.sameTop),
        `${model}: same top ${mine.same_top_percent} vs ${theirs.sameTop}`,
      ).toBeLessThanOrEqual(0.5);
    }
    // Fewer bits, further from the reference.
    const means = ours.rows.map((r) => r.summary.mean_kld);
    expect(means).toEqual([...means].sort((a, b) => a - b));
    // llama-perplexity's own position count: 52 windows of 128, 63 scored in each.
    expect(ours.source.positions).toBe(ours.source.sequences * (CTX - 1 - CTX / 2));
  }, 240_000);

  it("puts each quantization's divergence beside its pass rate in sweep quant --kld", async () => {
    const models = `f32=gguf/${MEMORIZER_F32},q4_K_M=gguf/${quantized("Q4_K_M")},q2_K=gguf/${quantized("Q2_K")}`;
    const out = join(dir, "sweep");
    const run = await runCli(
      ["sweep", "quant", "--models", models, "--tasks", "1-6", "--skip-canary", "--kld", "--out", out],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = SweepSummarySchema.parse(
      JSON.parse(readFileSync(join(out, "sweep_summary.json"), "utf8")),
    );
    expect(summary.kld).toMatchObject({
      reference: "f32",
      source: { kind: "bank", name: "builtin", sequences: 6, ctx: null },
    });
    const [f32, q4, q2] = summary.rows;
    expect(f32?.kld).toBeNull();
    expect(f32?.null_reasons.kld).toMatch(/reference/);
    expect(q4?.kld?.positions).toBe(summary.kld?.source.positions);
    expect(q2?.kld?.mean_kld).toBeGreaterThan(q4?.kld?.mean_kld ?? Number.POSITIVE_INFINITY);
    expect(run.stdout).toMatch(/quant\s+size\s+valid\/runs\s+adherence\s+pass\s+KLD mean\s+same top/);
    expect(run.stdout).toMatch(/^f32\s.*\sref\s+ref\s/m);
    expect(run.stdout).toMatch(/kld\s+against f32 over the reference solutions of 6 builtin tasks/);
  }, 240_000);
});
