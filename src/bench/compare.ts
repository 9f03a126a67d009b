/**
 * `orket report compare`: reads a baseline `orket_report.json` and one or more candidates, refuses
 * reports of different banks, compares each candidate with the baseline (src/core/bench/compare.ts),
 * applies the `--fail-on` gate, and returns the `orket.comparison.v1` record (docs/compare.md).
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import {
  COMPARED_METRICS,
  type CompareOptions,
  compareReports,
  DEFAULT_COMPARE_OPTIONS,
} from "../core/bench/compare.js";
import { applyGate, gateFails, parseFailOn } from "../core/bench/gate.js";
import { COMPARISON_SCHEMA_VERSION, type ComparedReport, type Comparison } from "../spec/comparison.js";
import { SWEEP_SCHEMA_VERSION, SweepSummarySchema } from "../spec/lab.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { type Report, ReportSchema } from "../spec/report.js";
import { ORKET_VERSION } from "../version.js";

export class CompareInputError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = {
    BAD_COMPARE_INPUT: "usage",
    BANK_MISMATCH: "usage",
  };
  override readonly code: "BAD_COMPARE_INPUT" | "BANK_MISMATCH";
  constructor(code: "BAD_COMPARE_INPUT" | "BANK_MISMATCH", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface CompareRunOptions extends Partial<CompareOptions> {
  baseline: string;
  candidates: readonly string[];
  /** `--fail-on`: thresholds such as `pass_rate:-2pp,init_latency_p50:+10%`. */
  failOn?: string | undefined;
  /** A threshold passed by its estimate alone (or unknown) fails the gate too. */
  strict?: boolean;
  /** Show tasks left out of the statistics in the views (they never enter the statistics). */
  includeInvalid?: boolean;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new CompareInputError("BAD_COMPARE_INPUT", `${path}: cannot read it as JSON (${why})`, {
      cause: error,
    });
  }
}

/** Reads (unless its parsed JSON is given) and validates one report. */
export async function readComparedReport(
  path: string,
  parsedJson?: unknown,
): Promise<{ report: Report; info: ComparedReport }> {
  const value = parsedJson === undefined ? await readJson(path) : parsedJson;
  const schema = (value as { schema_version?: unknown } | null)?.schema_version;
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join(".") || "(top)"}: ${issue.message}` : "not a report";
    throw new CompareInputError(
      "BAD_COMPARE_INPUT",
      `${path}: not an orket_report.json (schema_version ${JSON.stringify(schema ?? null)}; ${where})`,
    );
  }
  const report = parsed.data;
  return {
    report,
    info: {
      path: resolve(path),
      model_ref: report.settings.model_ref,
      report_generated_at: report.report_generated_at,
      bank: {
        name: report.settings.bank.name,
        version: report.settings.bank.version,
        sha256: report.settings.bank.sha256 ?? null,
      },
      runs_per_task: report.settings.runs_per_task,
    },
  };
}

/** Two reports ran one bank when their sha256 agree, or (older reports) their name and version do. */
function sameBank(a: ComparedReport, b: ComparedReport): void {
  const same =
    a.bank.sha256 !== null && b.bank.sha256 !== null
      ? a.bank.sha256 === b.bank.sha256
      : a.bank.name === b.bank.name && a.bank.version === b.bank.version;
  if (!same) {
    const name = (r: ComparedReport) =>
      `${r.bank.name} ${r.bank.version}${r.bank.sha256 ? ` (sha256 ${r.bank.sha256.slice(0, 12)})` : ""}`;
    throw new CompareInputError(
      "BANK_MISMATCH",
      `${b.path} ran bank ${name(b)}, the baseline ${a.path} ran ${name(a)}: only runs of one bank compare`,
    );
  }
}

/**
 * The report files a candidate argument stands for: itself, or, for a sweep summary, the report of each
 * of its rows (in the sweep's order), so `compare base.json sweep_summary.json` compares every row.
 */
async function candidateReports(path: string): Promise<Array<{ path: string; value?: unknown }>> {
  const value = await readJson(path);
  if ((value as { schema_version?: unknown } | null)?.schema_version !== SWEEP_SCHEMA_VERSION)
    return [{ path, value }];
  const summary = SweepSummarySchema.safeParse(value);
  if (!summary.success)
    throw new CompareInputError(
      "BAD_COMPARE_INPUT",
      `${path}: not a valid sweep summary (${summary.error.issues[0]?.message})`,
    );
  const rows = summary.data.rows.filter((r) => r.report_path !== null);
  if (rows.length === 0)
    throw new CompareInputError(
      "BAD_COMPARE_INPUT",
      `${path}: the sweep summary has no row with a report to compare`,
    );
  return rows.map((r) => {
    const report = r.report_path as string;
    return { path: isAbsolute(report) ? report : join(dirname(path), report) };
  });
}

export async function compareReportFiles(options: CompareRunOptions): Promise<Comparison> {
  const settings: CompareOptions = {
    resamples: options.resamples ?? DEFAULT_COMPARE_OPTIONS.resamples,
    seed: options.seed ?? DEFAULT_COMPARE_OPTIONS.seed,
    confidence: options.confidence ?? DEFAULT_COMPARE_OPTIONS.confidence,
  };
  if (options.candidates.length === 0)
    throw new CompareInputError("BAD_COMPARE_INPUT", "give a candidate report to compare with the baseline");
  // The gate is parsed before any file is read: a typo fails at once.
  const thresholds = options.failOn === undefined ? null : parseFailOn(options.failOn);
  const baselineFiles = await candidateReports(options.baseline);
  const first = baselineFiles[0];
  if (baselineFiles.length !== 1 || first === undefined || first.path !== options.baseline)
    throw new CompareInputError(
      "BAD_COMPARE_INPUT",
      `${options.baseline}: a sweep summary cannot be the baseline; give one report (a row's orket_report.json), and the sweep as a candidate to compare each of its rows`,
    );
  const baseline = await readComparedReport(first.path, first.value);
  const candidates = [];
  for (const path of options.candidates) {
    for (const file of await candidateReports(path)) {
      const candidate = await readComparedReport(file.path, file.value);
      sameBank(baseline.info, candidate.info);
      candidates.push(candidate);
    }
  }
  const comparisons = candidates.map((candidate) => {
    const compared = compareReports(baseline.report, candidate.report, candidate.info, settings);
    return { ...compared, gate: thresholds === null ? null : applyGate(thresholds, compared) };
  });
  return {
    schema_version: COMPARISON_SCHEMA_VERSION,
    generated_at: new Date().toISOString(),
    orket_version: ORKET_VERSION,
    settings: {
      confidence: settings.confidence,
      bootstrap_resamples: settings.resamples,
      seed: settings.seed,
      include_invalid: options.includeInvalid === true,
      fail_on: options.failOn ?? null,
      strict: options.strict === true,
    },
    baseline: baseline.info,
    comparisons,
    gate_failed: comparisons.some((c) => c.gate !== null && gateFails(c.gate, options.strict === true)),
  };
}

export { COMPARED_METRICS };
