/**
 * The report's summary. Only valid runs — CLEAN, and not ended by an error — count in aggregates;
 * polluted and failed-to-run ones are listed in `test_runs` but left out here, always.
 */

import { passAtK } from "../core/bench/scoring.js";
import { isValidRun } from "../core/bench/valid-run-policy.js";
import { round3 } from "../core/shared/rounding.js";
import type { Task } from "../spec/bank.js";
import type { Report, TestRun } from "../spec/report.js";

export { isValidRun };

/**
 * Whether a valid run's prefill figures (init_latency, prefill time, prompt tokens per second) count: not
 * when part of its prompt came from the engine's cache (PROMPT_CACHE_HIT), which shortens exactly those.
 */
export function prefillCounts(run: TestRun): boolean {
  return run.telemetry.prefill_quality?.status !== "POLLUTED";
}

export function summarizeRuns(runs: readonly TestRun[], tasks: readonly Task[]): Report["summary"] {
  const valid = runs.filter(isValidRun);
  // One pass to group runs by task: a bench of 10,000 tasks used to search all runs once per task.
  const byTask = new Map<string, TestRun[]>();
  for (const r of runs) {
    const list = byTask.get(r.task_id);
    if (list) list.push(r);
    else byTask.set(r.task_id, [r]);
  }
  const outcomes = { pass: 0, fail: 0, error: 0 };
  for (const r of runs) outcomes[r.outcome]++;
  return {
    test_runs: runs.length,
    valid_runs: valid.length,
    invalid_runs: runs.length - valid.length,
    outcomes,
    pass_rate: valid.length ? round3(valid.filter((r) => r.outcome === "pass").length / valid.length) : null,
    mean_adherence: mean(valid.map((r) => r.telemetry.adherence_score)),
    median_init_latency: median(valid.filter(prefillCounts).map((r) => r.telemetry.init_latency)),
    prefill_valid_runs: valid.filter(prefillCounts).length,
    median_total_latency: median(valid.map((r) => r.telemetry.total_latency)),
    median_generation_tokens_per_second: median(
      valid.map((r) => r.telemetry.token_metrics.throughput.generation_tokens_per_second),
    ),
    tasks: tasks
      .filter((t) => byTask.has(t.id))
      .map((task) => {
        const all = byTask.get(task.id) ?? [];
        const ok = all.filter(isValidRun);
        const passes = ok.filter((r) => r.outcome === "pass").length;
        const passAt: Record<string, number> = {};
        for (let k = 1; k <= ok.length; k++) passAt[String(k)] = round3(passAtK(ok.length, passes, k));
        const counts = new Map<string, number>();
        for (const r of ok) counts.set(r.output_hash, (counts.get(r.output_hash) ?? 0) + 1);
        const commonest = Math.max(0, ...counts.values());
        return {
          task_id: task.id,
          language: task.language,
          tier: task.tier,
          runs: all.length,
          valid_runs: ok.length,
          passes,
          success_rate: ok.length ? round3(passes / ok.length) : null,
          pass_at_k: passAt,
          distinct_outputs: counts.size,
          determinism_rate: ok.length >= 2 ? round3(commonest / ok.length) : null,
          mean_adherence: mean(ok.map((r) => r.telemetry.adherence_score)),
        };
      }),
  };
}

function known(values: Array<number | null>): number[] {
  return values.filter((v): v is number => v !== null);
}

function mean(values: Array<number | null>): number | null {
  const k = known(values);
  return k.length ? round3(k.reduce((a, b) => a + b, 0) / k.length) : null;
}

function median(values: Array<number | null>): number | null {
  const k = known(values).sort((a, b) => a - b);
  if (k.length === 0) return null;
  const mid = Math.floor(k.length / 2);
  return round3(k.length % 2 ? (k[mid] ?? 0) : ((k[mid - 1] ?? 0) + (k[mid] ?? 0)) / 2);
}
