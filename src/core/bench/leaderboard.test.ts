/** The leaderboard's pooling, its exact interval against known Clopper-Pearson values, and its order. */
import { describe, expect, it } from "vitest";
import { type HistoryFigures, leaderboard, passRateInterval, trend } from "./leaderboard.js";

function entry(
  model: string,
  passes: number,
  valid: number,
  extra: Partial<HistoryFigures> = {},
): HistoryFigures {
  return {
    generated_at: "2026-12-01T00:00:00.000Z",
    model_ref: model,
    quantization: "Q4_K_M",
    bank_name: "orket-builtin",
    bank_version: "1",
    host: "cpu",
    valid_runs: valid,
    passes,
    pass_rate: valid === 0 ? null : passes / valid,
    median_init_latency: 0.1,
    median_total_latency: 1,
    median_generation_tps: 50,
    peak_memory_rss: 500,
    ...extra,
  };
}

describe("passRateInterval", () => {
  it("is the exact Clopper-Pearson interval", () => {
    // R: binom.test(5, 10)$conf.int = 0.1870860 0.8129140; binom.test(0, 10) = 0 0.3084971.
    const half = passRateInterval(5, 10) as [number, number];
    expect(half[0]).toBeCloseTo(0.187086, 5);
    expect(half[1]).toBeCloseTo(0.812914, 5);
    const none = passRateInterval(0, 10) as [number, number];
    expect(none[0]).toBe(0);
    expect(none[1]).toBeCloseTo(0.3084971, 5);
    expect(passRateInterval(0, 0)).toBeNull();
  });
});

describe("leaderboard", () => {
  it("pools a model's reports, ranks by pass rate, then by the interval's lower bound, then speed", () => {
    const rows = leaderboard([
      entry("a", 8, 10, { generated_at: "2026-12-01T00:00:00.000Z" }),
      entry("a", 10, 10, { generated_at: "2026-12-03T00:00:00.000Z", median_generation_tps: 70 }),
      entry("b", 9, 10),
      entry("c", 90, 100),
      entry("d", 0, 0),
      entry("a", 1, 1, { quantization: "Q8_0" }),
    ]);
    expect(rows.map((r) => [r.rank, r.model_ref, r.quantization, r.passes, r.valid_runs])).toEqual([
      [1, "a", "Q8_0", 1, 1],
      [2, "c", "Q4_K_M", 90, 100],
      [3, "a", "Q4_K_M", 18, 20],
      [4, "b", "Q4_K_M", 9, 10],
      [5, "d", "Q4_K_M", 0, 0],
    ]);
    const pooled = rows[2];
    expect(pooled?.reports).toBe(2);
    expect(pooled?.pass_rate).toBe(0.9);
    expect(pooled?.median_generation_tps).toBe(60);
    expect(pooled?.last_run).toBe("2026-12-03T00:00:00.000Z");
    // 90/100 and 18/20 share the rate; the larger sample's lower bound is higher, so it ranks first.
    expect(rows[1]?.interval?.[0]).toBeGreaterThan(rows[2]?.interval?.[0] ?? 1);
    expect(rows[4]?.pass_rate).toBeNull();
  });

  it("keeps banks apart", () => {
    const rows = leaderboard([entry("a", 1, 2), entry("a", 2, 2, { bank_name: "mine" })]);
    expect(rows.map((r) => r.bank)).toEqual(["mine 1", "orket-builtin 1"]);
  });
});

describe("trend", () => {
  it("orders a model's runs oldest first", () => {
    const rows = trend([
      entry("a", 1, 1, { generated_at: "2026-12-03T00:00:00.000Z" }),
      entry("a", 1, 1, { generated_at: "2026-11-03T00:00:00.000Z" }),
    ]);
    expect(rows.map((r) => r.generated_at)).toEqual(["2026-11-03T00:00:00.000Z", "2026-12-03T00:00:00.000Z"]);
  });
});
