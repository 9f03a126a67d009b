/**
 * The exact words and picks of the frontier, the recommendation and the safe context ceiling over rows
 * built field by field, so every null, tie and limit is the one the test names: the sentences a user
 * reads are asserted whole, and the formatting helpers at their boundaries.
 */
import { describe, expect, it } from "vitest";
import type { SweepRow } from "../../spec/lab.js";
import {
  efficiencyFrontier,
  excludedSentence,
  type FrontierOptions,
  formatBytes,
  ratio,
  recommend,
  recommendContext,
  safeContextCeiling,
  seconds,
  stabilityKpis,
} from "./frontier.js";
import type { SweepRunFacts } from "./sweep-row.js";

/** A valid row: every measure known unless overridden. */
function row(tag: string, fields: Partial<SweepRow> = {}): SweepRow {
  return {
    quant_tag: tag,
    model_ref: `gguf/${tag}.gguf`,
    model_size_bytes: 1024,
    adherence_score: 1,
    pass_rate: 1,
    total_latency: 1,
    init_latency: 0.2,
    peak_memory_rss: 500,
    generation_tokens_per_second: 40,
    orchestration_overhead_ratio: 0.1,
    run_quality_status: "CLEAN",
    run_quality_reasons: [],
    valid: true,
    test_runs: 2,
    valid_runs: 2,
    report_path: null,
    hardware_sidecar: null,
    guards: [],
    null_reasons: {},
    ...fields,
  };
}

/** A row none of whose runs counted: its aggregates are null, its all-runs view is not. */
function invalid(tag: string, reasons: string[], fields: Partial<SweepRow> = {}): SweepRow {
  return row(tag, {
    adherence_score: null,
    pass_rate: null,
    total_latency: null,
    init_latency: null,
    peak_memory_rss: null,
    generation_tokens_per_second: null,
    orchestration_overhead_ratio: null,
    run_quality_status: "POLLUTED",
    run_quality_reasons: reasons,
    valid: false,
    valid_runs: 0,
    all_runs: { adherence_score: 0.99, pass_rate: 1, total_latency: 0.5 },
    ...fields,
  });
}

function fact(fields: Partial<SweepRunFacts> = {}): SweepRunFacts {
  return {
    row: "a",
    task_id: "t1",
    counted: true,
    polluted: false,
    errored: false,
    reasons: [],
    output_hash: "h",
    telemetry_missing: false,
    ...fields,
  };
}

const OPTIONS: FrontierOptions = { adherenceThreshold: 0.9, latencyCeiling: null };

describe("efficiency frontier, in words", () => {
  it("names the minimum viable and best value rows and why every other row was left out", () => {
    const rows = [
      row("q8_0", { model_size_bytes: 8e9, adherence_score: 0.95, total_latency: 3.4 }),
      row("q4_K_M", { model_size_bytes: 4.7e9, adherence_score: 0.94, total_latency: 2.1 }),
      row("q3_K_S", { model_size_bytes: 3.5e9, adherence_score: 0.85, total_latency: 1.5 }),
      invalid("q2_K", ["MODEL_SPILLED_TO_CPU"]),
    ];
    expect(efficiencyFrontier(rows, OPTIONS)).toStrictEqual({
      minimum_viable_quant: "q4_K_M",
      best_value_quant: "q4_K_M",
      adherence_threshold: 0.9,
      latency_ceiling: null,
      reason:
        "Minimum viable: q4_K_M (the smallest meeting adherence 0.90, 4.38 GiB); best value: q4_K_M (the fastest meeting it: 2.1 s median). Left out: q8_0: meets the threshold, but another row is smaller or faster; q3_K_S: adherence 0.85 is below the 0.90 threshold; q2_K: no valid run (2 made, all excluded: MODEL_SPILLED_TO_CPU).",
      pareto: ["q8_0", "q4_K_M", "q3_K_S"],
    });
  });

  it("holds rows against the latency ceiling, a row on the ceiling or the threshold being inside", () => {
    const rows = [
      row("small", { model_size_bytes: 2 * 2 ** 20, adherence_score: 0.92, total_latency: 1.9 }),
      row("fast", { model_size_bytes: 5e9, adherence_score: 0.99, total_latency: 0.5 }),
      row("weak", { model_size_bytes: 1536, adherence_score: 0.5, total_latency: 0.3 }),
      row("slow", { model_size_bytes: 3e9, adherence_score: 0.95, total_latency: 2.5 }),
      row("untimed", { model_size_bytes: 3e9, adherence_score: 0.95, total_latency: null }),
      row("edge", { model_size_bytes: 3e9, adherence_score: 0.9, total_latency: 2 }),
    ];
    const frontier = efficiencyFrontier(rows, { ...OPTIONS, latencyCeiling: 2 });
    expect(frontier).toMatchObject({
      minimum_viable_quant: "small",
      best_value_quant: "fast",
      latency_ceiling: 2,
      pareto: ["fast", "weak"],
    });
    expect(frontier.reason).toBe(
      "Minimum viable: small (the smallest meeting adherence 0.90, 2.0 MiB); best value: fast (the fastest meeting it within 2.0 s: 0.500 s median). Left out: weak: adherence 0.50 is below the 0.90 threshold; slow: median 2.5 s is over the 2.0 s ceiling; untimed: no median latency to hold against the ceiling; edge: meets the threshold, but another row is smaller or faster.",
    );
    expect(recommend(rows, frontier, [])).toBe(
      "Use fast: adherence 0.99 at 0.500 s median, 80 % faster than slow with 0.04 higher adherence; weak fell below the 0.90 threshold; slow exceeded the 2.0 s latency ceiling; untimed exceeded the 2.0 s latency ceiling.",
    );
  });

  it("picks a row exactly on the threshold and exactly on the ceiling", () => {
    const rows = [
      row("edge", { model_size_bytes: 1024, adherence_score: 0.9, total_latency: 1 }),
      row("better", { model_size_bytes: 2048, adherence_score: 0.95, total_latency: 1 }),
    ];
    const frontier = efficiencyFrontier(rows, { ...OPTIONS, latencyCeiling: 1 });
    expect(frontier).toMatchObject({ minimum_viable_quant: "edge", best_value_quant: "edge" });
    expect(frontier.reason).toBe(
      "Minimum viable: edge (the smallest meeting adherence 0.90, 1.0 KiB); best value: edge (the fastest meeting it within 1.0 s: 1.0 s median). Left out: better: meets the threshold, but another row is smaller or faster.",
    );
  });

  it("says so when the smallest row meeting the threshold is over the ceiling, its size unknown", () => {
    const rows = [
      row("unsized", { model_size_bytes: null, adherence_score: 0.95, total_latency: 3 }),
      row("weak", { model_size_bytes: 1, adherence_score: 0.5, total_latency: 1 }),
    ];
    const frontier = efficiencyFrontier(rows, { ...OPTIONS, latencyCeiling: 2 });
    expect(frontier).toMatchObject({ minimum_viable_quant: "unsized", best_value_quant: null });
    expect(frontier.reason).toBe(
      "Minimum viable: unsized (the smallest meeting adherence 0.90, size unknown); none meeting it is within the 2.0 s latency ceiling. Left out: weak: adherence 0.50 is below the 0.90 threshold.",
    );
    expect(recommend(rows, frontier, [])).toBe(
      "No recommendation: no quantization meets both the 0.90 adherence threshold and the 2.0 s latency ceiling; the smallest meeting the threshold, unsized, takes 3.0 s median.",
    );
  });

  it("names the most adherent row when none meets the threshold, ceiling or not", () => {
    const rows = [
      row("worst", { adherence_score: 0.3 }),
      row("closest", { adherence_score: 0.5 }),
      invalid("empty", [], { test_runs: 0 }),
    ];
    for (const latencyCeiling of [null, 2]) {
      const frontier = efficiencyFrontier(rows, { ...OPTIONS, latencyCeiling });
      expect(frontier).toMatchObject({ minimum_viable_quant: null, best_value_quant: null });
      expect(frontier.reason).toBe(
        "No valid row meets adherence 0.90. Left out: worst: adherence 0.30 is below the 0.90 threshold; closest: adherence 0.50 is below the 0.90 threshold; empty: no valid run (0 made, all excluded).",
      );
      expect(recommend(rows, frontier, [])).toBe(
        "No recommendation: no quantization reached the 0.90 adherence threshold (best: closest at 0.50).",
      );
    }
  });

  it("says no valid run produced code when the only valid rows have no adherence", () => {
    const rows = [row("silent", { adherence_score: null }), invalid("spilled", ["MODEL_SPILLED_TO_CPU"])];
    const frontier = efficiencyFrontier(rows, OPTIONS);
    expect(frontier.pareto).toEqual([]);
    expect(recommend(rows, frontier, [], { noun: "context size" })).toBe(
      "No recommendation: no context size reached the 0.90 adherence threshold (no valid run produced code).",
    );
  });

  it("lists nothing left out when the one row is the pick", () => {
    const rows = [row("only")];
    const frontier = efficiencyFrontier(rows, OPTIONS);
    expect(frontier.reason).toBe(
      "Minimum viable: only (the smallest meeting adherence 0.90, 1.0 KiB); best value: only (the fastest meeting it: 1.0 s median).",
    );
    expect(recommend(rows, frontier, [])).toBe("Use only: adherence 1.00 at 1.0 s median.");
  });

  it("never counts a row without adherence as meeting a zero threshold", () => {
    const rows = [
      invalid("spilled", ["COLD_MODEL_LOAD"], { model_size_bytes: 1024 }),
      row("silent", { model_size_bytes: 2048, adherence_score: null, total_latency: 0.5 }),
      row("low", { model_size_bytes: 3072, adherence_score: 0.2, total_latency: 1 }),
    ];
    const frontier = efficiencyFrontier(rows, { ...OPTIONS, adherenceThreshold: 0 });
    expect(frontier).toMatchObject({
      minimum_viable_quant: "low",
      best_value_quant: "low",
      pareto: ["low"],
    });
    expect(frontier.reason).toBe(
      "Minimum viable: low (the smallest meeting adherence 0.00, 3.0 KiB); best value: low (the fastest meeting it: 1.0 s median). Left out: spilled: no valid run (2 made, all excluded: COLD_MODEL_LOAD); silent: no adherence (no valid run produced code).",
    );
    expect(recommend(rows, frontier, [])).toBe(
      "Use low: adherence 0.20 at 1.0 s median; spilled had no valid run; silent produced no code.",
    );
  });

  it("keeps on the Pareto front only rows nothing beats on both adherence and latency", () => {
    const rows = [
      row("a", { adherence_score: 1, total_latency: 2 }),
      row("b", { adherence_score: 0.95, total_latency: 2 }),
      row("c", { adherence_score: 0.8, total_latency: 1 }),
      row("d", { adherence_score: 0.8, total_latency: 1.5 }),
      row("e", { adherence_score: 0.8, total_latency: 1 }),
    ];
    expect(efficiencyFrontier(rows, OPTIONS).pareto).toEqual(["a", "c", "e"]);
  });

  it("shows an invalid row in the Pareto view by its runs when asked, and says it is never picked", () => {
    const rows = [
      row("valid", { adherence_score: 0.95, total_latency: 2 }),
      invalid("cold", ["COLD_MODEL_LOAD"]),
      invalid("loaded", ["HIGH_SYSTEM_LOAD", "MODEL_SPILLED_TO_CPU"]),
    ];
    const frontier = efficiencyFrontier(rows, { ...OPTIONS, includeInvalid: true });
    expect(frontier).toMatchObject({
      minimum_viable_quant: "valid",
      best_value_quant: "valid",
      pareto: ["cold", "loaded"],
      shown_invalid: ["cold", "loaded"],
    });
    expect(frontier.reason).toBe(
      "Minimum viable: valid (the smallest meeting adherence 0.90, 1.0 KiB); best value: valid (the fastest meeting it: 2.0 s median). Left out: cold: no valid run (2 made, all excluded: COLD_MODEL_LOAD); loaded: no valid run (2 made, all excluded: HIGH_SYSTEM_LOAD, MODEL_SPILLED_TO_CPU). --include-invalid lets cold, loaded into the Pareto view by all their runs; an invalid row is never picked.",
    );
  });
});

describe("recommendation against the most adherent alternative", () => {
  const say = (rows: SweepRow[]) => recommend(rows, efficiencyFrontier(rows, OPTIONS), []);

  it("compares with the most adherent other row, the larger one on a tie", () => {
    expect(
      say([
        row("chosen", { adherence_score: 0.92, model_size_bytes: 1, total_latency: 1 }),
        row("r1", { adherence_score: 0.95, model_size_bytes: 9, total_latency: 3 }),
        row("r2", { adherence_score: 0.97, model_size_bytes: 2, total_latency: 4 }),
        row("r3", { adherence_score: 0.97, model_size_bytes: 8, total_latency: 4 }),
      ]),
    ).toBe("Use chosen: adherence 0.92 at 1.0 s median, 75 % faster than r3 with 0.05 lower adherence.");
  });

  it("says when the pick is also the most adherent, equally adherent or as fast", () => {
    expect(say([row("a", { total_latency: 1 }), row("b", { adherence_score: 0.95, total_latency: 2 })])).toBe(
      "Use a: adherence 1.00 at 1.0 s median, 50 % faster than b with 0.05 higher adherence.",
    );
    expect(say([row("a", { total_latency: 1 }), row("b", { total_latency: 2 })])).toBe(
      "Use a: adherence 1.00 at 1.0 s median, 50 % faster than b with equal adherence.",
    );
    expect(say([row("a", { total_latency: 2 }), row("b", { total_latency: 2.004 })])).toBe(
      "Use a: adherence 1.00 at 2.0 s median, as fast as b with equal adherence.",
    );
  });

  it("gives no percentage without two latencies to compare", () => {
    expect(
      say([
        row("instant", { adherence_score: 0.95, total_latency: 0 }),
        row("also", { adherence_score: 1, total_latency: 0 }),
      ]),
    ).toBe("Use instant: adherence 0.95 at 0.000 s median, compared with also with 0.05 lower adherence.");
    expect(
      say([
        row("timed", { adherence_score: 0.92, total_latency: 1 }),
        row("untimed", { adherence_score: 0.99, total_latency: null }),
      ]),
    ).toBe("Use timed: adherence 0.92 at 1.0 s median, compared with untimed with 0.07 lower adherence.");
  });
});

describe("excluded runs, in a sentence", () => {
  const polluted = (reasons: string[], errored = false) =>
    fact({ counted: false, polluted: true, errored, reasons });
  const errored = () => fact({ counted: false, errored: true });

  it("is empty when every run counted", () => {
    expect(excludedSentence([])).toBe("");
    expect(excludedSentence([fact(), fact()])).toBe("");
  });

  it("lists the pollution reasons once each, sorted", () => {
    expect(
      excludedSentence([
        polluted(["HIGH_SYSTEM_LOAD"]),
        polluted(["COLD_MODEL_LOAD"]),
        polluted(["HIGH_SYSTEM_LOAD"]),
      ]),
    ).toBe(" 3 of 3 runs were excluded as POLLUTED (COLD_MODEL_LOAD, HIGH_SYSTEM_LOAD).");
    // A polluted run that also errored is counted as polluted.
    expect(excludedSentence([fact(), polluted(["COLD_MODEL_LOAD"], true)])).toBe(
      " 1 of 2 runs was excluded as POLLUTED (COLD_MODEL_LOAD).",
    );
  });

  it("counts runs that ended in an error, alone or beside polluted ones", () => {
    expect(excludedSentence([fact(), errored()])).toBe(" 1 of 2 runs was excluded: it ended in an error.");
    expect(excludedSentence([fact(), errored(), errored()])).toBe(
      " 2 of 3 runs were excluded: they ended in an error.",
    );
    expect(excludedSentence([fact(), errored(), polluted(["COLD_MODEL_LOAD"]), errored()])).toBe(
      " 3 of 4 runs were excluded: 1 POLLUTED (COLD_MODEL_LOAD), 2 ended in an error.",
    );
  });
});

describe("stability KPIs", () => {
  it("rate determinism as the share of repeated (row, task) pairs whose outputs all agree", () => {
    const facts = [
      fact({ row: "a", task_id: "t1", output_hash: "x" }),
      fact({ row: "a", task_id: "t1", output_hash: "x" }),
      fact({ row: "a", task_id: "t2", output_hash: "y" }),
      fact({ row: "a", task_id: "t2", output_hash: "y" }),
      fact({ row: "b", task_id: "t1", output_hash: "x" }),
      fact({ row: "b", task_id: "t1", output_hash: "z" }),
      fact({ row: "b", task_id: "t2", output_hash: "w" }),
    ];
    expect(stabilityKpis([], facts, 0.9)).toEqual({
      determinism_rate: 0.667,
      missing_telemetry_rate: 0,
      polluted_run_rate: 0,
      frontier_success_rate: null,
    });
  });
});

describe("formatting", () => {
  it("writes ratios with two decimals, three when two would hide a difference", () => {
    expect(ratio(0.9)).toBe("0.90");
    expect(ratio(1)).toBe("1.00");
    expect(ratio(0.905)).toBe("0.905");
    expect(ratio(0.12345)).toBe("0.123");
  });

  it("writes seconds with one decimal from a second up, else three", () => {
    expect(seconds(null)).toBe("unknown time");
    expect(seconds(1)).toBe("1.0 s");
    expect(seconds(12.34)).toBe("12.3 s");
    expect(seconds(0.9994)).toBe("0.999 s");
  });

  it("writes bytes in GiB, MiB or KiB", () => {
    expect(formatBytes(2 ** 30)).toBe("1.00 GiB");
    expect(formatBytes(4.7e9)).toBe("4.38 GiB");
    expect(formatBytes(2 ** 30 - 2 ** 20)).toBe("1023.0 MiB");
    expect(formatBytes(2 ** 20)).toBe("1.0 MiB");
    expect(formatBytes(2 ** 20 - 1024)).toBe("1023.0 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });
});

describe("safe context ceiling, in words", () => {
  const ctx = (size: number, fields: Partial<SweepRow> = {}) =>
    row(String(size), { context_size: size, ...fields });

  it("judges every sized row in context order against every limit; a row on a limit passes", () => {
    const rows = [
      ctx(8192, { adherence_score: 0.93, init_latency: 3.1, generation_tokens_per_second: 30 }),
      row("q4_K_M"),
      ctx(4096, { adherence_score: 0.9, init_latency: 2, generation_tokens_per_second: 35 }),
      invalid("16384", ["MODEL_SPILLED_TO_CPU"], { context_size: 16384 }),
      ctx(2048, { adherence_score: 0.95, init_latency: 0.3, generation_tokens_per_second: 50 }),
      ctx(3072, { adherence_score: null, generation_tokens_per_second: null }),
      ctx(6144, { adherence_score: 0.85 }),
      ctx(12288, { init_latency: null }),
    ];
    const ceiling = safeContextCeiling(rows, { adherenceFloor: 0.9, firstTokenCeiling: 2, decodeFloor: 35 });
    expect(ceiling).toEqual({
      context_size: 4096,
      adherence_floor: 0.9,
      first_token_ceiling: 2,
      decode_floor: 35,
      reason:
        "4096 tokens is the largest context meeting every limit (adherence ≥ 0.90, first token ≤ 2.0 s, decode ≥ 35.0 tok/s). Missed: 3072: no adherence (no valid run produced code), decode speed unknown; 6144: adherence 0.85 is below the 0.90 floor; 8192: first token 3.1 s is over the 2.0 s ceiling, decode 30.0 tok/s is under the 35.0 tok/s floor; 12288: first-token latency unknown; 16384: no valid run (2 made, all excluded: MODEL_SPILLED_TO_CPU).",
    });
    expect(recommendContext(rows, ceiling, [])).toBe(
      "Use a context of at most 4096 tokens: adherence 0.90, first token 2.0 s, decode 35.0 tok/s; 8192, 16384, 6144, 12288 missed a limit.",
    );
  });

  it("needs no measure a limit does not ask for", () => {
    const rows = [
      ctx(2048, { adherence_score: 0.95, init_latency: 0.3, generation_tokens_per_second: 50 }),
      ctx(1024, { adherence_score: null, init_latency: null, generation_tokens_per_second: null }),
    ];
    const ceiling = safeContextCeiling(rows, {
      adherenceFloor: 0,
      firstTokenCeiling: null,
      decodeFloor: null,
    });
    expect(ceiling.context_size).toBe(2048);
    expect(ceiling.reason).toBe(
      "2048 tokens is the largest context meeting every limit (no adherence floor).",
    );
    expect(recommendContext(rows, ceiling, [])).toBe(
      "Use a context of at most 2048 tokens: adherence 0.95, first token 0.300 s, decode 50.0 tok/s.",
    );
    const noLimits = { adherenceFloor: 0, firstTokenCeiling: null, decodeFloor: null };
    const bare = [rows[1] as SweepRow];
    expect(recommendContext(bare, safeContextCeiling(bare, noLimits), [])).toBe(
      "Use a context of at most 1024 tokens.",
    );
    const partial = [ctx(1024, { adherence_score: null })];
    expect(recommendContext(partial, safeContextCeiling(partial, noLimits), [])).toBe(
      "Use a context of at most 1024 tokens: first token 0.200 s, decode 40.0 tok/s.",
    );
  });

  it("recommends nothing when no context meets the limits or no row names a size", () => {
    const rows = [ctx(2048, { adherence_score: 0.95 }), ctx(1024, { adherence_score: 0.97 })];
    const none = safeContextCeiling(rows, {
      adherenceFloor: 0.99,
      firstTokenCeiling: null,
      decodeFloor: null,
    });
    expect(none.context_size).toBeNull();
    expect(none.reason).toBe(
      "No context size meets every limit (adherence ≥ 0.99). Missed: 1024: adherence 0.97 is below the 0.99 floor; 2048: adherence 0.95 is below the 0.99 floor.",
    );
    expect(recommendContext(rows, none, [fact(), fact({ counted: false, errored: true })])).toBe(
      "No recommendation: no context size meets every limit (adherence ≥ 0.99). Missed: 1024: adherence 0.97 is below the 0.99 floor; 2048: adherence 0.95 is below the 0.99 floor. 1 of 2 runs was excluded: it ended in an error.",
    );
    const unsized = [row("q4_K_M"), row("unknown", { context_size: null })];
    const nothing = safeContextCeiling(unsized, {
      adherenceFloor: 0,
      firstTokenCeiling: null,
      decodeFloor: null,
    });
    expect(nothing).toEqual({
      context_size: null,
      adherence_floor: 0,
      first_token_ceiling: null,
      decode_floor: null,
      reason: "No row names a context size.",
    });
    expect(recommendContext(unsized, nothing, [])).toBe("No recommendation: no row names a context size.");
  });
});
