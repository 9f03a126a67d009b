/**
 * A run's progress events (docs/events.md) from its event log: each line of `events.jsonl` that a
 * person following the run cares about becomes one event of the reporters' stream, and the cards'
 * statuses give the progress (cards finished of all the epic's cards).
 */
import { isTerminal } from "../core/runtime/state-machine.js";
import type { IssueStatus } from "../spec/cards.js";
import type { EventSink } from "../telemetry/event-stream.js";
import type { RunEvent } from "./event-log.js";

/** How often a turn's growing answer is reported, at most. */
const OUTPUT_EVERY_MS = 250;

export interface RunProgress {
  /** Told of every event of the run's log as it is written. */
  onLogEvent(event: RunEvent): void;
  /** Told of every piece of a turn's streamed answer. */
  onTextDelta(issueId: string, text: string): void;
}

export function runProgress(
  events: EventSink,
  cardStatuses: () => readonly IssueStatus[],
  now: () => number = () => performance.now(),
): RunProgress {
  const output = new Map<string, { chars: number; sentAt: number }>();
  const progress = () => {
    const statuses = cardStatuses();
    const finished = statuses.filter(isTerminal).length;
    const blocked = statuses.filter((s) => s === "blocked").length;
    events.emit({
      type: "progress",
      done: finished,
      total: statuses.length,
      unit: "card",
      label: `${finished} of ${statuses.length} cards finished${blocked ? `, ${blocked} blocked` : ""}`,
    });
  };
  return {
    onLogEvent(e) {
      switch (e.type) {
        case "run_started":
          events.emit({
            type: "run_start",
            command: "run",
            run_id: e.run_id,
            subject: `${String(e.epic_id)} on ${String(e.model_ref)}${e.resume ? " (resumed)" : ""}`,
            total: cardStatuses().length,
          });
          progress();
          return;
        case "cards_synced":
          events.emit({
            type: "info",
            message: `cards: ${(e.created as string[]).length} new, ${(e.kept as string[]).length} kept`,
          });
          return;
        case "turn_started":
          output.set(String(e.issue_id), { chars: 0, sentAt: now() });
          events.emit({
            type: "turn_start",
            issue_id: String(e.issue_id),
            seat: String(e.seat),
            turn: Number(e.turn),
          });
          return;
        case "turn_finished":
          output.delete(String(e.issue_id));
          events.emit({
            type: "turn_end",
            issue_id: String(e.issue_id),
            seat: String(e.seat),
            turn: Number(e.turn),
            outcome: String(e.outcome),
            code: typeof e.code === "string" ? e.code : null,
            message: typeof e.message === "string" && e.outcome !== "ok" ? e.message : null,
            status_before: String(e.status_before),
            status_after: String(e.status_after),
            seconds: typeof e.total_seconds === "number" ? e.total_seconds : null,
          });
          progress();
          return;
        case "corrective_reprompt":
          events.emit({
            type: "warning",
            code: "CORRECTIVE_REPROMPT",
            message: `${String(e.issue_id)}: corrective reprompt (${(e.violations as string[]).join("; ")})`,
          });
          return;
        case "violation":
          events.emit({
            type: "warning",
            code: String(e.code),
            message: `${String(e.issue_id)}: ${String(e.message)}`,
          });
          return;
        case "card_blocked":
          events.emit({
            type: "warning",
            code: "CARD_BLOCKED",
            message: `${String(e.issue_id)} blocked: ${String(e.reason)}`,
          });
          return;
        case "card_requeued":
          events.emit({ type: "info", message: `${String(e.issue_id)} requeued` });
          return;
        case "run_marked_crashed":
          events.emit({
            type: "warning",
            code: "RUN_CRASHED",
            message: `earlier run ${String(e.crashed_run_id)} (pid ${String(e.pid)}) had crashed`,
          });
          return;
        case "run_finished": {
          const statuses = cardStatuses();
          events.emit({
            type: "run_end",
            status: String(e.status),
            reason: typeof e.reason === "string" ? e.reason : null,
            done: statuses.filter(isTerminal).length,
            total: statuses.length,
          });
          return;
        }
        default:
          return;
      }
    },
    onTextDelta(issueId, text) {
      const turn = output.get(issueId);
      if (!turn) return;
      turn.chars += text.length;
      if (now() - turn.sentAt < OUTPUT_EVERY_MS) return;
      turn.sentAt = now();
      events.emit({ type: "turn_output", issue_id: issueId, chars: turn.chars });
    },
  };
}
