/**
 * The issue state machine. Every status change, from any path (a tool call, the orchestrator, a person),
 * is checked here first; the store then records it as one transaction.
 *
 *   ready → in_progress → code_review → awaiting_guard_review → guard_approved → done
 *                  ↑  ↖_________________________ guard_requested_changes / guard_rejected
 *   blocked and waiting_for_developer need a wait reason; canceled and done can only be archived.
 */
import type { Actor, IssueStatus, WaitReason } from "../../spec/cards.js";

const TRANSITIONS: Record<IssueStatus, readonly IssueStatus[]> = {
  ready: ["in_progress", "blocked", "waiting_for_developer", "canceled"],
  in_progress: ["code_review", "ready", "blocked", "waiting_for_developer", "canceled"],
  code_review: ["awaiting_guard_review", "in_progress", "ready", "blocked", "canceled"],
  awaiting_guard_review: [
    "guard_approved",
    "guard_rejected",
    "guard_requested_changes",
    "done",
    "blocked",
    "canceled",
  ],
  guard_approved: ["done", "blocked"],
  guard_rejected: ["ready", "blocked", "canceled"],
  guard_requested_changes: ["ready", "in_progress", "blocked", "canceled"],
  blocked: ["ready", "canceled"],
  waiting_for_developer: ["ready", "canceled"],
  done: ["archived"],
  canceled: ["archived", "ready"],
  archived: [],
};

/** Statuses only an integrity-guard seat may set. */
export const GUARD_ONLY: ReadonlySet<IssueStatus> = new Set([
  "done",
  "guard_approved",
  "guard_rejected",
  "guard_requested_changes",
]);

const NEEDS_WAIT_REASON: ReadonlySet<IssueStatus> = new Set(["blocked", "waiting_for_developer"]);
export const INTEGRITY_GUARD_ROLE = "integrity_guard";

export type TransitionCheck = { ok: true } | { ok: false; code: TransitionErrorCode; message: string };
export type TransitionErrorCode =
  | "ILLEGAL_TRANSITION"
  | "GUARD_ONLY_STATUS"
  | "WAIT_REASON_REQUIRED"
  | "WAIT_REASON_UNEXPECTED";

export function allowedTransitions(from: IssueStatus): readonly IssueStatus[] {
  return TRANSITIONS[from];
}

export function checkTransition(
  from: IssueStatus,
  to: IssueStatus,
  actor: Actor,
  waitReason: WaitReason | null,
): TransitionCheck {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from];
    return fail(
      "ILLEGAL_TRANSITION",
      `${from} → ${to} is not a legal transition (from ${from}: ${allowed.length ? allowed.join(", ") : "none, it is final"})`,
    );
  }
  if (GUARD_ONLY.has(to) && !(actor.kind === "seat" && actor.name === INTEGRITY_GUARD_ROLE)) {
    const who = actor.kind === "seat" ? `a ${actor.name} seat` : `${actor.kind} ${actor.name}`;
    return fail("GUARD_ONLY_STATUS", `only an integrity_guard seat may set ${to}; ${who} may not`);
  }
  if (NEEDS_WAIT_REASON.has(to) && waitReason === null) {
    return fail(
      "WAIT_REASON_REQUIRED",
      `${to} needs a wait_reason (resource, dependency, review, input, system)`,
    );
  }
  if (!NEEDS_WAIT_REASON.has(to) && waitReason !== null) {
    return fail(
      "WAIT_REASON_UNEXPECTED",
      `a wait_reason is only for blocked and waiting_for_developer, not ${to}`,
    );
  }
  return { ok: true };
}

/** Statuses after which the orchestrator has nothing left to do for the issue. */
export function isTerminal(status: IssueStatus): boolean {
  return status === "done" || status === "canceled" || status === "archived";
}

function fail(code: TransitionErrorCode, message: string): TransitionCheck {
  return { ok: false, code, message };
}
