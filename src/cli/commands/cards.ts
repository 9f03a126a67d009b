import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError } from "../errors.js";
import { addProjectFlag, intArg, outputFolderProblem } from "../options.js";

export function registerCardCommands(program: Command, env: CliEnvironment): void {
  program
    .command("init")
    .description("write a starter project: orket/ with an example epic and environment to edit")
    .argument("[dir]", "the project folder", ".")
    .option("--model <ref>", "the model reference to put in the default environment")
    .action(async (dir: string, flags: { model?: string }) => {
      const problem = outputFolderProblem(dir);
      if (problem !== null) throw new CliUsageError(`init: "${dir}" ${problem}`);
      const { BUILTIN_EPICS, BUILTIN_ENVIRONMENTS } = await import("../../index.js");
      const root = resolve(dir);
      const files: Array<[string, unknown]> = [
        ...BUILTIN_EPICS.map((e): [string, unknown] => [join("orket", "epics", `${e.id}.json`), e]),
        ...BUILTIN_ENVIRONMENTS.map((e): [string, unknown] => [
          join("orket", "environments", `${e.name}.json`),
          flags.model ? { ...e, model: flags.model } : e,
        ]),
      ];
      for (const [file, value] of files) {
        const path = join(root, file);
        if (existsSync(path)) {
          process.stdout.write(`kept ${file} (exists)\n`);
          continue;
        }
        await mkdir(join(path, ".."), { recursive: true });
        await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { flag: "wx" });
        process.stdout.write(`wrote ${file}\n`);
      }
      const ignore = join(root, ".gitignore");
      const current = existsSync(ignore) ? await readFile(ignore, "utf8") : "";
      const missing = [".orket/", "workspace/"].filter((line) => !current.split("\n").includes(line));
      if (missing.length)
        await writeFile(
          ignore,
          `${current}${current && !current.endsWith("\n") ? "\n" : ""}${missing.join("\n")}\n`,
        );
      process.stdout.write(
        `next: orket run --epic hello-python${flags.model ? "" : " --model <provider/model>"}\n`,
      );
    });

  addProjectFlag(
    program
      .command("board")
      .description("the cards of a build as a table (default: every build of the project)"),
  )
    .option("--build <id>", "one build (epic@workspace)")
    .option("--json", "print JSON")
    .action(async (flags: { build?: string; json?: boolean; project: string }) => {
      const store = await openStores(env, flags.project);
      try {
        const builds = flags.build ? [flags.build] : store.cards.listBuilds().map((b) => b.build_id);
        const boards = builds.map((build) => ({ build, issues: store.cards.getIssues(build) }));
        if (flags.json) return print(JSON.stringify(boards, null, 2));
        if (boards.length === 0) return print("no builds yet: orket run --epic <name>");
        for (const { build, issues } of boards) {
          print(`${build}`);
          if (issues.length === 0) print("  (no cards: unknown build?)");
          for (const i of issues) {
            const deps = i.depends_on.length ? ` ← ${i.depends_on.join(", ")}` : "";
            print(
              `  ${i.id.padEnd(24)} ${i.status.padEnd(24)} ${i.seat.padEnd(22)} attempts ${i.attempts}  turns ${i.turns}${i.wait_reason ? `  wait: ${i.wait_reason}` : ""}${deps}`,
            );
          }
        }
      } finally {
        store.close();
      }
    });

  const runs = program.command("runs").description("past runs, newest first");
  addProjectFlag(runs.command("list", { isDefault: true }).description("list the project's runs"))
    .option("--limit <n>", "how many", intArg("--limit", 1, 1000), 20)
    .option("--json", "print JSON")
    .action(async (flags: { limit: number; json?: boolean; project: string }) => {
      const store = await openStores(env, flags.project);
      try {
        const list = store.runs.listRuns(flags.limit);
        if (flags.json) return print(JSON.stringify(list, null, 2));
        if (list.length === 0) return print("no runs yet");
        for (const r of list)
          print(
            `${r.run_id}  ${r.status.padEnd(16)} ${r.epic_id.padEnd(20)} ${r.model_ref}  ${r.started_at}`,
          );
      } finally {
        store.close();
      }
    });
  addProjectFlag(runs.command("show").description("one run: its summary and its ledger of turns"))
    .argument("<run-id>", "the run")
    .option("--json", "print JSON")
    .action(async (runId: string, flags: { json?: boolean; project: string }) => {
      const store = await openStores(env, flags.project);
      try {
        const run = store.runs.getRun(runId);
        if (!run) throw new CliUsageError(`no run ${runId} in ${store.path} (orket runs lists them)`);
        const ledger = store.runs.listLedger(runId);
        if (flags.json) return print(JSON.stringify({ run, ledger }, null, 2));
        print(
          `${run.run_id}: ${run.status} · ${run.epic_id} · ${run.model_ref} · ${run.started_at} → ${run.ended_at ?? "…"}`,
        );
        for (const l of ledger) {
          print(
            `  ${String(l.seq).padStart(3)} ${String(l.issue_id).padEnd(20)} ${String(l.seat).padEnd(20)} turn ${l.turn}  ${l.outcome}${l.error_code ? ` ${l.error_code}` : ""}  model ${l.internal_model_seconds ?? "?"} s / ${l.total_seconds ?? "?"} s`,
          );
        }
      } finally {
        store.close();
      }
    });
}

async function openStores(env: CliEnvironment, project: string) {
  const { openDatabase, CardStore, RunStore, projectDatabasePath } = await import("../../index.js");
  const dbPath = projectDatabasePath(project);
  if (!existsSync(dbPath)) throw new CliUsageError(noProjectState(env, project, dbPath));
  const db = openDatabase(dbPath);
  return { cards: new CardStore(db), runs: new RunStore(db), path: dbPath, close: () => db.close() };
}

/**
 * The project has no state yet. Before a project's state moved into the project, it lived in
 * ORKET_HOME, shared by every project: say where that old file is rather than read it as this one's.
 */
export function noProjectState(env: CliEnvironment, project: string, dbPath: string): string {
  const shared = join(env.home, "orket.db");
  const old =
    existsSync(shared) && shared !== dbPath
      ? `; ${shared} holds state from before projects kept their own (move it there if it is this project's)`
      : "";
  return `no Orket state for project ${project === "." ? "in this folder" : project} at ${dbPath} yet (run an epic first, or give --project)${old}`;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
