/**
 * `orket report compare <baseline> <candidate> [<candidate> …]` (or --baseline/--candidate): is the
 * candidate worse than the baseline, and is that real? A TTY table, `--json` (orket.comparison.v1),
 * `--md` and `--html` files, and the `--fail-on` gate (exit 1 when a threshold is breached).
 * docs/compare.md.
 */
import type { Command } from "commander";
import { CliUsageError, EXIT_FAILED } from "../errors.js";
import { collect, intArg, outputFileArg } from "../options.js";

interface CompareFlags {
  baseline?: string;
  candidate?: string[];
  includeInvalid?: boolean;
  json?: boolean;
  md?: string;
  html?: string;
  failOn?: string;
  strict?: boolean;
  resamples: number;
  seed: number;
}

export function registerCompare(report: Command): void {
  report
    .command("compare")
    .description("compare candidate reports with a baseline: paired by task, with intervals and significance")
    .argument("[reports...]", "the baseline orket_report.json, then one or more candidates")
    .option("--baseline <file>", "the baseline report (instead of the first argument)")
    .option("--candidate <file>", "a candidate report (repeatable; instead of the later arguments)", collect)
    .option(
      "--include-invalid",
      "show tasks left out of the statistics in the tables (never in the statistics)",
    )
    .option(
      "--fail-on <thresholds>",
      "exit 1 when one is breached: pass_rate:-2pp,init_latency_p50:+10%,generation_tokens_per_second_p50:-5%",
    )
    .option(
      "--strict",
      "with --fail-on: also fail on a threshold passed only by its estimate (not significant)",
    )
    .option("--json", "print the comparison record (orket.comparison.v1)")
    .option("--md <file>", "write the comparison as markdown (a pull-request comment)", outputFileArg("--md"))
    .option(
      "--html <file>",
      "write the comparison as one self-contained HTML page with charts",
      outputFileArg("--html"),
    )
    .option("--resamples <n>", "bootstrap resamples", intArg("--resamples", 100, 100_000), 2000)
    .option("--seed <n>", "seed of the bootstrap", intArg("--seed", 0), 1)
    .action(async (files: string[], flags: CompareFlags) => {
      if (flags.strict && flags.failOn === undefined) throw new CliUsageError("--strict needs --fail-on");
      const named = flags.baseline !== undefined || flags.candidate !== undefined;
      if (named && files.length > 0)
        throw new CliUsageError("give the reports as arguments or with --baseline/--candidate, not both");
      const baseline = named ? flags.baseline : files[0];
      const candidates = named ? (flags.candidate ?? []) : files.slice(1);
      if (baseline === undefined)
        throw new CliUsageError("report compare: give a baseline report (--baseline)");
      if (candidates.length === 0)
        throw new CliUsageError("report compare: give at least one candidate report (--candidate)");
      const {
        compareReportFiles,
        renderCompareHtml,
        renderCompareMarkdown,
        renderCompareText,
        writeFileAtomic,
      } = await import("../../index.js");
      const comparison = await compareReportFiles({
        baseline,
        candidates,
        failOn: flags.failOn,
        strict: flags.strict === true,
        includeInvalid: flags.includeInvalid === true,
        resamples: flags.resamples,
        seed: flags.seed,
      });
      if (flags.md) await writeFileAtomic(flags.md, renderCompareMarkdown(comparison));
      if (flags.html) await writeFileAtomic(flags.html, renderCompareHtml(comparison));
      process.stdout.write(
        flags.json ? `${JSON.stringify(comparison, null, 2)}\n` : renderCompareText(comparison),
      );
      if (comparison.gate_failed) {
        const breached = comparison.comparisons.flatMap((c) =>
          (c.gate ?? [])
            .filter((g) => g.status === "breached" || (flags.strict && g.status !== "ok"))
            .map((g) => `${g.threshold} (${c.candidate.model_ref}: ${g.status.replace("_", " ")})`),
        );
        process.stderr.write(`orket: gate failed: ${breached.join(", ")}\n`);
        process.exitCode = EXIT_FAILED;
      }
    });
}
