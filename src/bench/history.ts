/**
 * The project's benchmark history (docs/compare.md, History): each report a bench or a sweep row
 * writes is recorded in `<project>/.orket/orket.db` with its hash, identities and summary figures;
 * `orket history add` records report files written before, or elsewhere. Leaderboard and trend read it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { SWEEP_SCHEMA_VERSION, SweepSummarySchema } from "../spec/lab.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { type Report, ReportSchema } from "../spec/report.js";
import { openDatabase } from "../store/db.js";
import { type HistoryInput, HistoryStore } from "../store/history-store.js";
import { isValidRun } from "./summarize.js";

/** The history row of one report: identities from its records, figures over its valid runs. */
export function historyEntryOf(
  report: Report,
  text: string,
  path: string,
  sweepPath: string | null = null,
): HistoryInput {
  const valid = report.test_runs.filter(isValidRun);
  const repro = report.reproducibility;
  const rss = valid.map((r) => r.telemetry.peak_memory_rss).filter((v): v is number => v !== null);
  const host = report.settings.host;
  return {
    kind: sweepPath === null ? "bench" : "sweep_row",
    report_path: resolve(path),
    report_sha256: createHash("sha256").update(text).digest("hex"),
    sweep_path: sweepPath === null ? null : resolve(sweepPath),
    recorded_at: new Date().toISOString(),
    generated_at: report.report_generated_at,
    model_ref: report.settings.model_ref,
    quantization: repro?.model.quantization_tag ?? repro?.model.quantization ?? null,
    model_sha256: repro?.model.file_sha256 ?? repro?.model.digest ?? null,
    bank_name: report.settings.bank.name,
    bank_version: report.settings.bank.version,
    bank_sha256: report.settings.bank.sha256 ?? null,
    mode: report.settings.mode,
    role: report.settings.role ?? null,
    host: `${host.cpu_model} · ${host.core_count} cores · ${host.total_memory_mib} MiB · ${host.platform}-${host.arch}`,
    test_runs: report.test_runs.length,
    valid_runs: valid.length,
    passes: valid.filter((r) => r.outcome === "pass").length,
    pass_rate: report.summary.pass_rate,
    median_init_latency: report.summary.median_init_latency,
    median_total_latency: report.summary.median_total_latency,
    median_generation_tps: report.summary.median_generation_tokens_per_second,
    peak_memory_rss: rss.length === 0 ? null : Math.max(...rss),
    reproducibility: repro ?? null,
  };
}

/** Records reports into the project database at `database`; returns how many were new. */
export function recordHistory(database: string, entries: readonly HistoryInput[]): number {
  const db = openDatabase(database);
  try {
    const store = new HistoryStore(db);
    return db.transaction(() => entries.filter((e) => store.add(e)).length)();
  } finally {
    db.close();
  }
}

/** Records the report the benchmark just wrote (its text as written, so the hash is the file's). */
export async function recordBenchReport(
  database: string,
  path: string,
  sweepPath: string | null = null,
): Promise<void> {
  const text = await readFile(path, "utf8");
  recordHistory(database, [historyEntryOf(ReportSchema.parse(JSON.parse(text)), text, path, sweepPath)]);
}

export class HistoryInputError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_HISTORY_INPUT: "usage" };
  override readonly code = "BAD_HISTORY_INPUT";
}

/**
 * `orket history add`: records report files, and each row's report of sweep summaries. Every file is
 * read and checked before anything is written, so a bad one leaves the history as it was.
 */
export async function addHistoryFiles(
  database: string,
  files: readonly string[],
): Promise<{ added: number; known: number; reports: number }> {
  const entries: HistoryInput[] = [];
  for (const file of files) {
    const value = await readJson(file);
    const version = (value as { schema_version?: unknown } | null)?.schema_version;
    if (version === SWEEP_SCHEMA_VERSION) {
      const summary = SweepSummarySchema.safeParse(value);
      if (!summary.success)
        throw new HistoryInputError(
          `${file}: not a valid sweep summary (${summary.error.issues[0]?.message})`,
        );
      for (const row of summary.data.rows) {
        if (row.report_path === null) continue;
        const path = isAbsolute(row.report_path) ? row.report_path : join(dirname(file), row.report_path);
        entries.push(await entryOfFile(path, file));
      }
    } else entries.push(await entryOfFile(file, null));
  }
  const added = recordHistory(database, entries);
  return { added, known: entries.length - added, reports: entries.length };
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new HistoryInputError(`${file}: cannot read it as JSON (${why})`, { cause: error });
  }
}

async function entryOfFile(path: string, sweepPath: string | null): Promise<HistoryInput> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new HistoryInputError(
      `${path}: cannot read the report${sweepPath ? ` of sweep ${sweepPath}` : ""}`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HistoryInputError(`${path}: not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HistoryInputError(
      `${path}: neither an orket_report.json nor a sweep summary (${issue?.path.join(".") || "(top)"}: ${issue?.message})`,
    );
  }
  return historyEntryOf(parsed.data, text, path, sweepPath);
}
