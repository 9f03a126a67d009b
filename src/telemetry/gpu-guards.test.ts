import { describe, expect, it } from "vitest";
import { summarizeSidecarWindow } from "../core/bench/sidecar-summary.js";
import { GuardDecisionSchema } from "../spec/sidecar.js";
import {
  type GuardClock,
  guardPollutionReasons,
  sidecarWindowGuards,
  thermalGate,
  thermalStartCheck,
  throttleCheck,
  VRAM_PROFILE_CAPS,
  vramPreflight,
  vramWindowCheck,
  waitForCooldown,
} from "./gpu-guards.js";

/** A clock that only moves when the guard sleeps: no test here really waits. */
function fakeClock(): GuardClock & { sleeps: number[] } {
  let now = 1000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** Temperatures read in turn; the last one repeats. */
function readings(...values: (number | null)[]) {
  let i = 0;
  return async () => values[Math.min(i++, values.length - 1)] ?? null;
}

describe("waitForCooldown", () => {
  it("passes at once when already at or under the target", async () => {
    const clock = fakeClock();
    const result = await waitForCooldown({ targetC: 50, timeoutMs: 60_000, sample: readings(50), clock });
    expect(result).toMatchObject({
      guard: "thermal",
      check: "cooldown",
      decision: "pass",
      reason: "AT_OR_BELOW_TARGET",
    });
    expect(result.measured).toEqual({
      target_c: 50,
      start_c: 50,
      end_c: 50,
      waited_ms: 0,
      polls: 1,
      timeout_ms: 60_000,
    });
    expect(result.pollution_reasons).toEqual([]);
    expect(GuardDecisionSchema.safeParse(result).success).toBe(true);
  });

  it("passes after cooling, having polled at the given pace", async () => {
    const clock = fakeClock();
    const result = await waitForCooldown({
      targetC: 50,
      timeoutMs: 60_000,
      pollMs: 5000,
      sample: readings(72, 64, 55, 49),
      clock,
    });
    expect(result.decision).toBe("pass");
    expect(result.reason).toBe("COOLED_TO_TARGET");
    expect(result.measured).toMatchObject({ start_c: 72, end_c: 49, waited_ms: 15_000, polls: 4 });
    expect(clock.sleeps).toEqual([5000, 5000, 5000]);
  });

  it("fails with COOLDOWN_TIMEOUT, without sleeping past the timeout", async () => {
    const clock = fakeClock();
    const result = await waitForCooldown({
      targetC: 50,
      timeoutMs: 12_000,
      pollMs: 5000,
      sample: readings(80, 79, 78, 78),
      clock,
    });
    expect(result).toMatchObject({ decision: "fail", reason: "COOLDOWN_TIMEOUT" });
    expect(result.pollution_reasons).toEqual(["COOLDOWN_TIMEOUT"]);
    expect(result.measured).toMatchObject({ start_c: 80, end_c: 78, waited_ms: 12_000, polls: 4 });
    expect(clock.sleeps).toEqual([5000, 5000, 2000]);
  });

  it("skips without a GPU, or when the first reading has no temperature", async () => {
    const clock = fakeClock();
    const noGpu = await waitForCooldown({ targetC: 50, timeoutMs: 1000, sample: null, clock });
    expect(noGpu).toMatchObject({ decision: "skip", reason: "NO_GPU" });
    const unknown = await waitForCooldown({ targetC: 50, timeoutMs: 1000, sample: readings(null), clock });
    expect(unknown).toMatchObject({
      decision: "skip",
      reason: "TEMPERATURE_UNAVAILABLE",
      pollution_reasons: [],
    });
    expect(unknown.measured).toMatchObject({ start_c: null, end_c: null, polls: 1 });
  });

  it("rides over a failed read in the middle of the wait", async () => {
    const clock = fakeClock();
    const flaky = readings(70, 45);
    let calls = 0;
    const sample = async () => {
      calls++;
      if (calls === 2) throw new Error("nvidia-smi failed");
      return flaky();
    };
    const result = await waitForCooldown({ targetC: 50, timeoutMs: 60_000, pollMs: 1000, sample, clock });
    expect(result).toMatchObject({ decision: "pass", reason: "COOLED_TO_TARGET" });
    expect(result.measured).toMatchObject({ start_c: 70, polls: 3 });
  });
});

describe("thermal start", () => {
  it("flags HOT_START above the target, passes at it, skips without a value", () => {
    expect(thermalStartCheck({ targetC: 50, startC: 63 })).toMatchObject({
      check: "hot_start",
      decision: "fail",
      reason: "HOT_START",
      pollution_reasons: ["HOT_START"],
      measured: { target_c: 50, start_c: 63 },
    });
    expect(thermalStartCheck({ targetC: 50, startC: 50 }).decision).toBe("pass");
    expect(thermalStartCheck({ targetC: 50, startC: null })).toMatchObject({
      decision: "skip",
      pollution_reasons: [],
    });
  });

  it("the gate waits when told to, and otherwise judges one reading", async () => {
    const clock = fakeClock();
    const waited = await thermalGate({
      wait: true,
      targetC: 50,
      timeoutMs: 10_000,
      sample: readings(60, 45),
      clock,
    });
    expect(waited).toMatchObject({ check: "cooldown", decision: "pass" });
    const hot = await thermalGate({
      wait: false,
      targetC: 50,
      timeoutMs: 10_000,
      sample: readings(60),
      clock,
    });
    expect(hot).toMatchObject({ check: "hot_start", decision: "fail", reason: "HOT_START" });
    const none = await thermalGate({ wait: false, targetC: 50, timeoutMs: 10_000, sample: null, clock });
    expect(none).toMatchObject({ decision: "skip", reason: "NO_GPU" });
  });
});

describe("VRAM guards", () => {
  it("caps each profile: safe 0.50, balanced 0.80, stress 0.95", () => {
    expect(VRAM_PROFILE_CAPS).toEqual({ safe: 0.5, balanced: 0.8, stress: 0.95 });
    // 1 000 MiB used + 50 000 MiB model on an 80 GB H100: 0.625 of it.
    const run = { usedMb: 1000, totalMb: 81_600, expectedModelMb: 50_000 };
    expect(vramPreflight({ profile: "safe", ...run })).toMatchObject({
      guard: "vram",
      check: "vram_preflight",
      decision: "fail",
      reason: "VRAM_RATIO_EXCEEDED",
      pollution_reasons: ["VRAM_RATIO_EXCEEDED"],
      vram_profile: "safe",
      measured: { cap_ratio: 0.5, used_ratio: 0.012, projected_ratio: 0.625, expected_model_mb: 50_000 },
    });
    expect(vramPreflight({ profile: "balanced", ...run })).toMatchObject({
      decision: "pass",
      reason: "WITHIN_PROFILE_CAP",
    });
    expect(vramPreflight({ profile: "stress", ...run }).decision).toBe("pass");
    const big = { usedMb: 1000, totalMb: 81_600, expectedModelMb: 72_000 };
    expect(vramPreflight({ profile: "balanced", ...big }).decision).toBe("fail");
    expect(vramPreflight({ profile: "stress", ...big }).decision).toBe("pass");
  });

  it("passes exactly at the cap, judged on the ratio as written", () => {
    expect(vramPreflight({ profile: "safe", usedMb: 500, totalMb: 1000 }).decision).toBe("pass");
    expect(vramPreflight({ profile: "safe", usedMb: 500.4, totalMb: 1000 }).decision).toBe("pass");
    expect(vramPreflight({ profile: "safe", usedMb: 501, totalMb: 1000 }).decision).toBe("fail");
  });

  it("skips when VRAM is unknown", () => {
    for (const input of [
      { usedMb: null, totalMb: 1000 },
      { usedMb: 10, totalMb: null },
      { usedMb: 10, totalMb: 0 },
      { usedMb: 10, totalMb: 1000, expectedModelMb: -1 },
    ]) {
      expect(vramPreflight({ profile: "balanced", ...input })).toMatchObject({
        decision: "skip",
        reason: "VRAM_UNAVAILABLE",
        pollution_reasons: [],
      });
    }
  });

  it("checks the window's peak against the cap", () => {
    expect(vramWindowCheck({ profile: "balanced", peakMb: 70_000, totalMb: 81_559 })).toMatchObject({
      check: "vram_window",
      decision: "fail",
      reason: "VRAM_RATIO_EXCEEDED",
      measured: { peak_ratio: 0.858, cap_ratio: 0.8 },
    });
    expect(vramWindowCheck({ profile: "stress", peakMb: 70_000, totalMb: 81_559 }).decision).toBe("pass");
    expect(vramWindowCheck({ profile: "safe", peakMb: null, totalMb: 81_559 }).decision).toBe("skip");
  });
});

describe("throttle and window guards", () => {
  it("counts thermal and power slowdowns, not idle or application clocks", () => {
    expect(
      throttleCheck({ reasons: ["gpu_idle", "applications_clocks_setting", "sync_boost"] }),
    ).toMatchObject({
      decision: "pass",
      reason: "NO_SLOWDOWN",
    });
    expect(throttleCheck({ reasons: ["sw_thermal_slowdown", "gpu_idle", "sw_power_cap"] })).toMatchObject({
      decision: "fail",
      reason: "THERMAL_THROTTLE_ACTIVE",
      measured: {
        throttle_reasons: ["gpu_idle", "sw_power_cap", "sw_thermal_slowdown"],
        slowdown_reasons: ["sw_thermal_slowdown"],
      },
    });
    // At full load a GPU sits at its power cap: that alone is not a disturbance.
    expect(throttleCheck({ reasons: ["sw_power_cap"] }).decision).toBe("pass");
    expect(throttleCheck({ reasons: null }).decision).toBe("skip");
  });

  it("judges a sidecar summary, and gathers the pollution reasons sorted", () => {
    const sample = {
      backend: "nvidia" as const,
      gpu_index: 0,
      gpu_name: "NVIDIA H100 80GB HBM3",
      driver_version: "550.54.15",
      temperature_c: 80,
      vram_used_mb: 78_000,
      vram_total_mb: 81_559,
      gpu_clock_mhz: 1400,
      power_draw_watts: 700,
      fan_speed_percent: null,
      utilization_percent: 100,
      throttle_reasons: ["hw_thermal_slowdown"],
      errors: ["missing:fan_speed_percent"],
    };
    const summary = summarizeSidecarWindow({
      backend: "nvidia",
      intervalMs: 100,
      polls: [{ elapsed_ms: 0, duration_ms: 1, gpus: [sample], cpu: null, errors: [] }],
    });
    const decisions = sidecarWindowGuards(summary, "balanced");
    expect(decisions.map((d) => [d.check, d.decision])).toEqual([
      ["vram_window", "fail"],
      ["throttle", "fail"],
    ]);
    const hot = thermalStartCheck({ targetC: 50, startC: 80 });
    expect(guardPollutionReasons([...decisions, hot])).toEqual([
      "HOT_START",
      "THERMAL_THROTTLE_ACTIVE",
      "VRAM_RATIO_EXCEEDED",
    ]);
    const cpu = summarizeSidecarWindow({ backend: "cpu", intervalMs: 100, polls: [] });
    expect(sidecarWindowGuards(cpu, "safe").map((d) => d.decision)).toEqual(["skip", "skip"]);
  });
});
