/**
 * What a run shows while it goes: on a terminal, a live block (which card, which seat, tokens
 * streaming, elapsed) redrawn in place, with finished turns printed above it; elsewhere, plain lines.
 */
import type { RunEvent } from "../runtime/event-log.js";

interface Active {
  seat: string;
  turn: number;
  chars: number;
  since: number;
}

export interface LiveView {
  onEvent(event: RunEvent): void;
  onTextDelta(issueId: string, text: string): void;
  stop(): void;
}

export async function createLiveView(tty: boolean, write: (line: string) => void): Promise<LiveView> {
  if (!tty) return plainView(write);
  const { default: logUpdate } = await import("log-update");
  const active = new Map<string, Active>();
  const started = performance.now();
  const render = () => {
    const elapsed = ((performance.now() - started) / 1000).toFixed(1);
    const rows = [...active.entries()].map(
      ([id, a]) =>
        `  ▸ ${id.padEnd(20)} ${a.seat.padEnd(22)} turn ${a.turn}  ${a.chars} chars  ${((performance.now() - a.since) / 1000).toFixed(1)} s`,
    );
    logUpdate([`orket run · ${elapsed} s · ${active.size} working`, ...rows].join("\n"));
  };
  const timer = setInterval(render, 100);
  timer.unref();
  return {
    onEvent(event) {
      if (event.type === "turn_started") {
        active.set(String(event.issue_id), {
          seat: String(event.seat),
          turn: Number(event.turn),
          chars: 0,
          since: performance.now(),
        });
      }
      const line = describe(event);
      if (line) {
        logUpdate.clear();
        write(line);
      }
      if (event.type === "turn_finished") active.delete(String(event.issue_id));
      render();
    },
    onTextDelta(issueId, text) {
      const a = active.get(issueId);
      if (a) a.chars += text.length;
    },
    stop() {
      clearInterval(timer);
      logUpdate.clear();
    },
  };
}

function plainView(write: (line: string) => void): LiveView {
  return {
    onEvent(event) {
      const line = describe(event);
      if (line) write(line);
    },
    onTextDelta() {},
    stop() {},
  };
}

function describe(e: RunEvent): string | undefined {
  switch (e.type) {
    case "run_started":
      return `run ${e.run_id}: ${e.epic_id} on ${e.model_ref}${e.resume ? " (resumed)" : ""}`;
    case "cards_synced":
      return `cards: ${(e.created as string[]).length} new, ${(e.kept as string[]).length} kept`;
    case "turn_started":
      return `▸ ${e.issue_id} · ${e.seat} · turn ${e.turn}`;
    case "turn_finished":
      return `${e.outcome === "ok" ? "✓" : "✗"} ${e.issue_id} · ${e.seat} · turn ${e.turn}: ${e.outcome}${e.code ? ` ${e.code}` : ""} (${e.status_before} → ${e.status_after}, ${Number(e.total_seconds).toFixed(2)} s)${e.outcome === "ok" ? "" : ` — ${String(e.message).slice(0, 160)}`}`;
    case "corrective_reprompt":
      return `  ↻ ${e.issue_id}: corrective reprompt (${(e.violations as string[]).join("; ").slice(0, 160)})`;
    case "violation":
      return `  ⛔ ${e.issue_id}: ${e.code}: ${String(e.message).slice(0, 160)}`;
    case "card_blocked":
      return `  ■ ${e.issue_id} blocked: ${e.reason}`;
    case "card_requeued":
      return `  ↺ ${e.issue_id} requeued`;
    case "run_marked_crashed":
      return `earlier run ${e.crashed_run_id} (pid ${e.pid}) had crashed`;
    case "run_finished":
      return `run ${e.run_id}: ${e.status} — ${e.reason}`;
    default:
      return undefined;
  }
}
