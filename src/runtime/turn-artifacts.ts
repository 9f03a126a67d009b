/**
 * A turn's folder: the messages sent, each raw model response, the parsed tool calls, the tool results,
 * and a checkpoint (prompt hash, model, tool calls, state delta, the calls' telemetry records). Written
 * atomically (temp file + rename) without fsync: a killed process never leaves half a file, and the
 * per-turn cost stays far below a model call.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { canonicalJson } from "../core/shared/canonical-json.js";
import type { IssueStatus } from "../spec/cards.js";
import type { CallSettings, ModelMessage } from "../spec/model.js";
import type { CallTelemetry } from "../spec/telemetry.js";
import type { ToolCall, ToolParseFailure, ToolResult } from "../spec/tools.js";
import { writeFileAtomic } from "../store/atomic-file.js";
import type { TurnMemoryEnd } from "./memory-access.js";

export const CHECKPOINT_SCHEMA_VERSION = "orket.turn_checkpoint.v1";

export interface TurnStepRecord {
  step: number;
  response: string;
  toolCalls: ToolCall[];
  parseFailures: ToolParseFailure[];
  toolResults: Array<{ call_id: string; tool: string; result: ToolResult }>;
  telemetry: CallTelemetry;
}

export interface TurnCheckpoint {
  schema_version: typeof CHECKPOINT_SCHEMA_VERSION;
  run_id: string;
  issue_id: string;
  seat: string;
  role: string;
  stage: string;
  turn: number;
  prompt_hash: string;
  model_ref: string;
  /** The sampling settings every call of the turn was made with (a replay needs them to match). */
  call_settings: CallSettings;
  outcome: string;
  error_code: string | null;
  tool_calls: Array<{ id: string; name: string; args: unknown; ok: boolean }>;
  state_delta: { from: IssueStatus; to: IssueStatus };
  internal_model_seconds: number;
  total_seconds: number;
  orchestration_overhead_ratio: number | null;
  telemetry: CallTelemetry[];
  execution_lane: string;
  vram_profile: string;
  /** The memory the turn read and what became of its writes. */
  memory?: TurnMemoryEnd;
}

export function promptHash(messages: readonly ModelMessage[]): string {
  return createHash("sha256").update(canonicalJson(messages)).digest("hex");
}

export function turnFolder(runDir: string, issueId: string, turn: number, seat: string): string {
  return join(runDir, "turns", issueId, `${String(turn).padStart(3, "0")}-${seat}`);
}

export async function writeTurnArtifacts(
  dir: string,
  messages: readonly ModelMessage[],
  steps: readonly TurnStepRecord[],
  checkpoint: TurnCheckpoint,
): Promise<void> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const writes: Array<Promise<void>> = [
    writeFileAtomic(join(dir, "messages.json"), json(messages), { durable: false }),
    writeFileAtomic(
      join(dir, "tool_calls.json"),
      json(steps.map((s) => ({ step: s.step, calls: s.toolCalls, parse_failures: s.parseFailures }))),
      { durable: false },
    ),
    writeFileAtomic(
      join(dir, "tool_results.json"),
      json(steps.map((s) => ({ step: s.step, results: s.toolResults }))),
      {
        durable: false,
      },
    ),
    writeFileAtomic(join(dir, "checkpoint.json"), json(checkpoint), { durable: false }),
  ];
  for (const s of steps) {
    writes.push(writeFileAtomic(join(dir, `response-${s.step}.txt`), s.response, { durable: false }));
  }
  await Promise.all(writes);
}
