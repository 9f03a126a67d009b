/**
 * The run summary (`orket.run_summary.v1`): how the run ended and why, every issue's final state, time
 * inside and outside the model, the memory settings and the route each role's seats took.
 */

import { isTerminal } from "../core/runtime/state-machine.js";
import { round3 } from "../core/shared/rounding.js";
import type { Epic, IssueStatus, WaitReason } from "../spec/cards.js";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import type { VisibilityMode } from "../spec/memory.js";
import type { ModelAdapter } from "../spec/model.js";
import type { CardStore } from "../store/card-store.js";
import type { SeatRoute } from "./preferences.js";
import { overheadRatio, type TurnOutcome } from "./turn-executor.js";

export type RunStatus = "done" | "incomplete" | "terminal_failure";

export interface RunSummary {
  schema_version: "orket.run_summary.v1";
  run_id: string;
  build_id: string;
  epic_id: string;
  model_ref: string;
  status: RunStatus;
  reason: string;
  issues: Array<{
    id: string;
    status: IssueStatus;
    wait_reason: WaitReason | null;
    attempts: number;
    turns: number;
  }>;
  turns: number;
  internal_model_seconds: number;
  total_seconds: number;
  orchestration_overhead_ratio: number | null;
  workspace: string;
  run_dir: string;
  started_at: string;
  ended_at: string;
  execution_lane: ExecutionLane;
  vram_profile: VramProfile;
  /** The seats' memory visibility, and whether memory traces were written beside each turn. */
  memory_visibility: VisibilityMode;
  memory_trace: boolean;
  /** The model each role's seats used, and why (adaptive routing). */
  routing: Record<string, SeatRoute>;
}

export interface LoopResult {
  turns: TurnOutcome[];
  stopReason: string;
  systemicFailure: boolean;
}

export interface SummaryInput {
  routing: Record<string, SeatRoute>;
  loop: LoopResult;
  cards: CardStore;
  buildId: string;
  runId: string;
  epic: Epic;
  adapter: ModelAdapter;
  workspaceDir: string;
  runDir: string;
  startedAt: Date;
  started: number;
  now: () => Date;
  options: {
    lane?: ExecutionLane | undefined;
    vramProfile?: VramProfile | undefined;
    memory?: VisibilityMode | undefined;
    memoryTrace?: boolean | undefined;
  };
}

export function summarize(s: SummaryInput): RunSummary {
  const issues = s.cards.getIssues(s.buildId);
  const allDone = issues.every((i) => isTerminal(i.status));
  const status: RunStatus = s.loop.systemicFailure ? "terminal_failure" : allDone ? "done" : "incomplete";
  const open = issues
    .filter((i) => !isTerminal(i.status))
    .map((i) => `${i.id} ${i.status}${i.wait_reason ? ` (${i.wait_reason})` : ""}`);
  const reason =
    status === "done"
      ? "every issue is done"
      : status === "terminal_failure"
        ? s.loop.stopReason
        : `${s.loop.stopReason}; open: ${open.join(", ")}`;
  const internal = s.loop.turns.reduce((sum, t) => sum + t.internalModelSeconds, 0);
  const total = (performance.now() - s.started) / 1000;
  return {
    schema_version: "orket.run_summary.v1",
    run_id: s.runId,
    build_id: s.buildId,
    epic_id: s.epic.id,
    model_ref: s.adapter.ref,
    status,
    reason,
    issues: issues.map((i) => ({
      id: i.id,
      status: i.status,
      wait_reason: i.wait_reason,
      attempts: i.attempts,
      turns: i.turns,
    })),
    turns: s.loop.turns.length,
    internal_model_seconds: round3(internal),
    total_seconds: round3(total),
    orchestration_overhead_ratio: overheadRatio(total, internal),
    workspace: s.workspaceDir,
    run_dir: s.runDir,
    started_at: s.startedAt.toISOString(),
    ended_at: s.now().toISOString(),
    execution_lane: s.options.lane ?? "ci",
    vram_profile: s.options.vramProfile ?? "safe",
    memory_visibility: s.options.memory ?? "off",
    memory_trace: Boolean(s.options.memoryTrace),
    routing: s.routing,
  };
}
