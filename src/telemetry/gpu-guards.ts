/**
 * Lab guards: the thermal gate (wait for cooldown, or flag a hot start), the VRAM profile caps before
 * and during a run, and clock throttling seen by the sidecar. Each returns a `GuardDecision` (pass, fail
 * or skip, a stable reason code, the measured values) for the run summary and the check artifact. A
 * failed guard pollutes the run (its reason joins `run_quality_reasons`); it never changes the outcome.
 * A guard with nothing to measure (no GPU, no value) skips instead of guessing.
 */
import { round3 } from "../core/shared/rounding.js";
import type { VramProfile } from "../spec/common.js";
import type { GuardDecision, GuardDecisionValue, SidecarSummary } from "../spec/sidecar.js";

/** Highest share of total VRAM a run may use, per profile (docs/lab.md, lab guards). */
export const VRAM_PROFILE_CAPS: Readonly<Record<VramProfile, number>> = {
  safe: 0.5,
  balanced: 0.8,
  stress: 0.95,
};

/**
 * Reasons that mean the clocks were held down by heat or a hardware slowdown. Not counted: idle,
 * application clocks, sync boost, and `sw_power_cap` — a GPU at full inference load routinely sits at its
 * power cap, which is its normal operating point, not a disturbance of the measurement.
 */
export const SLOWDOWN_REASONS: readonly string[] = [
  "hw_power_brake_slowdown",
  "hw_slowdown",
  "hw_thermal_slowdown",
  "sw_thermal_slowdown",
];

export interface GuardClock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: GuardClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

type Measured = GuardDecision["measured"];

function decide(
  guard: GuardDecision["guard"],
  check: string,
  decision: GuardDecisionValue,
  reason: string,
  measured: Measured,
  profile?: VramProfile,
): GuardDecision {
  const result: GuardDecision = {
    guard,
    check,
    decision,
    reason,
    pollution_reasons: decision === "fail" ? [reason] : [],
    measured,
  };
  if (profile !== undefined) result.vram_profile = profile;
  return result;
}

export interface CooldownOptions {
  targetC: number;
  timeoutMs: number;
  /** Milliseconds between temperature reads. */
  pollMs?: number;
  /** Reads the GPU temperature (°C); null when unknown. Null itself means there is no GPU. */
  sample: (() => Promise<number | null>) | null;
  clock?: GuardClock;
}

/**
 * `wait_for_cooldown`: polls until the GPU is at or under `targetC`. Pass when it is (at once, or after
 * waiting); fail with COOLDOWN_TIMEOUT when `timeoutMs` runs out first; skip when there is no GPU or its
 * first reading has no temperature. A read that fails later keeps the wait going on the last value.
 * `measured`: target_c, start_c, end_c, waited_ms, polls, timeout_ms.
 */
export async function waitForCooldown(options: CooldownOptions): Promise<GuardDecision> {
  const clock = options.clock ?? systemClock;
  const pollMs = Math.max(1, options.pollMs ?? 1000);
  const begin = clock.now();
  let polls = 0;
  let startC: number | null = null;
  let endC: number | null = null;
  const measured = (): Measured => ({
    target_c: options.targetC,
    start_c: round3(startC),
    end_c: round3(endC),
    waited_ms: round3(Math.max(0, clock.now() - begin)),
    polls,
    timeout_ms: options.timeoutMs,
  });
  if (options.sample === null) return decide("thermal", "cooldown", "skip", "NO_GPU", measured());
  for (;;) {
    const reading = await readSafely(options.sample);
    polls++;
    if (reading !== null) {
      startC ??= reading;
      endC = reading;
      if (reading <= options.targetC) {
        const reason = polls === 1 ? "AT_OR_BELOW_TARGET" : "COOLED_TO_TARGET";
        return decide("thermal", "cooldown", "pass", reason, measured());
      }
    } else if (startC === null) {
      return decide("thermal", "cooldown", "skip", "TEMPERATURE_UNAVAILABLE", measured());
    }
    const waited = clock.now() - begin;
    if (waited >= options.timeoutMs)
      return decide("thermal", "cooldown", "fail", "COOLDOWN_TIMEOUT", measured());
    await clock.sleep(Math.min(pollMs, options.timeoutMs - waited));
  }
}

async function readSafely(sample: () => Promise<number | null>): Promise<number | null> {
  try {
    const value = await sample();
    return value !== null && Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** A run that starts above the target without waiting for cooldown is a HOT_START. */
export function thermalStartCheck(options: { targetC: number; startC: number | null }): GuardDecision {
  const measured = { target_c: options.targetC, start_c: round3(options.startC) };
  if (options.startC === null)
    return decide("thermal", "hot_start", "skip", "TEMPERATURE_UNAVAILABLE", measured);
  return options.startC > options.targetC
    ? decide("thermal", "hot_start", "fail", "HOT_START", measured)
    : decide("thermal", "hot_start", "pass", "AT_OR_BELOW_TARGET", measured);
}

/**
 * The thermal gate before a run: with `wait`, `waitForCooldown`; without, one reading judged by
 * `thermalStartCheck`.
 */
export async function thermalGate(options: CooldownOptions & { wait: boolean }): Promise<GuardDecision> {
  if (options.wait) return waitForCooldown(options);
  if (options.sample === null) {
    return decide("thermal", "hot_start", "skip", "NO_GPU", { target_c: options.targetC, start_c: null });
  }
  return thermalStartCheck({ targetC: options.targetC, startC: await readSafely(options.sample) });
}

function ratio(partMb: number, totalMb: number): number {
  return round3(partMb / totalMb);
}

function vramKnown(totalMb: number | null, ...parts: (number | null)[]): totalMb is number {
  return totalMb !== null && totalMb > 0 && parts.every((part) => part !== null && part >= 0);
}

export interface VramPreflightOptions {
  profile: VramProfile;
  usedMb: number | null;
  totalMb: number | null;
  /** MiB the run will add on top of `usedMb` (0 when the model is already resident); null if unknown. */
  expectedModelMb?: number | null;
}

/**
 * Before a run: would used + expected VRAM stay within the profile's cap? The ratios are compared as
 * written (3 decimals), so the decision always agrees with the artifact. `measured`: cap_ratio, used_mb,
 * total_mb, expected_model_mb, used_ratio, projected_ratio.
 */
export function vramPreflight(options: VramPreflightOptions): GuardDecision {
  const cap = VRAM_PROFILE_CAPS[options.profile];
  const expected = options.expectedModelMb ?? null;
  const { usedMb, totalMb } = options;
  const measured: Measured = {
    cap_ratio: cap,
    used_mb: round3(usedMb),
    total_mb: round3(totalMb),
    expected_model_mb: round3(expected),
    used_ratio: null,
    projected_ratio: null,
  };
  if (!vramKnown(totalMb, usedMb) || usedMb === null || (expected !== null && expected < 0))
    return decide("vram", "vram_preflight", "skip", "VRAM_UNAVAILABLE", measured, options.profile);
  const projected = ratio(usedMb + (expected ?? 0), totalMb);
  measured.used_ratio = ratio(usedMb, totalMb);
  measured.projected_ratio = projected;
  return projected > cap
    ? decide("vram", "vram_preflight", "fail", "VRAM_RATIO_EXCEEDED", measured, options.profile)
    : decide("vram", "vram_preflight", "pass", "WITHIN_PROFILE_CAP", measured, options.profile);
}

/** After a run: did the window's VRAM peak exceed the profile's cap? `measured`: cap_ratio, peak_mb, total_mb, peak_ratio. */
export function vramWindowCheck(options: {
  profile: VramProfile;
  peakMb: number | null;
  totalMb: number | null;
}): GuardDecision {
  const cap = VRAM_PROFILE_CAPS[options.profile];
  const { peakMb, totalMb } = options;
  const measured: Measured = {
    cap_ratio: cap,
    peak_mb: round3(peakMb),
    total_mb: round3(totalMb),
    peak_ratio: null,
  };
  if (!vramKnown(totalMb, peakMb) || peakMb === null)
    return decide("vram", "vram_window", "skip", "VRAM_UNAVAILABLE", measured, options.profile);
  const peakRatio = ratio(peakMb, totalMb);
  measured.peak_ratio = peakRatio;
  return peakRatio > cap
    ? decide("vram", "vram_window", "fail", "VRAM_RATIO_EXCEEDED", measured, options.profile)
    : decide("vram", "vram_window", "pass", "WITHIN_PROFILE_CAP", measured, options.profile);
}

/**
 * THERMAL_THROTTLE_ACTIVE when the window saw a thermal or power slowdown reason. `measured`:
 * throttle_reasons (all seen), slowdown_reasons (the ones that count).
 */
export function throttleCheck(options: { reasons: readonly string[] | null }): GuardDecision {
  if (options.reasons === null) {
    return decide("thermal", "throttle", "skip", "THROTTLE_REASONS_UNAVAILABLE", {
      throttle_reasons: null,
      slowdown_reasons: null,
    });
  }
  const seen = [...options.reasons].sort();
  const slowdown = seen.filter((reason) => SLOWDOWN_REASONS.includes(reason));
  const measured = { throttle_reasons: seen, slowdown_reasons: slowdown };
  return slowdown.length > 0
    ? decide("thermal", "throttle", "fail", "THERMAL_THROTTLE_ACTIVE", measured)
    : decide("thermal", "throttle", "pass", "NO_SLOWDOWN", measured);
}

/** The guards a finished sidecar window answers: its VRAM peak against the cap, and throttling. */
export function sidecarWindowGuards(summary: SidecarSummary, profile: VramProfile): GuardDecision[] {
  return [
    vramWindowCheck({ profile, peakMb: summary.vram_peak_mb, totalMb: summary.vram_total_mb }),
    throttleCheck({ reasons: summary.throttle_reasons ?? null }),
  ];
}

/** The pollution reasons a set of decisions adds to a run: sorted, unique. */
export function guardPollutionReasons(decisions: readonly GuardDecision[]): string[] {
  return [...new Set(decisions.flatMap((decision) => decision.pollution_reasons))].sort();
}
