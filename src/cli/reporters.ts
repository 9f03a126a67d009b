/**
 * The three views of the event stream (docs/events.md): `tty`, a progress bar with ETA and the lines
 * that matter above it; `plain`, one line per event worth a line, for logs and CI; `json`, every event
 * as one JSON line on stdout, ending with the `end` event that carries what `--json` prints. Progress
 * and notes go to stderr in the first two, so stdout keeps the command's result.
 */
import type { OrketEvent, Reporter } from "../spec/events.js";

export const REPORTER_NAMES = ["auto", "tty", "plain", "json"] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

export interface CliReporter extends Reporter {
  /** True when the reporter writes stdout itself: the command prints its result only through `end`. */
  readonly ownsStdout: boolean;
  /** Takes the bar off the terminal (idempotent). */
  close(): void;
}

export interface ReporterTarget {
  /** A terminal that is not under CI (the environment's `isTTY`). */
  isTTY: boolean;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `auto` is `tty` on a terminal unless `--json` wants the output plain, else `plain`. */
export async function createCliReporter(
  name: ReporterName,
  target: ReporterTarget,
  options: { json?: boolean | undefined } = {},
): Promise<CliReporter> {
  const chosen = name === "auto" ? (target.isTTY && !options.json ? "tty" : "plain") : name;
  if (chosen === "json") return jsonReporter(target.stdout);
  if (chosen === "plain") return plainReporter(target.stderr);
  return ttyReporter(target.stderr);
}

function jsonReporter(stdout: (text: string) => void): CliReporter {
  return {
    ownsStdout: true,
    onEvent: (event) => stdout(`${JSON.stringify(event)}\n`),
    close: () => undefined,
  };
}

/** The line an event gets in a log, or none. Shared by the plain log and the lines above the bar. */
export function describeEvent(event: OrketEvent, command: string | undefined): string | undefined {
  switch (event.type) {
    case "run_start":
      if (event.command === "run") return `run ${event.run_id}: ${event.subject}`;
      return event.total === null ? undefined : `orket: ${event.total} test runs`;
    case "test_run_end":
      return `[${event.row === null ? "" : `${event.row} `}${event.done}/${event.total}] ${event.test_id} ${event.outcome}`;
    case "turn_start":
      return `▸ ${event.issue_id} · ${event.seat} · turn ${event.turn}`;
    case "turn_end": {
      const ok = event.outcome === "ok";
      const seconds = event.seconds === null ? "" : `, ${event.seconds.toFixed(2)} s`;
      return `${ok ? "✓" : "✗"} ${event.issue_id} · ${event.seat} · turn ${event.turn}: ${event.outcome}${event.code ? ` ${event.code}` : ""} (${event.status_before} → ${event.status_after}${seconds})${ok || event.message === null ? "" : ` — ${event.message.slice(0, 160)}`}`;
    }
    case "info":
      return command === "run" && event.message.startsWith("cards:")
        ? event.message
        : `orket: ${event.message}`;
    case "warning":
      return command === "run" ? `  ⚠ ${event.message.slice(0, 200)}` : `orket: ${event.message}`;
    case "run_end":
      return command === "run" ? `run: ${event.status} — ${event.reason ?? ""}` : undefined;
    default:
      // test_run_start, turn_output, progress, interrupted and end have no line of their own: the
      // interrupt handler says what happens on Ctrl-C, and the command prints its result.
      return undefined;
  }
}

function plainReporter(stderr: (text: string) => void): CliReporter {
  let command: string | undefined;
  return {
    ownsStdout: false,
    onEvent(event) {
      if (event.type === "run_start") command = event.command;
      const line = describeEvent(event, command);
      if (line !== undefined) stderr(`${line}\n`);
    },
    close: () => undefined,
  };
}

/**
 * A bar with ETA for every command alike (test runs for bench and sweep, cards for run), with the
 * turns at work in its label; lines are printed above it.
 */
async function ttyReporter(stderr: (text: string) => void): Promise<CliReporter> {
  const { default: cliProgress } = await import("cli-progress");
  let multi: InstanceType<typeof cliProgress.MultiBar> | undefined;
  let bar: ReturnType<InstanceType<typeof cliProgress.MultiBar>["create"]> | undefined;
  let command: string | undefined;
  let label = "";
  const turns = new Map<string, { seat: string; turn: number; chars: number }>();
  const turnLabel = () =>
    [...turns.entries()]
      .map(([id, t]) => `${id} ${t.seat} #${t.turn}${t.chars ? ` ${t.chars} chars` : ""}`)
      .join(" | ")
      .slice(0, 80);
  const say = (line: string) => {
    if (multi) multi.log(`${line}\n`);
    else stderr(`${line}\n`);
  };
  const ensureBar = (total: number, done: number) => {
    if (bar) {
      bar.setTotal(total);
      return;
    }
    multi = new cliProgress.MultiBar(
      {
        format: "{bar} {value}/{total} · ETA {eta_formatted} · {label}",
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar = multi.create(total, done, { label });
  };
  const redraw = (done?: number) => {
    if (!bar) return;
    const shown = command === "run" ? turnLabel() || label : label;
    if (done === undefined) bar.update({ label: shown });
    else bar.update(done, { label: shown });
  };
  const close = () => {
    if (!multi) return;
    multi.stop();
    multi = undefined;
    bar = undefined;
  };
  return {
    ownsStdout: false,
    onEvent(event) {
      if (event.type === "run_start") command = event.command;
      if (event.type === "test_run_end" || event.type === "turn_start") {
        // Each test run and turn is on the bar's label; lines are for what a person must see.
      } else {
        const line = describeEvent(event, command);
        if (line !== undefined && !(event.type === "run_start" && command !== "run")) say(line);
      }
      if (event.type === "turn_end" && event.outcome !== "ok") say(describeEvent(event, command) ?? "");
    },
    onTurnStart(event) {
      turns.set(event.issue_id, { seat: event.seat, turn: event.turn, chars: 0 });
      redraw();
    },
    onTurnOutput(event) {
      const turn = turns.get(event.issue_id);
      if (turn) turn.chars = event.chars;
      redraw();
    },
    onTurnEnd(event) {
      turns.delete(event.issue_id);
      redraw();
    },
    onProgress(event) {
      label = event.label;
      if (event.total !== null) ensureBar(event.total, event.done);
      redraw(event.done);
    },
    onRunEnd: close,
    onInterrupted: () => redraw(),
    close,
  };
}
