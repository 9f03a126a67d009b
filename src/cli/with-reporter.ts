/**
 * How a command that reports progress runs: it makes the chosen reporter and one event stream over it,
 * listens for Ctrl-C and SIGTERM, runs the library call with both, and prints the result in the one
 * place the flags say: the `end` event under `--reporter json`, the JSON record under `--json`, else the
 * text for a person. The two flags never both write stdout.
 */
import type { EventStream } from "../index.js";
import { OrketError } from "../spec/orket-error.js";
import type { CliEnvironment } from "./environment.js";
import { EXIT_FAILED } from "./errors.js";
import { listenForInterrupt } from "./interrupt.js";
import { createCliReporter, type ReporterName } from "./reporters.js";

export interface ReportedCommand<T> {
  reporter: ReporterName | undefined;
  json: boolean | undefined;
  /** `--otel`: export the command's calls and scopes (also on when OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  otel?: boolean | undefined;
  /** Said on stderr at the first Ctrl-C: what the command does now. */
  onInterrupt: string;
  run(context: { stream: EventStream; signal: AbortSignal }): Promise<T>;
  /** What `--json` prints, and the `end` event carries. */
  record(result: T): unknown;
  /** The text for a person, on stdout. */
  text(result: T): string;
  /** A result that is not a success: exit 1 (an interrupted bench, a run that did not finish). */
  failed(result: T): boolean;
}

export async function runReported<T>(env: CliEnvironment, command: ReportedCommand<T>): Promise<void> {
  const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
  const reporter = await createCliReporter(
    command.reporter ?? "auto",
    { isTTY: env.isTTY, stdout: write(process.stdout), stderr: write(process.stderr) },
    { json: command.json },
  );
  const { EventStream } = await import("../index.js");
  const stream = new EventStream(reporter);
  const exporting = await startExport(command.otel);
  const interrupt = listenForInterrupt(command.onInterrupt);
  try {
    let result: T;
    try {
      result = await command.run({ stream, signal: interrupt.signal });
    } catch (error) {
      reporter.close();
      if (reporter.ownsStdout) {
        const message = error instanceof Error ? error.message : String(error);
        const code = OrketError.isInstance(error) ? error.code : null;
        stream.emit({ type: "end", record: null, error: { code, message } });
      }
      throw error;
    }
    reporter.close();
    if (reporter.ownsStdout) stream.emit({ type: "end", record: command.record(result), error: null });
    else if (command.json) process.stdout.write(`${JSON.stringify(command.record(result), null, 2)}\n`);
    else process.stdout.write(command.text(result));
    if (command.failed(result)) process.exitCode = EXIT_FAILED;
  } finally {
    reporter.close();
    interrupt.dispose();
    await exporting?.stop();
  }
}

/**
 * Starts the OpenTelemetry export when `--otel` or the environment asks for it, saying where it goes on
 * stderr; `stop` sends what is left and says, in one line each, what could not be sent.
 */
export async function startExport(flag: boolean | undefined): Promise<{ stop(): Promise<void> } | undefined> {
  const { otelRequested, startOtelExport } = await import("../index.js");
  if (!otelRequested(flag)) return undefined;
  const exporting = await startOtelExport();
  process.stderr.write(`orket: exporting OpenTelemetry to ${exporting.endpoint}\n`);
  return {
    async stop() {
      for (const failure of await exporting.shutdown()) {
        process.stderr.write(
          `orket: warning: OpenTelemetry export to ${exporting.endpoint} failed (${failure})\n`,
        );
      }
    },
  };
}
