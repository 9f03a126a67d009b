/**
 * A sweep row of the embedded engine, benchmarked in a process of its own. The embedded engine runs in
 * the process it measures, and that process keeps what an earlier row's model left in the C allocator's
 * arenas (measured here: peak RSS climbed 259 → 298 MiB over six rows of a 4.6 MiB model with the JS heap
 * flat at 80 MiB). A fresh process per row is the clean state: the row's peak is that of the same quant
 * benchmarked alone, and everything the row's model held is gone when its process ends.
 *
 * The child runs `runBenchmark` with the options the parent gives (plain data only), sends each test run
 * back as it finishes, and writes the report itself; an abort from the parent ends it as Ctrl-C would,
 * with its partial report. A child that dies without a report is an error naming its exit.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { BenchmarkOptions } from "../bench/runner.js";
import { type OrketEventInput, OrketEventSchema } from "../spec/events.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { type Report, ReportSchema } from "../spec/report.js";
import type { EventSink } from "../telemetry/event-stream.js";
import { exportCarrier } from "../telemetry/observers.js";

/** What may cross into the child: the benchmark's options without callbacks, signals or injected parts. */
export type RowBenchOptions = Omit<
  BenchmarkOptions,
  "adapter" | "signal" | "reporter" | "loadSampler" | "gpuBackend"
>;

export interface RowProcessCallbacks {
  signal?: AbortSignal | undefined;
  /** Gets the child benchmark's events, unstamped: they join the parent's stream in order. */
  events?: EventSink | undefined;
}

/**
 * A row's benchmark process failed. When the child raised an Orket error, its code and exit class come
 * across with it (a bad model reference in a row is still a usage error); otherwise ROW_PROCESS_FAILED.
 */
export class RowProcessError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { ROW_PROCESS_FAILED: "failed" };
  override readonly code: string;
  readonly #exit: ExitClass;

  constructor(message: string, from?: { code: string; exit: ExitClass }) {
    super(message);
    this.code = from?.code ?? "ROW_PROCESS_FAILED";
    this.#exit = from?.exit ?? "failed";
  }

  override get exitClass(): ExitClass {
    return this.#exit;
  }
}

const ChildMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("event"), event: OrketEventSchema }),
  z.object({ type: z.literal("done"), path: z.string() }),
  z.object({
    type: z.literal("failed"),
    code: z.string().nullable(),
    exit: z.enum(["usage", "failed", "internal"]).nullable().default(null),
    message: z.string(),
  }),
]);
export type ChildMessage = z.infer<typeof ChildMessageSchema>;

/** Runs one benchmark in a child process and returns its report, as `runBenchmark` would. */
export async function runBenchmarkInChild(
  options: RowBenchOptions,
  callbacks: RowProcessCallbacks = {},
): Promise<{ report: Report; path: string }> {
  const child = forkChild();
  const onAbort = () => child.connected && child.send({ type: "abort" });
  if (callbacks.signal?.aborted) onAbort();
  callbacks.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const path = await new Promise<string>((resolve, reject) => {
      let outcome: { path: string } | { error: Error } | undefined;
      child.on("message", (raw) => {
        const parsed = ChildMessageSchema.safeParse(raw);
        if (!parsed.success) return;
        const message = parsed.data;
        if (message.type === "event") {
          const { seq: _seq, at: _at, ...event } = message.event;
          callbacks.events?.emit(event as OrketEventInput);
        } else if (message.type === "done") outcome = { path: message.path };
        else {
          const from =
            message.code !== null && message.exit !== null
              ? { code: message.code, exit: message.exit }
              : undefined;
          outcome = { error: new RowProcessError(message.message, from) };
        }
      });
      child.on("error", (error) => reject(new RowProcessError(`the row process failed: ${error.message}`)));
      child.on("exit", (code, signal) => {
        if (outcome && "path" in outcome) resolve(outcome.path);
        else if (outcome) reject(outcome.error);
        else
          reject(
            new RowProcessError(
              `the row's benchmark process ended without a report (${signal ? `signal ${signal}` : `exit code ${code}`})`,
            ),
          );
      });
      child.send({ type: "start", options, otel: exportCarrier() });
    });
    const report = ReportSchema.parse(JSON.parse(await readFile(path, "utf8")));
    return { report, path };
  } finally {
    callbacks.signal?.removeEventListener("abort", onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

function forkChild(): ChildProcess {
  // Built: row-child.js beside this file. From source (vitest, tsx): row-child.ts, through tsx.
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith(".ts");
  const script = here.replace(/row-process\.(ts|js)$/, fromSource ? "row-child.ts" : "row-child.js");
  return fork(script, [], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    execArgv: fromSource ? ["--import", "tsx"] : [],
    serialization: "advanced",
  });
}
