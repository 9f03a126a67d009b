/**
 * The child side of `row-process.ts`: one benchmark, its progress sent to the parent, its report
 * written where the options say. It ends when the parent goes away (the IPC channel closes), aborting
 * the benchmark first, so a dead sweep leaves no engine behind.
 */
import { runBenchmark } from "../bench/runner.js";
import { OrketError } from "../spec/orket-error.js";
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
  const message = raw as { type?: string; options?: RowBenchOptions };
  if (message.type === "abort") controller.abort();
  if (message.type !== "start" || !message.options) return;
  const options = message.options;
  runBenchmark({
    ...options,
    signal: controller.signal,
    reporter: { onEvent: (event) => send({ type: "event", event }) },
  }).then(
    ({ path }) => {
      send({ type: "done", path });
      process.disconnect();
    },
    (error: unknown) => {
      const orket = OrketError.isInstance(error);
      send({
        type: "failed",
        code: orket ? error.code : null,
        exit: orket ? error.exitClass : null,
        message: error instanceof Error ? error.message : String(error),
      });
      process.disconnect();
    },
  );
});
