/**
 * The canary gate of a sweep: before spending an hour on quantizations, run the first one on a few tasks
 * twice and check that the machine and the model are repeatable enough for their differences to mean
 * something. Pure: the caller runs the repeats and passes what they measured.
 *
 * Repeats are compared when they are comparable, which is not the same as valid: a canary's first call
 * may load the model (COLD_MODEL_LOAD) when no warm-up ran. That is tolerated here, and model time is
 * the engine's decode time, which a load does not change. (A prompt prefix served from the cache spoils
 * only prefill figures and never makes a run invalid, so it needs no tolerance.) Any other pollution (a
 * loaded machine, throttling) or an error leaves the run out, as it would leave out a sweep run.
 */

import { round3 } from "../shared/rounding.js";
import { ratio } from "./frontier.js";

/**
 * Canary thresholds. At temperature 0 with a fixed seed the same task should get the same answer, so
 * adherence may differ between repeats only by rounding noise (0.05 leaves room for one check in twenty
 * flipping on a backend that is not bit-exact). Model time may vary by a coefficient of variation of
 * 0.35 (population standard deviation over mean) before the machine is judged too noisy to measure;
 * below a mean of 50 ms per run the CV is reported but not judged, as timer and scheduler jitter dominate.
 */
export const CANARY_THRESHOLDS = {
  adherence_spread: 0.05,
  model_time_cv: 0.35,
  model_time_floor_seconds: 0.05,
} as const;

export type CanaryThresholds = { [K in keyof typeof CANARY_THRESHOLDS]: number };

/** Pollution reasons a canary repeat has by construction, which do not stop it being compared. */
export const CANARY_TOLERATED_REASONS: readonly string[] = ["COLD_MODEL_LOAD"];

export interface CanaryRun {
  task_id: string;
  adherence: number | null;
  /** Seconds of model time: the engine's decode time, else the time inside model calls. */
  model_seconds: number | null;
  errored: boolean;
  /** The run's pollution reasons. */
  reasons: readonly string[];
}

/** Whether a repeat may be compared: no error, and no pollution beyond the tolerated reasons. */
export function comparableRepeat(run: CanaryRun): boolean {
  return !run.errored && run.reasons.every((reason) => CANARY_TOLERATED_REASONS.includes(reason));
}

export interface CanaryJudgment {
  decision: "pass" | "fail";
  reason: string;
  adherence_spread: number | null;
  model_time_cv: number | null;
}

/**
 * Judges repeatability from the canary's repeats: per task, the spread of adherence (max − min; a run
 * with code against one without counts as 1) and the CV of model time, over comparable repeats; the
 * worst task decides. At least one task needs two comparable repeats.
 */
export function judgeCanary(
  runs: readonly CanaryRun[],
  thresholds: CanaryThresholds = CANARY_THRESHOLDS,
): CanaryJudgment {
  if (runs.length === 0)
    return {
      decision: "fail",
      reason: "the canary made no runs",
      adherence_spread: null,
      model_time_cv: null,
    };
  const byTask = new Map<string, CanaryRun[]>();
  for (const run of runs)
    if (comparableRepeat(run)) byTask.set(run.task_id, [...(byTask.get(run.task_id) ?? []), run]);
  const tasks = [...byTask.entries()].filter(([, r]) => r.length >= 2);
  if (tasks.length === 0) {
    const left = runs.filter((r) => !comparableRepeat(r));
    const why = [...new Set(left.flatMap((r) => [...r.reasons, ...(r.errored ? ["RUN_ERROR"] : [])]))].sort();
    return {
      decision: "fail",
      reason: `no canary task had two comparable repeats (${left.length} of ${runs.length} runs left out: ${why.join(", ")})`,
      adherence_spread: null,
      model_time_cv: null,
    };
  }
  let spread = { value: 0, task: "" };
  let cv: { value: number; task: string } | null = null;
  let judgedCv: { value: number; task: string } | null = null;
  for (const [task, repeats] of tasks) {
    const s = adherenceSpread(repeats.map((r) => r.adherence));
    if (s > spread.value || spread.task === "") spread = { value: s, task };
    const times = repeats.map((r) => r.model_seconds).filter((t): t is number => t !== null);
    if (times.length < 2) continue;
    const m = times.reduce((a, b) => a + b, 0) / times.length;
    const c = m === 0 ? 0 : Math.sqrt(times.reduce((a, t) => a + (t - m) ** 2, 0) / times.length) / m;
    if (cv === null || c > cv.value) cv = { value: c, task };
    if (m >= thresholds.model_time_floor_seconds && (judgedCv === null || c > judgedCv.value))
      judgedCv = { value: c, task };
  }
  const adherence_spread = round3(spread.value);
  const model_time_cv = cv === null ? null : round3(cv.value);
  const compared = `${tasks.length} task${tasks.length === 1 ? "" : "s"} with repeats`;
  if (adherence_spread > thresholds.adherence_spread) {
    return {
      decision: "fail",
      reason: `adherence differed by ${ratio(adherence_spread)} between repeats of ${spread.task} (limit ${ratio(thresholds.adherence_spread)}): the model does not answer the same way twice, so the sweep's comparisons would be noise`,
      adherence_spread,
      model_time_cv,
    };
  }
  if (judgedCv !== null && round3(judgedCv.value) > thresholds.model_time_cv) {
    return {
      decision: "fail",
      reason: `model time varied with a CV of ${round3(judgedCv.value).toFixed(3)} between repeats of ${judgedCv.task} (limit ${thresholds.model_time_cv}): the machine is too noisy to time quantizations against each other`,
      adherence_spread,
      model_time_cv,
    };
  }
  const cvText =
    model_time_cv === null
      ? "no model time to compare"
      : judgedCv === null
        ? `model time CV ${model_time_cv.toFixed(3)}, not judged under ${thresholds.model_time_floor_seconds} s per run`
        : `model time CV ${round3(judgedCv.value).toFixed(3)} ≤ ${thresholds.model_time_cv}${
            model_time_cv > round3(judgedCv.value)
              ? ` (${model_time_cv.toFixed(3)} on tasks under ${thresholds.model_time_floor_seconds} s per run, not judged)`
              : ""
          }`;
  return {
    decision: "pass",
    reason: `repeatable over ${compared}: adherence spread ${ratio(adherence_spread)} ≤ ${ratio(thresholds.adherence_spread)}, ${cvText}`,
    adherence_spread,
    model_time_cv,
  };
}

function adherenceSpread(values: ReadonlyArray<number | null>): number {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return 0;
  if (known.length < values.length) return 1;
  return Math.max(...known) - Math.min(...known);
}
