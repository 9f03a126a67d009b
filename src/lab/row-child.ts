/**
 * The child side of `row-process.ts`: one benchmark, its progress sent to the parent, its report
 * written where the options say. It ends when the parent goes away (the IPC channel closes), aborting
 * the benchmark first, so a dead sweep leaves no engine behind.
 */
import { runBenchmark } from "../bench/runner.js";
import { OrketError } from "../spec/orket-error.js";
import type { ExportCarrier } from "../telemetry/observers.js";
import type { ChildMessage, RowBenchOptions } from "./row-process.js";

const controller = new AbortController();

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

process.on("disconnect", () => {
  controller.abort();
  // Give the benchmark a moment to write its partial report, then go.
  setTimeout(() => process.exit(1), 2000).unref();
});

process.on("message", (raw: unknown) => {
  const message = raw as { type?: string; options?: RowBenchOptions; otel?: ExportCarrier | null };
  if (message.type === "abort") controller.abort();
  if (message.type !== "start" || !message.options) return;
  void runRow(message.options, message.otel ?? null);
});

/** The row's benchmark; with the parent exporting, this process exports too, under the parent's span. */
async function runRow(options: RowBenchOptions, otel: ExportCarrier | null): Promise<void> {
  const exporting = otel
    ? await import("../telemetry/otel-export.js").then((m) =>
        m.startOtelExport({ endpoint: otel.endpoint, traceparent: otel.traceparent }),
      )
    : undefined;
  let outcome: ChildMessage;
  try {
    const { path } = await runBenchmark({
      ...options,
      signal: controller.signal,
      reporter: { onEvent: (event) => send({ type: "event", event }) },
    });
    outcome = { type: "done", path };
  } catch (error) {
    const orket = OrketError.isInstance(error);
    outcome = {
      type: "failed",
      code: orket ? error.code : null,
      exit: orket ? error.exitClass : null,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  await exporting?.shutdown();
  send(outcome);
  process.disconnect();
}
