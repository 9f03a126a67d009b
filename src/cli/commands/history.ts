/**
 * `orket history` (list, add, trend) and `orket leaderboard`: the project's recorded benchmarks, from
 * `<project>/.orket/orket.db` (docs/compare.md, History).
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError } from "../errors.js";
import { addProjectFlag, intArg } from "../options.js";

interface Filters {
  project: string;
  model?: string;
  bank?: string;
  role?: string;
  since?: string;
  until?: string;
  limit?: number;
  json?: boolean;
}

function dateArg(flag: string) {
  return (value: string): string => {
    const at = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime()))
      throw new CliUsageError(`${flag} takes a date such as 2026-12-01 (or an ISO time), not "${value}"`);
    return at.toISOString();
  };
}

function filterFlags(command: Command): Command {
  return addProjectFlag(command)
    .option("--model <text>", "model references containing this text")
    .option("--bank <name>", "one bank (its name or sha256)")
    .option("--role <role>", "benchmarks recorded for one role")
    .option("--since <date>", "generated on or after this date", dateArg("--since"))
    .option("--until <date>", "generated before this date", dateArg("--until"))
    .option("--json", "print JSON");
}

async function openHistory(project: string, env: CliEnvironment) {
  const { openDatabase, HistoryStore, projectDatabasePath } = await import("../../index.js");
  const path = projectDatabasePath(project);
  if (!existsSync(path)) {
    const { noProjectState } = await import("./cards.js");
    throw new CliUsageError(
      noProjectState(env, project, path).replace("run an epic first", "run a bench first"),
    );
  }
  const db = openDatabase(path);
  return { store: new HistoryStore(db), close: () => db.close() };
}

const fixed = (v: number | null, digits = 3) => (v === null ? "—" : Number(v.toFixed(digits)).toString());

export function registerHistory(program: Command, env: CliEnvironment): void {
  const history = program.command("history").description("the project's recorded benchmarks and sweeps");
  filterFlags(history.command("list", { isDefault: true }).description("list them, newest first"))
    .option("--limit <n>", "how many", intArg("--limit", 1, 100_000), 50)
    .action(async (flags: Filters) => {
      const { store, close } = await openHistory(flags.project, env);
      try {
        const rows = store.list(flags);
        if (flags.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        if (rows.length === 0)
          return void process.stdout.write("no benchmarks recorded (orket bench records each)\n");
        for (const r of rows)
          process.stdout.write(
            `${r.generated_at.slice(0, 19)}  ${r.model_ref}${r.quantization ? ` [${r.quantization}]` : ""}  ${r.bank_name} ${r.bank_version}  pass ${fixed(r.pass_rate)} (${r.passes}/${r.valid_runs} valid of ${r.test_runs})  ttft ${fixed(r.median_init_latency)} s  ${fixed(r.median_generation_tps, 1)} tok/s  rss ${fixed(r.peak_memory_rss, 0)} MiB  ${r.report_path}\n`,
          );
      } finally {
        close();
      }
    });

  addProjectFlag(
    history
      .command("add")
      .description("record report files (orket_report.json) or sweep summaries run before or elsewhere")
      .argument("<files...>", "reports or sweep summaries"),
  )
    .option("--json", "print JSON")
    .action(async (files: string[], flags: { project: string; json?: boolean }) => {
      const { addHistoryFiles, projectDatabasePath } = await import("../../index.js");
      const result = await addHistoryFiles(projectDatabasePath(flags.project), files);
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(result)}\n`
          : `recorded ${result.added} report(s)${result.known ? `; ${result.known} already recorded` : ""}\n`,
      );
    });

  filterFlags(
    history.command("trend").description("one model's figures over time: drift of the model or the box"),
  ).action(async (flags: Filters) => {
    if (flags.model === undefined) throw new CliUsageError("history trend needs --model");
    const { trend } = await import("../../index.js");
    const { store, close } = await openHistory(flags.project, env);
    try {
      const rows = trend(store.list(flags));
      if (flags.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0)
        return void process.stdout.write(`no recorded benchmark of a model matching "${flags.model}"\n`);
      process.stdout.write("generated            pass   ttft s  total s  tok/s   rss MiB  model · host\n");
      for (const r of rows)
        process.stdout.write(
          `${r.generated_at.slice(0, 19)}  ${fixed(r.pass_rate).padEnd(5)}  ${fixed(r.median_init_latency).padEnd(6)}  ${fixed(r.median_total_latency).padEnd(7)}  ${fixed(r.median_generation_tps, 1).padEnd(6)}  ${fixed(r.peak_memory_rss, 0).padEnd(7)}  ${r.model_ref} · ${r.host}\n`,
        );
    } finally {
      close();
    }
  });

  filterFlags(
    program
      .command("leaderboard")
      .description(
        "models × quantizations ranked by pass rate (exact 95 % interval), speed and memory beside",
      ),
  ).action(async (flags: Filters) => {
    const { leaderboard } = await import("../../index.js");
    const { store, close } = await openHistory(flags.project, env);
    try {
      const rows = leaderboard(store.list(flags));
      if (flags.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0)
        return void process.stdout.write("no benchmarks recorded (orket bench records each)\n");
      process.stdout.write(
        "rank  pass   95 % CI        runs  ttft s  tok/s   rss MiB  model [quant] · bank\n",
      );
      for (const r of rows) {
        const ci = r.interval ? `${fixed(r.interval[0], 2)}–${fixed(r.interval[1], 2)}` : "—";
        process.stdout.write(
          `${String(r.rank).padEnd(4)}  ${fixed(r.pass_rate).padEnd(5)}  ${ci.padEnd(13)}  ${String(r.valid_runs).padEnd(4)}  ${fixed(r.median_init_latency).padEnd(6)}  ${fixed(r.median_generation_tps, 1).padEnd(6)}  ${fixed(r.peak_memory_rss, 0).padEnd(7)}  ${r.model_ref}${r.quantization ? ` [${r.quantization}]` : ""} · ${r.bank}\n`,
        );
      }
    } finally {
      close();
    }
  });
}
