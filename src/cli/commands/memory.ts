/**
 * `orket memory check` and `orket memory compare`: the memory traces of a turn or a whole run, checked
 * against their contract or compared with another run's. Exit 0 when ok or equivalent, 1 when not, 2 for
 * bad usage or a trace file that cannot be read (`BAD_TRACE`).
 */
import type { Command } from "commander";
import type { SetDivergence, TraceSetCheck, TraceSetComparison } from "../../index.js";
import { EXIT_FAILED } from "../errors.js";
import { intArg } from "../options.js";
import { registerMemoryRecords } from "./memory-records.js";

export function registerMemory(program: Command): void {
  const memory = program
    .command("memory")
    .description("project memory (add, search) and memory traces (check, compare two runs)");
  registerMemoryRecords(memory);
  memory
    .command("check")
    .description("check determinism and retrieval traces against their contract")
    .requiredOption("--trace <path>", "a memory_trace.json, a turn folder or a run folder (every turn)")
    .option("--retrieval-trace <file>", "the retrieval trace (default: memory_retrieval_trace.json beside)")
    .option("--max-trace-bytes <n>", "size cap a trace file must keep", intArg("--max-trace-bytes", 1))
    .option("--json", "print JSON")
    .action(
      async (flags: { trace: string; retrievalTrace?: string; maxTraceBytes?: number; json?: boolean }) => {
        const { checkTracePath } = await import("../../index.js");
        const result = await checkTracePath({
          trace: flags.trace,
          retrieval: flags.retrievalTrace,
          maxTraceBytes: flags.maxTraceBytes,
        });
        process.stdout.write(
          flags.json ? `${JSON.stringify(checkJson(result), null, 2)}\n` : checkText(result),
        );
        if (!result.ok) process.exitCode = EXIT_FAILED;
      },
    );
  memory
    .command("compare")
    .description("prove two runs' memory traces equivalent, or name the first difference")
    .requiredOption("--left <path>", "a memory_trace.json, a turn folder or a run folder")
    .requiredOption("--right <path>", "the same for the other run")
    .option("--left-retrieval <file>", "the left retrieval trace (default: the one beside)")
    .option("--right-retrieval <file>", "the right retrieval trace (default: the one beside)")
    .option("--json", "print JSON")
    .action(
      async (flags: {
        left: string;
        right: string;
        leftRetrieval?: string;
        rightRetrieval?: string;
        json?: boolean;
      }) => {
        const { compareTracePaths } = await import("../../index.js");
        const result = await compareTracePaths({
          left: flags.left,
          right: flags.right,
          leftRetrieval: flags.leftRetrieval,
          rightRetrieval: flags.rightRetrieval,
        });
        process.stdout.write(
          flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${compareText(result)}\n`,
        );
        if (!result.equivalent) process.exitCode = EXIT_FAILED;
      },
    );
}

function checkJson(result: TraceSetCheck) {
  return {
    ok: result.ok,
    traces: result.turns.map((t) => ({
      turn: t.turn,
      trace: t.trace,
      retrieval: t.retrieval,
      ok: t.result.ok,
      errors: t.result.errors,
      summary: t.result.summary,
    })),
  };
}

function checkText(result: TraceSetCheck): string {
  if (result.ok) {
    const sum = (pick: (s: TraceSetCheck["turns"][number]["result"]["summary"]) => number) =>
      result.turns.reduce((n, t) => n + pick(t.result.summary), 0);
    const truncated = result.turns.filter((t) => t.result.summary.truncated.trace).length;
    const count = result.turns.length;
    return `ok: ${count} trace${count === 1 ? "" : "s"}, ${sum((s) => s.events)} events, ${sum((s) => s.retrieval_events)} retrievals${truncated ? `, ${truncated} truncated` : ""}\n`;
  }
  const lines: string[] = [];
  for (const t of result.turns) {
    for (const e of t.result.errors) {
      const file = e.trace === "retrieval" ? (t.retrieval ?? "retrieval") : t.trace;
      lines.push(`${file}: ${e.path}: ${e.rule}: ${e.message}\n`);
    }
  }
  return lines.join("");
}

/** One line: `equivalent: N turns, M events` or where and how the runs first differ. */
export function compareText(result: TraceSetComparison): string {
  if (result.equivalent) {
    const truncated = result.truncated_turns.map((t) => t.turn);
    return `equivalent: ${result.turns} turn${result.turns === 1 ? "" : "s"}, ${result.events} events${truncated.length ? ` (truncated, kept events only: ${truncated.join(", ")})` : ""}`;
  }
  const d = result.divergence as SetDivergence;
  return `divergent at ${d.turn} ${where(d)}field ${d.field}: left ${shown(d.left)} right ${shown(d.right)}`;
}

function where(d: SetDivergence): string {
  const decision = d.interceptor ? ` (${d.interceptor}/${d.decision_type})` : "";
  return d.index === null ? `${d.scope} ` : `${d.scope} ${d.index}${decision} `;
}

function shown(value: unknown): string {
  const text = value === undefined ? "(missing)" : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
