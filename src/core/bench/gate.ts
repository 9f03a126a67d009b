/**
 * The regression gate of `orket report compare --fail-on` (docs/compare.md): thresholds such as
 * `pass_rate:-2pp,init_latency_p50:+10%` checked against a comparison. A threshold is breached when the
 * estimate passes it and its 95 % interval excludes no change; passed by the estimate alone, it is
 * "not significant" (a failure only under --strict).
 */
import type { CandidateComparison, GateResult, Statistic } from "../../spec/comparison.js";
import { type ExitClass, OrketError } from "../../spec/orket-error.js";
import { COMPARED_METRICS, STATISTICS } from "./compare.js";

export class GateSpecError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_GATE: "usage" };
  override readonly code = "BAD_GATE";
}

export interface Threshold {
  text: string;
  key: string;
  metric: string;
  statistic: Statistic | null;
  unit: "pp" | "%";
  /** Signed: −2 means a drop of more than 2 breaches; +10 a rise of more than 10. */
  limit: number;
}

const ITEM = /^([a-z0-9_]+):([+-])(\d+(?:\.\d+)?)(pp|%)$/;

/** Parses a `--fail-on` list; a bad item is a BAD_GATE usage error naming it and saying what is allowed. */
export function parseFailOn(text: string, flag = "--fail-on"): Threshold[] {
  const items = text.split(",").map((item) => item.trim());
  if (text.trim() === "" || items.some((i) => i === ""))
    throw new GateSpecError(`${flag}: empty threshold in "${text}" (key:+N% or key:-Npp, comma-separated)`);
  const seen = new Set<string>();
  return items.map((item) => {
    const match = ITEM.exec(item);
    if (!match)
      throw new GateSpecError(
        `${flag}: "${item}" is not key:<sign><number><pp|%> (e.g. pass_rate:-2pp, init_latency_p50:+10%)`,
      );
    const [, key, sign, number, unit] = match as unknown as [string, string, string, string, "pp" | "%"];
    if (seen.has(key)) throw new GateSpecError(`${flag}: "${key}" is given twice`);
    seen.add(key);
    const limit = (sign === "-" ? -1 : 1) * Number(number);
    if (key === "pass_rate") {
      if (unit !== "pp")
        throw new GateSpecError(
          `${flag}: "${item}": pass_rate is a rate; give its change in pp (pass_rate:-2pp)`,
        );
      return { text: item, key, metric: key, statistic: null, unit, limit };
    }
    const statistic = STATISTICS.find((s) => key.endsWith(`_${s}`));
    const metric = statistic ? key.slice(0, -(statistic.length + 1)) : key;
    const known = COMPARED_METRICS.map((m) => m.key);
    if (!statistic || !known.includes(metric))
      throw new GateSpecError(
        `${flag}: "${key}" is not a gate key (pass_rate, or one of ${known.join(", ")} with _${STATISTICS.join("/_")})`,
      );
    if (unit !== "%")
      throw new GateSpecError(
        `${flag}: "${item}": ${key} is compared as a ratio; give its change in % (${key}:${sign}${number}%)`,
      );
    return { text: item, key, metric, statistic, unit, limit };
  });
}

/** Each threshold's result against one candidate's comparison. */
export function applyGate(
  thresholds: readonly Threshold[],
  comparison: Pick<CandidateComparison, "pass" | "metrics">,
): GateResult[] {
  return thresholds.map((t) => {
    let estimate: number | null;
    let interval: [number, number] | null;
    let nullReason: string | null = null;
    if (t.metric === "pass_rate") {
      estimate = comparison.pass.difference === null ? null : comparison.pass.difference * 100;
      interval =
        comparison.pass.interval === null
          ? null
          : [comparison.pass.interval[0] * 100, comparison.pass.interval[1] * 100];
      if (estimate === null) nullReason = "no task is valid in both reports";
    } else {
      const metric = comparison.metrics.find((m) => m.key === t.metric);
      const change = metric?.changes.find((c) => c.statistic === t.statistic);
      estimate = change?.relative_change == null ? null : change.relative_change * 100;
      interval = change?.interval == null ? null : [change.interval[0] * 100, change.interval[1] * 100];
      if (estimate === null)
        nullReason = metric?.null_reason ?? `${t.key}: no value on one side, or a baseline of 0`;
    }
    const past = estimate !== null && (t.limit < 0 ? estimate < t.limit : estimate > t.limit);
    const significant = interval !== null && (interval[0] > 0 || interval[1] < 0);
    const status: GateResult["status"] =
      estimate === null ? "unknown" : !past ? "ok" : significant ? "breached" : "not_significant";
    return {
      threshold: t.text,
      key: t.key,
      unit: t.unit,
      limit: t.limit,
      estimate: estimate === null ? null : Math.round(estimate * 1e4) / 1e4,
      interval:
        interval === null ? null : [Math.round(interval[0] * 1e4) / 1e4, Math.round(interval[1] * 1e4) / 1e4],
      status,
      null_reason: nullReason,
    };
  });
}

/** Whether the gate fails: a breach, or under `strict` also a threshold past only by its estimate or unknown. */
export function gateFails(results: readonly GateResult[], strict: boolean): boolean {
  return results.some(
    (r) => r.status === "breached" || (strict && (r.status === "not_significant" || r.status === "unknown")),
  );
}
