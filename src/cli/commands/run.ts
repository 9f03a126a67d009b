import type { Command } from "commander";
import { VISIBILITY_MODES, type VisibilityMode } from "../../spec/memory-modes.js";
import type { CliEnvironment } from "../environment.js";
import {
  addLaneFlags,
  addModelFlag,
  addOtelFlag,
  addProjectFlag,
  addReporterFlag,
  choiceArg,
  intArg,
} from "../options.js";
import { addProviderFlags, type ProviderFlags, providerSettings } from "../provider-flags.js";
import type { ReporterName } from "../reporters.js";
import { runReported } from "../with-reporter.js";

interface RunFlags extends ProviderFlags {
  otel?: boolean;
  epic: string;
  model?: string;
  workspace?: string;
  project: string;
  resume?: boolean;
  concurrency: number;
  maxTurns: number;
  json?: boolean;
  reporter?: ReporterName;
  denyWrites?: boolean;
  lane?: "ci" | "lab";
  vramProfile?: "safe" | "balanced" | "stress";
  memory: VisibilityMode;
  memoryTrace?: boolean;
  routing: boolean;
  maxTraceBytes?: number;
}

export function registerRun(program: Command, env: CliEnvironment): void {
  const command = program
    .command("run")
    .description("work an epic's cards with LLM turns until they are done, blocked, or out of turns")
    .requiredOption("--epic <name>", "the epic to run (orket/epics/<name>.json or a built-in)");
  addModelFlag(command, "provider/model; else the epic environment's model; else Ollama or the smoke model");
  command
    .option("--workspace <dir>", "the run folder (default workspace/<epic>)")
    .option("--resume", "requeue cards left in progress by a crashed run and carry on")
    .option("--concurrency <n>", "issues worked at once", intArg("--concurrency", 1, 32), 3)
    .option("--max-turns <n>", "most turns in this run", intArg("--max-turns", 1), 200)
    .option("--json", "print the run summary as JSON")
    .option("--deny-writes", "refuse destructive tools (write_file): a refusal blocks the card")

    .option(
      "--memory <mode>",
      `project memory for the seats: ${VISIBILITY_MODES.join(", ")}`,
      choiceArg("--memory", VISIBILITY_MODES),
      "off",
    )
    .option("--no-routing", "ignore orket/preferences.json: every seat uses the run's default model")
    .option("--memory-trace", "write memory_trace.json and memory_retrieval_trace.json for every turn")
    .option(
      "--max-trace-bytes <n>",
      "cap on one trace file; a longer trace is cut at an event boundary (default 10 MiB)",
      intArg("--max-trace-bytes", 1024),
    );
  addProviderFlags(addLaneFlags(addOtelFlag(addReporterFlag(addProjectFlag(command))))).action(
    async (flags: RunFlags) => {
      const { runEpic } = await import("../../index.js");
      await runReported(env, {
        reporter: flags.reporter,
        otel: flags.otel,
        json: flags.json,
        onInterrupt: "finishing the turns at work, starting no new one (orket run --resume carries on)",
        run: ({ stream, signal }) =>
          runEpic({
            projectDir: flags.project,
            home: env.home,
            epicId: flags.epic,
            model: flags.model,
            workspaceDir: flags.workspace,
            resume: flags.resume,
            concurrency: flags.concurrency,
            maxIterations: flags.maxTurns,
            lane: flags.lane,
            vramProfile: flags.vramProfile,
            signal,
            confirmDestructive: () => !flags.denyWrites,
            denyWrites: Boolean(flags.denyWrites),
            memory: flags.memory,
            memoryTrace: Boolean(flags.memoryTrace),
            routing: flags.routing,
            maxTraceBytes: flags.maxTraceBytes,
            providers: providerSettings(flags, env),
            reporter: stream,
          }),
        record: (summary) => summary,
        text: (summary) =>
          [
            `${summary.status}: ${summary.reason}`,
            ...summary.issues.map(
              (i) => `  ${i.id.padEnd(24)} ${i.status}${i.wait_reason ? ` (${i.wait_reason})` : ""}`,
            ),
            `output: ${summary.workspace}/output  artifacts: ${summary.run_dir}`,
            "",
          ].join("\n"),
        failed: (summary) => summary.status !== "done",
      });
    },
  );
}
