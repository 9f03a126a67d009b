/**
 * Memory trace fixtures: a determinism trace and its linked retrieval trace, built from a seed-free
 * recipe so two calls with different run ids record the same decisions under different ids (an
 * equivalent pair). Used by the trace tests and the trace-compare benchmark.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DETERMINISM_TRACE_VERSION,
  type DeterminismEvent,
  type DeterminismTrace,
  LIFECYCLE_INTERCEPTORS,
  RETRIEVAL_TRACE_VERSION,
  type RetrievalEvent,
  type RetrievalTrace,
} from "../../src/spec/memory.js";

export interface TraceRecipe {
  runId?: string;
  events?: number;
  /** Padding in each tool call's arguments, to make big traces. */
  argBytes?: number;
}

const DECISIONS: Record<(typeof LIFECYCLE_INTERCEPTORS)[number], string> = {
  before_prompt: "compile_prompt",
  after_model: "tool_calls",
  before_tool: "allow",
  after_tool: "tool_result",
  on_turn_failure: "turn_failed",
};

const hex = (n: number, len = 64) => n.toString(16).padStart(len, "0");

/** A turn of `events` events (default 8): every 4th is a prompt that consumed one retrieval. */
export function makeTraces(recipe: TraceRecipe = {}): { trace: DeterminismTrace; retrieval: RetrievalTrace } {
  const runId = recipe.runId ?? "run-a";
  const count = recipe.events ?? 8;
  const pad = "x".repeat(recipe.argBytes ?? 0);
  const events: DeterminismEvent[] = [];
  const retrievals: RetrievalEvent[] = [];
  for (let i = 0; i < count; i++) {
    const interceptor = LIFECYCLE_INTERCEPTORS[i % 4] ?? "before_prompt";
    const eventId = `${runId}-ev-${i}`;
    const retrievalIds: string[] = [];
    if (interceptor === "before_prompt") {
      const rid = `${runId}-ret-${i}`;
      retrievalIds.push(rid);
      retrievals.push({
        retrieval_event_id: rid,
        run_id: runId,
        event_id: eventId,
        policy_id: "memory.retrieval.lexical",
        policy_version: "1",
        query_normalization_version: "memory.query.v1",
        query_fingerprint: hex(i),
        retrieval_mode: "lexical",
        candidate_count: 5,
        selected_records: [
          { record_id: `rec-${i}-a`, record_type: "note", score: 0.9, rank: 1 },
          { record_id: `rec-${i}-b`, record_type: "note", score: 0.5, rank: 2 },
        ],
        applied_filters: {
          namespace: ["project"],
          tags: null,
          trust: null,
          scope: ["project"],
          ttl: { exclude_expired: true, as_of: "2025-01-01T00:00:00.000Z" },
        },
      });
    }
    const withTool =
      interceptor === "after_model" || interceptor === "before_tool" || interceptor === "after_tool";
    events.push({
      event_id: eventId,
      index: i,
      role: "coder",
      interceptor,
      decision_type: DECISIONS[interceptor],
      tool_calls: withTool
        ? [
            {
              tool_name: "write_file",
              tool_profile_version: "write_file@0123456789ab",
              normalized_args: { path: `src/file-${i}.py`, content: `print(${i}) # ${pad}` },
              normalization_version: "memory.canonicalization.json.v1",
              tool_result_fingerprint: interceptor === "after_tool" ? hex(i * 7) : null,
              side_effect_fingerprint: interceptor === "after_tool" ? hex(i * 13) : null,
            },
          ]
        : [],
      guardrails_triggered: [],
      retrieval_event_ids: retrievalIds,
    });
  }
  const trace: DeterminismTrace = {
    determinism_trace_schema_version: DETERMINISM_TRACE_VERSION,
    run_id: runId,
    workflow_id: "hello-python",
    memory_snapshot_id: "snap-1",
    visibility_mode: "read_only",
    model_config_id: "mc-1",
    policy_set_id: "ps-1",
    issue_id: "greet",
    role_id: "coder",
    events,
    output: { output_type: "tool_calls", output_shape_hash: hex(42), normalization_version: "v1" },
    metadata: { truncated: false },
  };
  const retrieval: RetrievalTrace = {
    retrieval_trace_schema_version: RETRIEVAL_TRACE_VERSION,
    run_id: runId,
    events: retrievals,
    metadata: { truncated: false },
  };
  return { trace, retrieval };
}

/** The bytes `writeTrace` would write for a document that fits. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(`${JSON.stringify(value, null, 2)}\n`, "utf8");
}

/** Writes a turn's traces where a run keeps them: `<runDir>/turns/<key>/memory_trace.json`. */
export function writeTurn(runDir: string, key: string, trace: unknown, retrieval?: unknown): string {
  const dir = join(runDir, "turns", key);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "memory_trace.json"), `${JSON.stringify(trace, null, 2)}\n`);
  if (retrieval !== undefined) {
    writeFileSync(join(dir, "memory_retrieval_trace.json"), `${JSON.stringify(retrieval, null, 2)}\n`);
  }
  return dir;
}

/** A deep copy to break: tests change one field of it. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
