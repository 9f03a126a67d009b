/**
 * `orket check`: judges a benchmark report or a sweep summary against the valid-run policy and writes
 * the verdicts as a check artifact (`orket.check.v1`), with every guard decision the input recorded.
 * The rules are pure (`core/valid-run-policy`, `core/sweep-policy`); this module parses the input,
 * reads a sweep's row reports from disk, and assembles the artifact.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import { isValidRun } from "../bench/summarize.js";
import { type RuleResult, reportRules } from "../core/bench/valid-run-policy.js";
import { type RowReport, sweepRules } from "../core/lab/sweep-policy.js";
import { ExecutionLaneSchema, VramProfileSchema } from "../spec/common.js";
import {
  CHECK_SCHEMA_VERSION,
  type CheckArtifact,
  SWEEP_SCHEMA_VERSION,
  type SweepRow,
  type SweepSummary,
  SweepSummarySchema,
} from "../spec/lab.js";
import { REPORT_SCHEMA_VERSION, ReportSchema } from "../spec/report.js";
import { type GuardDecision, GuardDecisionSchema } from "../spec/sidecar.js";

/** Rules that decide whether the input is the artifact it claims to be; failing one is bad input. */
export const INPUT_RULES: readonly string[] = ["schema_version", "required_fields"];

export interface CheckOptions {
  /** Where the input came from, for the artifact (a path); default "(memory)". */
  source?: string;
  now?: () => Date;
}

export interface SweepCheckOptions extends CheckOptions {
  /** Row reports by `report_path` (see `loadSweepReports`); without them only the summary is judged. */
  reports?: ReadonlyMap<string, RowReport>;
}

/** Judges an `orket_report.json` (parsed JSON, not yet validated). */
export function checkReport(input: unknown, options: CheckOptions = {}): CheckArtifact {
  const { rules, value } = parseInput(input, REPORT_SCHEMA_VERSION, ReportSchema);
  if (value) rules.push(...reportRules(value, isValidRun));
  return artifact("report", input, rules, collectGuards(input), options);
}

/** Judges a `sweep_summary.json` (parsed JSON, not yet validated), with its rows' reports when given. */
export function checkSweep(input: unknown, options: SweepCheckOptions = {}): CheckArtifact {
  const { rules, value } = parseInput(input, SWEEP_SCHEMA_VERSION, SweepSummarySchema);
  if (value) {
    const reports = options.reports;
    const reportOf = reports
      ? (row: SweepRow): RowReport =>
          reports.get(row.report_path ?? "") ?? { error: "not loaded (the file was not found)" }
      : undefined;
    rules.push(...sweepRules({ summary: value, isValid: isValidRun, ...(reportOf ? { reportOf } : {}) }));
  }
  return artifact("sweep", input, rules, collectGuards(input), options);
}

/** The first rule that failed, if any: the one the CLI names. */
export function firstFailure(check: CheckArtifact): RuleResult | undefined {
  return check.rules.find((r) => !r.passed);
}

function parseInput<T>(
  input: unknown,
  version: string,
  schema: z.ZodType<T>,
): { rules: RuleResult[]; value: T | null } {
  const found = isRecord(input) ? input.schema_version : undefined;
  const rules: RuleResult[] = [
    found === version
      ? { rule: "schema_version", passed: true, detail: version }
      : {
          rule: "schema_version",
          passed: false,
          detail: `schema_version is ${found === undefined ? "missing" : JSON.stringify(found)}, expected ${version}`,
        },
  ];
  const parsed = schema.safeParse(input);
  if (parsed.success) {
    rules.push({
      rule: "required_fields",
      passed: true,
      detail: "every required field present and well-formed",
    });
    return { rules, value: parsed.data };
  }
  const issue = parsed.error.issues[0];
  const where = issue?.path.map(String).join(".") || "(root)";
  rules.push({ rule: "required_fields", passed: false, detail: `${where}: ${issue?.message ?? "invalid"}` });
  return { rules, value: null };
}

function artifact(
  kind: CheckArtifact["kind"],
  input: unknown,
  rules: RuleResult[],
  guards: GuardDecision[],
  options: CheckOptions,
): CheckArtifact {
  const check: CheckArtifact = {
    schema_version: CHECK_SCHEMA_VERSION,
    kind,
    source: options.source ?? "(memory)",
    checked_at: (options.now?.() ?? new Date()).toISOString(),
    ok: rules.every((r) => r.passed),
    rules,
    guards,
  };
  // Every artifact carries its lane and profile (docs/lab.md): the checked input's, when it says.
  const lane = ExecutionLaneSchema.safeParse(isRecord(input) ? input.execution_lane : undefined);
  const profile = VramProfileSchema.safeParse(isRecord(input) ? input.vram_profile : undefined);
  if (lane.success) check.execution_lane = lane.data;
  if (profile.success) check.vram_profile = profile.data;
  return check;
}

/**
 * Every guard decision the input recorded, wherever a `guards` list sits (sweep rows, the summary's
 * root, a report's root or a run's telemetry), tagged with the row or run it belongs to.
 */
export function collectGuards(input: unknown): GuardDecision[] {
  if (!isRecord(input)) return [];
  const found: GuardDecision[] = [];
  const take = (list: unknown, owner: Record<string, string>) => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      const parsed = GuardDecisionSchema.safeParse(item);
      if (parsed.success) found.push({ ...parsed.data, ...owner });
    }
  };
  take(input.guards, {});
  for (const row of arrayOf(input.rows)) {
    if (isRecord(row)) take(row.guards, typeof row.quant_tag === "string" ? { row: row.quant_tag } : {});
  }
  for (const run of arrayOf(input.test_runs)) {
    if (!isRecord(run) || !isRecord(run.telemetry)) continue;
    take(run.telemetry.guards, typeof run.test_id === "string" ? { test_id: run.test_id } : {});
  }
  return found;
}

/**
 * Reads the report of every row of a sweep, keyed by the row's `report_path` as written. A relative
 * path is tried beside the summary first, then from the working directory.
 */
export async function loadSweepReports(
  summary: SweepSummary,
  summaryPath: string,
): Promise<Map<string, RowReport>> {
  const reports = new Map<string, RowReport>();
  for (const path of new Set(summary.rows.map((r) => r.report_path))) {
    if (path === null) continue;
    const candidates = isAbsolute(path) ? [path] : [join(dirname(summaryPath), path), resolve(path)];
    reports.set(path, await readRowReport(candidates));
  }
  return reports;
}

async function readRowReport(candidates: string[]): Promise<RowReport> {
  let text: string | undefined;
  for (const candidate of candidates) {
    text = await readFile(candidate, "utf8").catch(() => undefined);
    if (text !== undefined) break;
  }
  if (text === undefined) return { error: "the file does not exist or cannot be read" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `not JSON (${(error as Error).message})` };
  }
  const parsed = ReportSchema.safeParse(value);
  if (parsed.success) return { report: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    error: `not an Orket report: ${issue?.path.map(String).join(".") || "(root)"}: ${issue?.message}`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
