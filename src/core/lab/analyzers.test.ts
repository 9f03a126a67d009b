import { describe, expect, it } from "vitest";
import { type ThermalPoint, thermalStabilityProfile, vramFragmentationProfile } from "./analyzers.js";

const point = (i: number, end: number | null, slowdowns: string[] = [], latency = 1): ThermalPoint => ({
  label: `run#${i}`,
  start_c: end === null ? null : end - 2,
  end_c: end,
  slowdowns,
  total_latency: latency,
});

describe("thermal stability profile", () => {
  it("a GPU that settles is stable", () => {
    const p = thermalStabilityProfile([60, 62, 63, 63, 63, 63].map((t, i) => point(i, t)));
    expect(p.verdict).toBe("stable");
    expect(p.max_c).toBe(63);
  });

  it("a steady climb is heat soak, with the slope and the rise; latency drift is measured", () => {
    const p = thermalStabilityProfile([55, 58, 61, 64, 67, 70].map((t, i) => point(i, t, [], 1 + i * 0.1)));
    expect(p).toMatchObject({ verdict: "heat_soak", slope_c_per_run: 3, rise_c: 17, max_c: 70 });
    expect(p.latency_drift).toBeCloseTo(1.4 / 1.0, 1);
  });

  it("any slowdown reason makes it throttling, naming the first run", () => {
    const p = thermalStabilityProfile([
      point(0, 80),
      point(1, 84),
      point(2, 86, ["sw_thermal_slowdown"]),
      point(3, 86, ["sw_thermal_slowdown"]),
    ]);
    expect(p).toMatchObject({ verdict: "throttling", first_throttled: "run#2" });
  });

  it("no temperatures (a CPU machine) or too few is not applicable, with why", () => {
    expect(thermalStabilityProfile([point(0, null), point(1, null)]).reason).toMatch(/no GPU temperatures/);
    expect(thermalStabilityProfile([point(0, 50), point(1, 51)]).reason).toMatch(/only 2 run\(s\)/);
  });
});

describe("VRAM fragmentation profile", () => {
  const row = (q: string, before: number | null, peak: number | null, model: number | null) => ({
    quant_tag: q,
    before_mb: before,
    peak_mb: peak,
    model_mb: model,
    total_mb: 80_000,
  });

  it("memory given back between quantizations is clean", () => {
    const p = vramFragmentationProfile([row("q8_0", 500, 9000, 8000), row("q4_K_M", 520, 5200, 4400)]);
    expect(p.verdict).toBe("clean");
    expect(p.rows[1]).toEqual({ quant_tag: "q4_K_M", before_mb: 520, residual_mb: 20, overhead_mb: 280 });
  });

  it("usage that keeps growing before each quantization is residual growth", () => {
    const p = vramFragmentationProfile([
      row("q8_0", 500, 9000, 8000),
      row("q6_K", 8600, 15000, 6000),
      row("q4_K_M", 14000, 19000, 4400),
    ]);
    expect(p.verdict).toBe("residual_growth");
    expect(p.reason).toMatch(/13500 MiB more was in use before q4_K_M/);
  });

  it("without readings it is not applicable", () => {
    expect(vramFragmentationProfile([{ ...row("a", null, null, null), total_mb: null }]).verdict).toBe(
      "not_applicable",
    );
  });
});
