/**
 * The sweep's judgments over constructed rows: aggregates, frontier, recommendation and KPIs ignore
 * excluded runs; `includeInvalid` moves only the Pareto view; ties, ceilings, the safe context and the
 * canary behave as documented.
 */
import { describe, expect, it } from "vitest";
import type { SweepRow } from "../../spec/lab.js";
import type { TestRun } from "../../spec/report.js";
import { isValidRun } from "../bench/valid-run-policy.js";
import { CANARY_THRESHOLDS, type CanaryRun, judgeCanary } from "./canary.js";
import {
  efficiencyFrontier,
  type FrontierOptions,
  recommend,
  recommendContext,
  safeContextCeiling,
  stabilityKpis,
} from "./frontier.js";
import { aggregateSweepRow, type SweepRowInput, type SweepRunFacts, sweepRunFacts } from "./sweep-row.js";

interface RunSpec {
  task?: string;
  adherence?: number | null;
  latency?: number;
  init?: number | null;
  tps?: number | null;
  rss?: number | null;
  reasons?: string[];
  outcome?: TestRun["outcome"];
  hash?: string;
}

let counter = 0;
function run(spec: RunSpec = {}): TestRun {
  const reasons = spec.reasons ?? [];
  const load = { cpu_percent: 5, load_1m: 0.1, core_count: 8 };
  return {
    test_id: `${spec.task ?? "t1"}#${counter}`,
    task_id: spec.task ?? "t1",
    run_index: counter++,
    outcome: spec.outcome ?? "pass",
    output_hash: spec.hash ?? "same",
    telemetry: {
      init_latency: spec.init === undefined ? 0.2 : spec.init,
      total_latency: spec.latency ?? 1,
      peak_memory_rss: spec.rss === undefined ? 500 : spec.rss,
      adherence_score: spec.adherence === undefined ? 1 : spec.adherence,
      token_metrics: {
        status: "OK",
        counts: { prompt_tokens: 10, output_tokens: 20, total_tokens: 30 },
        latencies: { load_seconds: 0, prefill_seconds: 0.1, decode_seconds: 0.5 },
        throughput: { prompt_tokens_per_second: 100, generation_tokens_per_second: spec.tps ?? 40 },
        timing_source: "embedded",
        cached_prompt_tokens: 0,
      },
      internal_model_seconds: (spec.latency ?? 1) * 0.9,
      orchestration_overhead_ratio: 0.1,
      run_quality_status: reasons.length ? "POLLUTED" : "CLEAN",
      run_quality_reasons: reasons,
      system_load_start: load,
      system_load_end: load,
      constraint_validation: { passed_checks: 1, total_checks: 1, checks: [] },
      evaluation: null,
      extraction: { source: "fenced", reason: null },
      model_calls: 1,
      error: spec.outcome === "error" ? { code: "SERVER_ERROR", message: "boom" } : null,
      null_reasons: {},
      execution_lane: "ci",
      vram_profile: "safe",
    },
  };
}

interface Built {
  rows: SweepRow[];
  facts: SweepRunFacts[];
}

function build(
  specs: Array<{
    tag: string;
    size?: number | null;
    runs: TestRun[];
    rowPollution?: string[];
    context?: number;
  }>,
): Built {
  const rows: SweepRow[] = [];
  const facts: SweepRunFacts[] = [];
  for (const s of specs) {
    const input: SweepRowInput = {
      quantTag: s.tag,
      modelRef: `gguf/${s.tag}.gguf`,
      ...(s.context === undefined ? {} : { contextSize: s.context }),
      modelSizeBytes: s.size === undefined ? 1000 : s.size,
      runs: s.runs,
      isValid: isValidRun,
      rowPollution: s.rowPollution ?? [],
      reportPath: `/tmp/${s.tag}/orket_report.json`,
      sidecar: null,
      guards: [],
    };
    rows.push(aggregateSweepRow(input));
    facts.push(...sweepRunFacts(input));
  }
  return { rows, facts };
}

const rowsOf = (adherence: number, latency: number, n = 2, extra: RunSpec = {}) =>
  Array.from({ length: n }, () => run({ adherence, latency, ...extra }));
const OPTIONS: FrontierOptions = { adherenceThreshold: 0.9, latencyCeiling: null };

/** The brief's example: q4_K_M is almost as good as q8_0 and much faster; q3_K_S misses the threshold. */
function example(extraQ8: TestRun[] = []): Built {
  return build([
    { tag: "q8_0", size: 8e9, runs: [...rowsOf(0.95, 3.4), ...extraQ8] },
    { tag: "q4_K_M", size: 4.7e9, runs: rowsOf(0.94, 2.1) },
    { tag: "q3_K_S", size: 3.5e9, runs: rowsOf(0.85, 1.5) },
  ]);
}

describe("sweep rows", () => {
  it("aggregate valid runs only and list every excluded run's reasons", () => {
    const { rows } = build([
      {
        tag: "q8_0",
        runs: [
          run({ adherence: 1, latency: 2 }),
          run({ adherence: 0.5, latency: 4, rss: 900 }),
          run({ adherence: 0, latency: 30, rss: 5000, reasons: ["COLD_MODEL_LOAD"] }),
          run({ adherence: null, latency: 1, outcome: "error" }),
        ],
      },
    ]);
    expect(rows[0]).toMatchObject({
      adherence_score: 0.75,
      pass_rate: 1,
      total_latency: 3,
      peak_memory_rss: 900,
      run_quality_status: "POLLUTED",
      run_quality_reasons: ["COLD_MODEL_LOAD", "RUN_ERROR"],
      valid: true,
      test_runs: 4,
      valid_runs: 2,
      all_runs: { adherence_score: 0.5, pass_rate: 0.75, total_latency: 3 },
    });
  });

  it("count no run of a row polluted as a whole, and give a reason for every null", () => {
    const { rows, facts } = build([
      { tag: "q8_0", size: null, runs: rowsOf(1, 2), rowPollution: ["MODEL_SPILLED_TO_CPU"] },
    ]);
    const row = rows[0] as SweepRow;
    expect(row).toMatchObject({ valid: false, valid_runs: 0, adherence_score: null, total_latency: null });
    expect(row.run_quality_reasons).toEqual(["MODEL_SPILLED_TO_CPU"]);
    expect(row.null_reasons.adherence_score).toMatch(
      /no valid run: 2 made, all excluded \(MODEL_SPILLED_TO_CPU\)/,
    );
    expect(row.null_reasons.model_size_bytes).toMatch(/unknown/);
    expect(facts.every((f) => f.polluted && !f.counted)).toBe(true);
  });
});

describe("efficiency frontier and recommendation", () => {
  it("recommend the fastest row meeting the threshold against the most adherent one, in plain words", () => {
    const { rows, facts } = example();
    const frontier = efficiencyFrontier(rows, OPTIONS);
    expect(frontier).toMatchObject({ minimum_viable_quant: "q4_K_M", best_value_quant: "q4_K_M" });
    expect(frontier.pareto).toEqual(["q8_0", "q4_K_M", "q3_K_S"]);
    expect(frontier.reason).toMatch(/q3_K_S: adherence 0\.85 is below the 0\.90 threshold/);
    expect(recommend(rows, frontier, facts)).toBe(
      "Use q4_K_M: adherence 0.94 at 2.1 s median, 38 % faster than q8_0 with 0.01 lower adherence; q3_K_S fell below the 0.90 threshold.",
    );
  });

  it("do not let polluted runs move aggregates, picks, the recommendation or the KPIs", () => {
    const clean = example();
    const polluted = example([
      run({ adherence: 0, latency: 0.1, reasons: ["COLD_MODEL_LOAD"], hash: "other" }),
      run({ adherence: 0, latency: 0.1, reasons: ["HIGH_SYSTEM_LOAD"], hash: "other" }),
    ]);
    const pick = (r: SweepRow) => ({
      adherence: r.adherence_score,
      latency: r.total_latency,
      memory: r.peak_memory_rss,
      valid: r.valid,
    });
    expect(polluted.rows.map(pick)).toEqual(clean.rows.map(pick));
    const fClean = efficiencyFrontier(clean.rows, OPTIONS);
    const fPolluted = efficiencyFrontier(polluted.rows, OPTIONS);
    expect(fPolluted.minimum_viable_quant).toBe(fClean.minimum_viable_quant);
    expect(fPolluted.best_value_quant).toBe(fClean.best_value_quant);
    expect(fPolluted.pareto).toEqual(fClean.pareto);
    expect(recommend(polluted.rows, fPolluted, polluted.facts)).toBe(
      `${recommend(clean.rows, fClean, clean.facts)} 2 of 8 runs were excluded as POLLUTED (COLD_MODEL_LOAD, HIGH_SYSTEM_LOAD).`,
    );
    const kClean = stabilityKpis(clean.rows, clean.facts, 0.9);
    const kPolluted = stabilityKpis(polluted.rows, polluted.facts, 0.9);
    expect(kPolluted.determinism_rate).toBe(kClean.determinism_rate);
    expect(kPolluted.frontier_success_rate).toBe(kClean.frontier_success_rate);
    // The data-quality rates count every run by definition.
    expect(kClean.polluted_run_rate).toBe(0);
    expect(kPolluted.polluted_run_rate).toBe(0.25);
  });

  it("let --include-invalid change the Pareto view and nothing else", () => {
    const base = example();
    const invalid = build([
      { tag: "q2_K", size: 2e9, runs: rowsOf(0.99, 0.5, 2, { reasons: ["COLD_MODEL_LOAD"] }) },
    ]);
    const all = [...base.rows, ...invalid.rows];
    const allFacts = [...base.facts, ...invalid.facts];
    const off = efficiencyFrontier(all, OPTIONS);
    const on = efficiencyFrontier(all, { ...OPTIONS, includeInvalid: true });
    expect(off.pareto).toEqual(["q8_0", "q4_K_M", "q3_K_S"]);
    expect(on.pareto).toEqual(["q2_K"]);
    expect(on.shown_invalid).toEqual(["q2_K"]);
    expect(on.reason).toMatch(/--include-invalid lets q2_K into the Pareto view/);
    expect({ ...on, pareto: off.pareto, reason: off.reason, shown_invalid: undefined }).toEqual({
      ...off,
      shown_invalid: undefined,
    });
    expect(recommend(all, on, allFacts)).toBe(recommend(all, off, allFacts));
    expect(recommend(all, on, allFacts)).toMatch(
      /^Use q4_K_M: .*; q2_K had no valid run\. 2 of 8 runs were excluded/,
    );
  });

  it("say so when no row is valid, and leave the KPIs that need valid rows null", () => {
    const { rows, facts } = build([
      { tag: "q8_0", runs: rowsOf(1, 2, 2, { reasons: ["HIGH_SYSTEM_LOAD"] }) },
      { tag: "q4_0", runs: rowsOf(1, 1, 2, { reasons: ["HIGH_SYSTEM_LOAD"] }) },
    ]);
    const frontier = efficiencyFrontier(rows, OPTIONS);
    expect(frontier).toMatchObject({ minimum_viable_quant: null, best_value_quant: null, pareto: [] });
    expect(frontier.reason).toMatch(/^No valid row meets adherence 0\.90\. Left out: q8_0: no valid run/);
    expect(recommend(rows, frontier, facts)).toBe(
      "No recommendation: no quantization had a valid run. 4 of 4 runs were excluded as POLLUTED (HIGH_SYSTEM_LOAD).",
    );
    expect(stabilityKpis(rows, facts, 0.9)).toEqual({
      determinism_rate: null,
      missing_telemetry_rate: 0,
      polluted_run_rate: 1,
      frontier_success_rate: null,
    });
    expect(recommend([], efficiencyFrontier([], OPTIONS), [])).toBe(
      "No recommendation: the sweep has no rows.",
    );
  });

  it("break ties by memory, then size, then the order given", () => {
    const { rows } = build([
      { tag: "a", size: 5, runs: rowsOf(1, 2, 2, { rss: 800 }) },
      { tag: "b", size: 5, runs: rowsOf(1, 2, 2, { rss: 600 }) },
      { tag: "c", size: 5, runs: rowsOf(1, 2, 2, { rss: 600 }) },
    ]);
    const frontier = efficiencyFrontier(rows, OPTIONS);
    expect(frontier.minimum_viable_quant).toBe("b");
    expect(frontier.best_value_quant).toBe("b");
    expect(frontier.pareto).toEqual(["a", "b", "c"]);
    const { rows: sized } = build([
      { tag: "big", size: 9, runs: rowsOf(1, 1) },
      { tag: "small", size: 3, runs: rowsOf(1, 2) },
      { tag: "unknown", size: null, runs: rowsOf(1, 1) },
    ]);
    const f = efficiencyFrontier(sized, OPTIONS);
    expect(f).toMatchObject({
      minimum_viable_quant: "small",
      best_value_quant: "big",
      pareto: ["big", "unknown"],
    });
  });

  it("hold the latency ceiling against the most adherent row, and say when nothing fits under it", () => {
    const { rows, facts } = build([
      { tag: "q8_0", size: 8, runs: rowsOf(1, 3) },
      { tag: "q4_K_M", size: 4, runs: rowsOf(0.92, 1.8) },
      { tag: "q2_K", size: 2, runs: rowsOf(0.5, 0.4) },
    ]);
    const frontier = efficiencyFrontier(rows, { ...OPTIONS, latencyCeiling: 2 });
    expect(frontier).toMatchObject({
      minimum_viable_quant: "q4_K_M",
      best_value_quant: "q4_K_M",
      latency_ceiling: 2,
    });
    expect(frontier.reason).toMatch(/q8_0: median 3\.0 s is over the 2\.0 s ceiling/);
    expect(recommend(rows, frontier, facts)).toBe(
      "Use q4_K_M: adherence 0.92 at 1.8 s median, 40 % faster than q8_0 with 0.08 lower adherence; q2_K fell below the 0.90 threshold; q8_0 exceeded the 2.0 s latency ceiling.",
    );
    const tight = efficiencyFrontier(rows, { ...OPTIONS, latencyCeiling: 1 });
    expect(tight).toMatchObject({ minimum_viable_quant: "q4_K_M", best_value_quant: null });
    expect(recommend(rows, tight, facts)).toBe(
      "No recommendation: no quantization meets both the 0.90 adherence threshold and the 1.0 s latency ceiling; the smallest meeting the threshold, q4_K_M, takes 1.8 s median.",
    );
  });

  it("name the closest row when none reaches the threshold, and count runs that ended in an error", () => {
    const { rows, facts } = build([
      { tag: "q8_0", runs: [...rowsOf(0.85, 2), run({ outcome: "error", adherence: null })] },
      { tag: "q4_0", runs: rowsOf(0.5, 1) },
      { tag: "noise", runs: rowsOf(0, 1, 2, { adherence: null }) },
    ]);
    const frontier = efficiencyFrontier(rows, OPTIONS);
    expect(recommend(rows, frontier, facts)).toBe(
      "No recommendation: no quantization reached the 0.90 adherence threshold (best: q8_0 at 0.85). 1 of 7 runs was excluded: it ended in an error.",
    );
    expect(frontier.reason).toMatch(/noise: no adherence \(no valid run produced code\)/);
    expect(stabilityKpis(rows, facts, 0.9).frontier_success_rate).toBe(0);
  });

  it("measure determinism over valid repeats and missing telemetry over every run", () => {
    const { rows, facts } = build([
      {
        tag: "a",
        runs: [
          run({ task: "t1", hash: "x" }),
          run({ task: "t1", hash: "x" }),
          run({ task: "t2", hash: "y" }),
        ],
      },
      {
        tag: "b",
        runs: [
          run({ task: "t1", hash: "x" }),
          run({ task: "t1", hash: "z" }),
          run({ task: "t2", hash: "w", init: null, reasons: ["COLD_MODEL_LOAD"] }),
          run({ task: "t2", hash: "w" }),
        ],
      },
    ]);
    expect(stabilityKpis(rows, facts, 0.9)).toEqual({
      determinism_rate: 0.5,
      missing_telemetry_rate: round(1 / 7),
      polluted_run_rate: round(1 / 7),
      frontier_success_rate: 1,
    });
  });
});

const round = (v: number) => Math.round(v * 1000) / 1000;

describe("safe context ceiling", () => {
  const contexts = () =>
    build([
      { tag: "2048", context: 2048, runs: rowsOf(0.95, 1, 2, { init: 0.3, tps: 50 }) },
      { tag: "4096", context: 4096, runs: rowsOf(0.95, 1.5, 2, { init: 0.8, tps: 42 }) },
      { tag: "8192", context: 8192, runs: rowsOf(0.93, 4, 2, { init: 3.1, tps: 30 }) },
      { tag: "16384", context: 16384, runs: rowsOf(0.9, 9, 2, { reasons: ["MODEL_SPILLED_TO_CPU"] }) },
    ]);

  it("is the largest valid context meeting every floor and ceiling", () => {
    const { rows, facts } = contexts();
    const ceiling = safeContextCeiling(rows, {
      adherenceFloor: 0.9,
      firstTokenCeiling: 2,
      decodeFloor: null,
    });
    expect(ceiling.context_size).toBe(4096);
    expect(ceiling.reason).toMatch(
      /^4096 tokens is the largest context meeting every limit \(adherence ≥ 0\.90, first token ≤ 2\.0 s\)/,
    );
    expect(ceiling.reason).toMatch(
      /8192: first token 3\.1 s is over the 2\.0 s ceiling; 16384: no valid run/,
    );
    expect(recommendContext(rows, ceiling, facts)).toBe(
      "Use a context of at most 4096 tokens: adherence 0.95, first token 0.800 s, decode 42.0 tok/s; 8192, 16384 missed a limit. 2 of 8 runs were excluded as POLLUTED (MODEL_SPILLED_TO_CPU).",
    );
    const decode = safeContextCeiling(rows, { adherenceFloor: 0.9, firstTokenCeiling: 2, decodeFloor: 45 });
    expect(decode.context_size).toBe(2048);
  });

  it("is null when no context meets the limits; an unknown measure fails its limit", () => {
    const { rows, facts } = contexts();
    const none = safeContextCeiling(rows, {
      adherenceFloor: 0.99,
      firstTokenCeiling: null,
      decodeFloor: null,
    });
    expect(none.context_size).toBeNull();
    expect(none.reason).toMatch(/^No context size meets every limit/);
    expect(recommendContext(rows, none, facts)).toMatch(
      /^No recommendation: no context size meets every limit/,
    );
    const unknown = build([
      { tag: "512", context: 512, runs: rowsOf(1, 1, 2, { init: null, adherence: null }) },
    ]);
    expect(
      safeContextCeiling(unknown.rows, { adherenceFloor: 0, firstTokenCeiling: 1, decodeFloor: null }).reason,
    ).toMatch(/512: first-token latency unknown/);
    // No adherence floor: a row without adherence (random weights produce no code) may still be safe.
    expect(
      safeContextCeiling(unknown.rows, { adherenceFloor: 0, firstTokenCeiling: null, decodeFloor: null })
        .context_size,
    ).toBe(512);
  });
});

describe("canary", () => {
  const c = (
    task: string,
    adherence: number | null,
    model_seconds: number | null,
    comparable = true,
  ): CanaryRun => ({
    task_id: task,
    adherence,
    model_seconds,
    errored: false,
    reasons: comparable ? [] : ["HIGH_SYSTEM_LOAD"],
  });

  it("passes repeats that agree, judging model time only above its floor", () => {
    const pass = judgeCanary([c("a", 1, 1.0), c("a", 1, 1.1), c("b", 0.5, 2), c("b", 0.5, 2.2)]);
    expect(pass).toMatchObject({ decision: "pass", adherence_spread: 0, model_time_cv: 0.048 });
    expect(pass.reason).toMatch(
      /repeatable over 2 tasks with repeats: adherence spread 0\.00 ≤ 0\.05, model time CV 0\.048 ≤ 0\.35/,
    );
    const fast = judgeCanary([c("a", null, 0.001), c("a", null, 0.004)]);
    expect(fast).toMatchObject({ decision: "pass", adherence_spread: 0, model_time_cv: 0.6 });
    expect(fast.reason).toMatch(/not judged under 0\.05 s per run/);
    // A run on a loaded machine is left out; the other task still decides.
    expect(judgeCanary([c("a", 1, 5, false), c("a", 1, 1), c("b", 1, 1), c("b", 1, 1.05)]).decision).toBe(
      "pass",
    );
    // A cold first repeat is what a first repeat is: it is still compared.
    const repeat = (reasons: string[]) => ({ ...c("a", 1, 1), reasons });
    expect(judgeCanary([repeat(["COLD_MODEL_LOAD"]), repeat([])]).decision).toBe("pass");
  });

  it("fails on adherence that differs, noisy model time, or nothing to compare", () => {
    const spread = judgeCanary([c("a", 1, 1), c("a", 0.5, 1)]);
    expect(spread).toMatchObject({ decision: "fail", adherence_spread: 0.5 });
    expect(spread.reason).toMatch(/adherence differed by 0\.50 between repeats of a \(limit 0\.05\)/);
    expect(judgeCanary([c("a", 1, 1), c("a", null, 1)]).adherence_spread).toBe(1);
    const noisy = judgeCanary([c("a", 1, 1), c("a", 1, 3)]);
    expect(noisy).toMatchObject({ decision: "fail", model_time_cv: 0.5 });
    expect(noisy.reason).toMatch(/CV of 0\.500 .*limit 0\.35/);
    const none = judgeCanary([c("a", 1, 1, false), c("a", 1, 1), c("b", 1, 1)]);
    expect(none.decision).toBe("fail");
    expect(none.reason).toMatch(
      /no canary task had two comparable repeats \(1 of 3 runs left out: HIGH_SYSTEM_LOAD\)/,
    );
    const failed = judgeCanary([c("a", 1, 1), { ...c("a", null, null), errored: true }]);
    expect(failed.reason).toMatch(/1 of 2 runs left out: RUN_ERROR/);
    expect(judgeCanary([]).decision).toBe("fail");
    expect(judgeCanary([c("a", 1, 1), c("a", 0.97, 1)], { ...CANARY_THRESHOLDS }).decision).toBe("pass");
  });
});
