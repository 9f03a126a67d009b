/**
 * `orket check report <orket_report.json>` and `orket check sweep <sweep_summary.json>`: print each rule's
 * verdict, write the check artifact (default `orket_check.json` beside the input), and exit 0 when every
 * rule passed, 1 naming the first that failed, 2 when the input is unreadable or not the artifact it
 * should be. The work happens in `lab/check`, imported only when a command runs.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import type { CheckArtifact } from "../../spec/lab.js";
import { type ExitClass, OrketError } from "../../spec/orket-error.js";
import type { CliEnvironment } from "../environment.js";

/** The input is unreadable, not JSON, or not the artifact the command checks: exit 2. */
export class CheckInputError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_CHECK_INPUT: "usage" };
  override readonly code = "BAD_CHECK_INPUT";
}

/** A rule failed: exit 1, naming it. */
export class CheckFailedError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { CHECK_FAILED: "failed" };
  override readonly code = "CHECK_FAILED";
}

interface CheckFlags {
  json?: boolean;
  out?: string;
}

export function registerCheck(program: Command, _env: CliEnvironment): void {
  const check = program
    .command("check")
    .description("judge a report or a sweep summary against the valid-run policy; writes orket_check.json");
  check
    .command("report")
    .description("check an orket_report.json: KPIs from valid runs only, reasons, overhead fields, lanes")
    .argument("<file>", "an orket_report.json")
    .option("--json", "print the check artifact as JSON")
    .option("--out <file>", "where to write the check artifact (default: orket_check.json beside the input)")
    .action(async (file: string, flags: CheckFlags) => {
      const { checkReport } = await import("../../index.js");
      const value = await readJson(file);
      await finish(file, checkReport(value, { source: file }), flags);
    });
  check
    .command("sweep")
    .description("check a sweep summary: every row ran, valid-run aggregates, frontier, KPIs, guards")
    .argument("<file>", "a sweep_summary.json")
    .option("--json", "print the check artifact as JSON")
    .option("--out <file>", "where to write the check artifact (default: orket_check.json beside the input)")
    .action(async (file: string, flags: CheckFlags) => {
      const { checkSweep, loadSweepReports } = await import("../../index.js");
      const { SweepSummarySchema } = await import("../../spec/lab.js");
      const value = await readJson(file);
      const parsed = SweepSummarySchema.safeParse(value);
      const reports = parsed.success ? await loadSweepReports(parsed.data, file) : undefined;
      await finish(file, checkSweep(value, { source: file, ...(reports ? { reports } : {}) }), flags);
    });
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CheckInputError(
      `${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckInputError(`${file}: not JSON (${oneLine((error as Error).message)})`);
  }
}

async function finish(file: string, check: CheckArtifact, flags: CheckFlags): Promise<void> {
  const { INPUT_RULES, firstFailure } = await import("../../index.js");
  const failed = firstFailure(check);
  if (failed && INPUT_RULES.includes(failed.rule))
    throw new CheckInputError(`${file}: not a valid ${check.kind} file: ${oneLine(failed.detail)}`);
  const out = flags.out ?? join(dirname(file), "orket_check.json");
  const { writeFileAtomic } = await import("../../index.js");
  await writeFileAtomic(out, `${JSON.stringify(check, null, 2)}\n`);
  if (flags.json) process.stdout.write(`${JSON.stringify(check, null, 2)}\n`);
  else {
    for (const r of check.rules)
      process.stdout.write(r.passed ? `PASS ${r.rule}\n` : `FAIL ${r.rule}: ${oneLine(r.detail)}\n`);
    const guards = check.guards.length ? `, ${check.guards.length} guard decisions` : "";
    process.stdout.write(`wrote ${out} (${check.rules.length} rules${guards})\n`);
  }
  if (failed) throw new CheckFailedError(`${failed.rule}: ${oneLine(failed.detail)}`);
}

/** Details carry user text (model refs): one line, no control characters for the terminal. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ");
}
