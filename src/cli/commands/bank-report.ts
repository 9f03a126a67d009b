import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { CliUsageError, EXIT_FAILED, EXIT_USAGE } from "../errors.js";
import { registerCompare } from "./compare.js";

export function registerBankAndReport(program: Command): void {
  const bank = program.command("bank").description("task banks: validate, self-test, import");
  bank
    .command("validate")
    .description("check a bank's format and contents")
    .argument("[bank]", "builtin or a bank JSON file", "builtin")
    .action(async (source: string) => {
      const { loadBank, validateBank, formatProblem } = await import("../../index.js");
      const problems = await validateBank(source);
      if (problems.length > 0) {
        for (const problem of problems) process.stderr.write(`${formatProblem(problem)}\n`);
        process.stderr.write(`orket: BAD_BANK: ${problems.length} problem(s) in ${source}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const loaded = await loadBank(source);
      process.stdout.write(
        `${source}: ${loaded.name} ${loaded.version}, ${loaded.tasks.length} tasks, valid\n`,
      );
    });
  bank
    .command("selftest")
    .description(
      "run every reference solution through the evaluator and the validator; a shipped bank must pass 100%",
    )
    .argument("[bank]", "builtin or a bank JSON file", "builtin")
    .option("--json", "print JSON")
    .action(async (source: string, flags: { json?: boolean }) => {
      const { loadBank, selftestBank } = await import("../../index.js");
      const loaded = await loadBank(source);
      const result = await selftestBank(loaded);
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        for (const t of result.tasks.filter((x) => !x.passed))
          process.stdout.write(`FAIL ${t.task_id}: ${t.detail}\n`);
        process.stdout.write(
          `${result.passed}/${result.total} reference solutions pass (${loaded.name} ${loaded.version})\n`,
        );
      }
      if (result.passed !== result.total) process.exitCode = EXIT_FAILED;
    });
  bank
    .command("import")
    .description("import a HumanEval-format JSONL file into a bank")
    .argument("<file>", "the .jsonl file")
    .requiredOption("--out <file>", "the bank JSON to write")
    .option("--name <name>", "the bank's name")
    .action(async (file: string, flags: { out: string; name?: string }) => {
      const { importHumanEval } = await import("../../index.js");
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch {
        throw new CliUsageError(`cannot read ${file}`);
      }
      const imported = importHumanEval(text, { name: flags.name ?? "humaneval-import", source: file });
      await writeFile(flags.out, `${JSON.stringify(imported, null, 2)}\n`);
      process.stdout.write(
        `wrote ${flags.out}: ${imported.tasks.length} tasks (check it: orket bank selftest ${flags.out})\n`,
      );
    });

  const report = program.command("report").description("read and compare orket_report.json files");
  registerCompare(report);
  report
    .command("show")
    .description("the summary and a per-task table")
    .argument("<file>", "an orket_report.json")
    .action(async (file: string) => {
      const { renderReportText: renderText } = await import("../../index.js");
      process.stdout.write(`${renderText(await readReport(file))}\n`);
    });
  report
    .command("md")
    .description("the report as markdown")
    .argument("<file>", "an orket_report.json")
    .option("--out <file>", "write here instead of standard output")
    .action(async (file: string, flags: { out?: string }) => {
      const { renderReportMarkdown: renderMarkdown } = await import("../../index.js");
      const md = renderMarkdown(await readReport(file));
      if (flags.out) await writeFile(flags.out, md);
      else process.stdout.write(md);
    });
}

async function readReport(file: string) {
  const { ReportSchema } = await import("../../spec/report.js");
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new CliUsageError(`${file}: not a readable JSON file (${(error as Error).message})`);
  }
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(
      `${file}: not an Orket report: ${issue?.path.map(String).join(".") || "(root)"}: ${issue?.message}`,
    );
  }
  return parsed.data;
}
