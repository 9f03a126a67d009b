/**
 * Every benchmark a project ran, one row per report (a bench, or a row of a sweep): where the report
 * is, its hash, the model and bank identities, the reproducibility record and the summary figures
 * (docs/compare.md, History). The same report recorded twice is one row.
 */
import { z } from "zod";
import { type Database, statementCache } from "./db.js";
import { parseRows, toJsonText } from "./rows.js";

export const HistoryRowSchema = z.object({
  history_id: z.number().int().positive(),
  kind: z.enum(["bench", "sweep_row"]),
  report_path: z.string(),
  report_sha256: z.string(),
  sweep_path: z.string().nullable(),
  recorded_at: z.string(),
  generated_at: z.string(),
  model_ref: z.string(),
  quantization: z.string().nullable(),
  model_sha256: z.string().nullable(),
  bank_name: z.string(),
  bank_version: z.string(),
  bank_sha256: z.string().nullable(),
  mode: z.string(),
  role: z.string().nullable(),
  host: z.string(),
  test_runs: z.number().int().nonnegative(),
  valid_runs: z.number().int().nonnegative(),
  passes: z.number().int().nonnegative(),
  pass_rate: z.number().nullable(),
  median_init_latency: z.number().nullable(),
  median_total_latency: z.number().nullable(),
  median_generation_tps: z.number().nullable(),
  peak_memory_rss: z.number().nullable(),
  reproducibility: z.string().transform((text) => JSON.parse(text) as unknown),
});
export type HistoryEntry = z.infer<typeof HistoryRowSchema>;
export type HistoryInput = Omit<HistoryEntry, "history_id" | "reproducibility"> & {
  reproducibility: unknown;
};

export interface HistoryFilter {
  /** Model references containing this text. */
  model?: string | undefined;
  bank?: string | undefined;
  role?: string | undefined;
  /** ISO dates: reports generated at or after `since`, before `until`. */
  since?: string | undefined;
  until?: string | undefined;
  limit?: number | undefined;
}

export class HistoryStore {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(private readonly db: Database) {
    this.sql = statementCache(db);
  }

  /** Records one report; false when a report with the same hash is already recorded. */
  add(entry: HistoryInput): boolean {
    const result = this.sql(
      `INSERT INTO bench_history (kind, report_path, report_sha256, sweep_path, recorded_at, generated_at,
         model_ref, quantization, model_sha256, bank_name, bank_version, bank_sha256, mode, role, host,
         test_runs, valid_runs, passes, pass_rate, median_init_latency, median_total_latency,
         median_generation_tps, peak_memory_rss, reproducibility)
       VALUES (@kind, @report_path, @report_sha256, @sweep_path, @recorded_at, @generated_at, @model_ref,
         @quantization, @model_sha256, @bank_name, @bank_version, @bank_sha256, @mode, @role, @host,
         @test_runs, @valid_runs, @passes, @pass_rate, @median_init_latency, @median_total_latency,
         @median_generation_tps, @peak_memory_rss, @reproducibility)
       ON CONFLICT (report_sha256) DO NOTHING`,
    ).run({ ...entry, reproducibility: toJsonText(entry.reproducibility, "bench_history.reproducibility") });
    return result.changes === 1;
  }

  get(historyId: number): HistoryEntry | undefined {
    const row = this.sql("SELECT * FROM bench_history WHERE history_id = ?").get(historyId);
    return row === undefined ? undefined : parseRows(HistoryRowSchema, "bench_history", [row])[0];
  }

  /** Newest first. */
  list(filter: HistoryFilter = {}): HistoryEntry[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.model !== undefined) {
      where.push("instr(model_ref, @model) > 0");
      params.model = filter.model;
    }
    if (filter.bank !== undefined) {
      where.push("(bank_name = @bank OR bank_sha256 = @bank)");
      params.bank = filter.bank;
    }
    if (filter.role !== undefined) {
      where.push("role = @role");
      params.role = filter.role;
    }
    if (filter.since !== undefined) {
      where.push("generated_at >= @since");
      params.since = filter.since;
    }
    if (filter.until !== undefined) {
      where.push("generated_at < @until");
      params.until = filter.until;
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM bench_history ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY generated_at DESC, history_id DESC LIMIT @limit`,
      )
      .all({ ...params, limit: filter.limit ?? -1 });
    return parseRows(HistoryRowSchema, "bench_history", rows);
  }
}
