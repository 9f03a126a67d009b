import { join } from "node:path";
import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError, EXIT_FAILED } from "../errors.js";
import { addProjectFlag, intArg } from "../options.js";

export function registerReplay(program: Command, env: CliEnvironment): void {
  addProjectFlag(
    program
      .command("replay")
      .description("re-execute one stored turn from its messages and show how the answer differs"),
  )
    .requiredOption("--run <id>", "the run (orket runs)")
    .requiredOption("--issue <id>", "the issue")
    .requiredOption("--turn <n>", "the issue's turn number", intArg("--turn", 1))
    .option("-m, --model <ref>", "another model (default: the one the turn used, e.g. its cassette)")
    .option("--ollama-host <url>", "Ollama's address")
    .option("--base-url <url>", "OpenAI-compatible base URL")
    .option("--json", "print JSON")
    .action(
      async (flags: {
        run: string;
        issue: string;
        turn: number;
        model?: string;
        ollamaHost?: string;
        baseUrl?: string;
        json?: boolean;
        project: string;
      }) => {
        const { openDatabase, RunStore, projectDatabasePath } = await import("../../index.js");
        const { existsSync } = await import("node:fs");
        const dbPath = projectDatabasePath(flags.project);
        if (!existsSync(dbPath)) {
          const { noProjectState } = await import("./cards.js");
          throw new CliUsageError(noProjectState(env, flags.project, dbPath));
        }
        const db = openDatabase(dbPath);
        const run = new RunStore(db).getRun(flags.run);
        db.close();
        if (!run) throw new CliUsageError(`--run: no run ${flags.run} (orket runs lists them)`);
        const { replayTurn } = await import("../../index.js");
        const result = await replayTurn({
          runDir: join(run.workspace, "runs", run.run_id),
          issueId: flags.issue,
          turn: flags.turn,
          model: flags.model,
          providers: {
            ollamaHost: flags.ollamaHost ?? env.ollamaHost,
            openaiBaseURL: flags.baseUrl ?? env.openaiBaseURL,
          },
        });
        if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          process.stdout.write(
            `${result.turnDir} on ${result.modelRef}: ${result.error ? `error ${result.error.code}: ${result.error.message}` : result.same ? "same answer" : "the answer differs"}\n`,
          );
          if (result.diff) process.stdout.write(result.diff);
        }
        if (result.error) process.exitCode = EXIT_FAILED;
      },
    );
}
