/**
 * The benchmark's journal, `<out>/orket_journal.ndjson`: one JSON line per finished test run, appended
 * and flushed to disk (`fsync`) as each run ends, so that a benchmark killed by any means (`kill -9`, a
 * power cut, the OOM killer) loses at most the run it was in. `orket bench --resume <out>` (and a sweep's
 * rows, each with its own folder) reads it back and runs only what is missing.
 *
 * Lines: a `header` with the benchmark's identity (what must match for a resume to make sense), an
 * `engine` record once the backend described itself, one `run` per finished test run, and `complete`
 * when the report was written with nothing left to run. A last line cut off by the kill is dropped.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { readFile, rename, truncate } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { EngineRecord } from "../spec/model.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { type TestRun, TestRunSchema } from "../spec/report.js";

export const JOURNAL_FILE = "orket_journal.ndjson";
export const JOURNAL_SCHEMA = "orket.journal.v1";

/** What two benchmarks must share for one to continue the other. */
export interface JournalIdentity {
  model_ref: string;
  bank: { name: string; version: string; source: string };
  task_ids: string[];
  runs_per_task: number;
  mode: string;
  seed: number;
  temperature: number;
  max_output_tokens: number | null;
  execution_lane: string;
  vram_profile: string;
  context_size: number | null;
}

const HeaderSchema = z.object({
  type: z.literal("header"),
  schema: z.literal(JOURNAL_SCHEMA),
  identity: z.record(z.string(), z.unknown()),
  started_at: z.string(),
});
const EngineLineSchema = z.object({ type: z.literal("engine"), engine: z.record(z.string(), z.unknown()) });
const RunLineSchema = z.object({
  type: z.literal("run"),
  task_id: z.string(),
  run_index: z.number().int().nonnegative(),
  run: TestRunSchema,
});
const CompleteSchema = z.object({ type: z.literal("complete") });

/** A journal that cannot be read back: names the file and the line. */
export class JournalError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_JOURNAL: "usage" };
  override readonly code = "BAD_JOURNAL";
}

export interface JournalState {
  path: string;
  identity: Record<string, unknown>;
  engine: EngineRecord | null;
  /** Finished runs by `runKey`. */
  runs: Map<string, TestRun>;
  complete: boolean;
}

export const runKey = (taskId: string, runIndex: number): string => `${taskId}\u0000${runIndex}`;

/**
 * Reads `<out>/orket_journal.ndjson`; null when there is none. A cut-off last line is dropped (and cut
 * from the file, so appending goes on from a whole line); anything else unreadable is a JournalError.
 */
export async function readJournal(outDir: string): Promise<JournalState | null> {
  const path = join(outDir, JOURNAL_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new JournalError(`${path}: ${(error as Error).message}`);
  }
  const whole = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
  if (whole.length !== text.length) await truncate(path, Buffer.byteLength(whole));
  const lines = whole.split("\n").filter((line) => line !== "");
  if (lines.length === 0) return null;
  const state: JournalState = { path, identity: {}, engine: null, runs: new Map(), complete: false };
  for (const [index, line] of lines.entries()) {
    const where = `${path}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new JournalError(`${where}: not JSON`);
    }
    if (index === 0) {
      const header = HeaderSchema.safeParse(value);
      if (!header.success) throw new JournalError(`${where}: not an ${JOURNAL_SCHEMA} header`);
      state.identity = header.data.identity;
      continue;
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (type === "engine") {
      const engine = EngineLineSchema.safeParse(value);
      if (!engine.success) throw new JournalError(`${where}: a malformed engine record`);
      state.engine = engine.data.engine as unknown as EngineRecord;
    } else if (type === "run") {
      const run = RunLineSchema.safeParse(value);
      if (!run.success) {
        const issue = run.error.issues[0];
        throw new JournalError(`${where}: a malformed run (${issue?.path.join(".")}: ${issue?.message})`);
      }
      state.runs.set(runKey(run.data.task_id, run.data.run_index), run.data.run);
    } else if (CompleteSchema.safeParse(value).success) {
      state.complete = true;
    } else {
      throw new JournalError(`${where}: unknown line type ${JSON.stringify(type)}`);
    }
  }
  return state;
}

/** The first field in which a journal's identity and this benchmark's differ, else null. */
export function identityMismatch(
  journal: Record<string, unknown>,
  current: JournalIdentity,
): { field: string; journal: unknown; current: unknown } | null {
  for (const [field, value] of Object.entries(current)) {
    if (JSON.stringify(journal[field] ?? null) !== JSON.stringify(value ?? null)) {
      return { field, journal: journal[field] ?? null, current: value };
    }
  }
  return null;
}

/** Appends lines to a journal, each one written whole and flushed to disk before the call returns. */
export class JournalWriter {
  readonly #fd: number;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** A fresh journal with its header; an unfinished one already there is kept under another name. */
  static async start(
    outDir: string,
    identity: JournalIdentity,
    previous: JournalState | null,
  ): Promise<JournalWriter> {
    const path = join(outDir, JOURNAL_FILE);
    if (previous !== null && !previous.complete && previous.runs.size > 0) {
      await rename(path, join(outDir, `orket_journal.replaced-${Date.now()}.ndjson`));
    }
    const writer = new JournalWriter(openSync(path, "w"));
    writer.#line({ type: "header", schema: JOURNAL_SCHEMA, identity, started_at: new Date().toISOString() });
    return writer;
  }

  /** Goes on appending to an existing journal (a resume). */
  static resume(state: JournalState): JournalWriter {
    return new JournalWriter(openSync(state.path, "a"));
  }

  engine(engine: EngineRecord): void {
    this.#line({ type: "engine", engine });
  }

  run(taskId: string, runIndex: number, run: TestRun): void {
    this.#line({ type: "run", task_id: taskId, run_index: runIndex, run });
  }

  complete(): void {
    this.#line({ type: "complete" });
  }

  close(): void {
    closeSync(this.#fd);
  }

  #line(value: unknown): void {
    const data = Buffer.from(`${JSON.stringify(value)}\n`);
    for (let offset = 0; offset < data.length; ) offset += writeSync(this.#fd, data, offset);
    fsyncSync(this.#fd);
  }
}
