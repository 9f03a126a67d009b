/**
 * Choosing a model per role from sweep results. Each role has a policy (minimum adherence, an optional
 * latency ceiling, and whether to prefer adherence or speed among the models that pass); only valid
 * rows compete, so a polluted measurement can never win a role. Pure: the same rows and policies give
 * the same choices, with the reason in plain words.
 */
import type { RolePolicy, SweepRow } from "../../spec/lab.js";

/** Built-in policies (a project's `orket/lab/role_policies.json` replaces them by role name). */
export const DEFAULT_ROLE_POLICIES: Readonly<Record<string, RolePolicy>> = {
  coder: { min_adherence: 0.9, max_latency: null, prefer: "adherence" },
  integrity_guard: { min_adherence: 0.9, max_latency: null, prefer: "adherence" },
  architect: { min_adherence: 0.8, max_latency: null, prefer: "adherence" },
  reviewer: { min_adherence: 0.8, max_latency: null, prefer: "speed" },
  requirements_analyst: { min_adherence: 0.8, max_latency: null, prefer: "speed" },
};

export interface Candidate {
  model_ref: string;
  quant_tag: string;
  adherence_score: number | null;
  total_latency: number | null;
  valid: boolean;
  /** Where the row came from (the sweep summary's path). */
  source: string;
}

export interface RoleChoice {
  role: string;
  policy: RolePolicy;
  chosen: Candidate | null;
  reason: string;
}

export function candidatesFrom(rows: readonly SweepRow[], source: string): Candidate[] {
  return rows.map((row) => ({
    model_ref: row.model_ref,
    quant_tag: row.quant_tag,
    adherence_score: row.adherence_score,
    total_latency: row.total_latency,
    valid: row.valid,
    source,
  }));
}

export function chooseForRole(
  role: string,
  policy: RolePolicy,
  candidates: readonly Candidate[],
): RoleChoice {
  const measured = candidates.filter(
    (c): c is Candidate & { adherence_score: number; total_latency: number } =>
      c.valid && c.adherence_score !== null && c.total_latency !== null,
  );
  if (measured.length === 0) {
    const valid = candidates.filter((c) => c.valid).length;
    return {
      role,
      policy,
      chosen: null,
      reason:
        valid === 0
          ? "no valid row to choose from (every row was polluted or errored)"
          : `none of the ${valid} valid row(s) has both adherence and latency measured (no code was produced?)`,
    };
  }
  const passing = measured.filter(
    (c) =>
      c.adherence_score >= policy.min_adherence &&
      (policy.max_latency === null || c.total_latency <= policy.max_latency),
  );
  if (passing.length === 0) {
    const best = [...measured].sort(byAdherenceThenSpeed)[0] as (typeof measured)[number];
    const ceiling = policy.max_latency === null ? "" : ` within ${fmt(policy.max_latency)} s`;
    return {
      role,
      policy,
      chosen: null,
      reason: `no model reached adherence ${fmt(policy.min_adherence)}${ceiling}; the best was ${best.model_ref} at ${fmt(best.adherence_score)} in ${fmt(best.total_latency)} s`,
    };
  }
  const ranked = [...passing].sort(policy.prefer === "speed" ? bySpeedThenAdherence : byAdherenceThenSpeed);
  const chosen = ranked[0] as (typeof passing)[number];
  const short = measured.length - passing.length;
  const why =
    policy.prefer === "speed"
      ? `the fastest of ${passing.length} model(s) meeting adherence ${fmt(policy.min_adherence)}`
      : `the most adherent of ${passing.length} model(s) meeting adherence ${fmt(policy.min_adherence)}`;
  return {
    role,
    policy,
    chosen,
    reason: `${chosen.model_ref}: adherence ${fmt(chosen.adherence_score)}, median ${fmt(chosen.total_latency)} s — ${why}${short > 0 ? `; ${short} other(s) fell short` : ""}`,
  };
}

export function chooseModels(
  roles: readonly string[],
  policies: Readonly<Record<string, RolePolicy>>,
  candidates: readonly Candidate[],
): RoleChoice[] {
  return roles.map((role) =>
    chooseForRole(role, policies[role] ?? DEFAULT_ROLE_POLICIES.architect ?? FALLBACK, candidates),
  );
}

const FALLBACK: RolePolicy = { min_adherence: 0.8, max_latency: null, prefer: "adherence" };

type Measured = { adherence_score: number; total_latency: number; model_ref: string };

function byAdherenceThenSpeed(a: Measured, b: Measured): number {
  return (
    b.adherence_score - a.adherence_score ||
    a.total_latency - b.total_latency ||
    a.model_ref.localeCompare(b.model_ref)
  );
}

function bySpeedThenAdherence(a: Measured, b: Measured): number {
  return (
    a.total_latency - b.total_latency ||
    b.adherence_score - a.adherence_score ||
    a.model_ref.localeCompare(b.model_ref)
  );
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
}
