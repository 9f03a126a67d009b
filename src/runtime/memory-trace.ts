/**
 * The memory trace recorder: an interceptor that turns every lifecycle event of a turn into a
 * `memory.determinism_trace.v1` event, links the memory retrievals each event consumed
 * (`memory.retrieval_trace.v1`), and writes both beside the turn's artifacts as `memory_trace.json` and
 * `memory_retrieval_trace.json`, never over the size cap. Two runs that decided the same things produce
 * equivalent traces; `orket memory compare` proves it or names the first difference.
 *
 * What is fingerprinted: tool arguments in canonical form; tool results with volatile ids removed (a
 * comment's row id); side effects by what they changed (a file's path and content hash, a card's new
 * status, a memory record's id). Prose the model wrote around its tool calls is not a decision and is
 * not compared.
 */
import { join } from "node:path";
import { CANONICALIZATION_VERSION, fingerprint, normalizeValue, sha256Hex } from "../memory/fingerprint.js";
import {
  QUERY_NORMALIZATION_VERSION,
  RETRIEVAL_MODE,
  RETRIEVAL_POLICY_ID,
  RETRIEVAL_POLICY_VERSION,
  type SearchResult,
} from "../memory/memory-store.js";
import { writeTrace } from "../memory/trace-file.js";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import { type Dialect, TOOL_NAMES, type ToolName } from "../spec/config.js";
import {
  DEFAULT_MAX_TRACE_BYTES,
  DETERMINISM_TRACE_VERSION,
  type DeterminismEvent,
  type DeterminismTrace,
  RETRIEVAL_TRACE_VERSION,
  type RetrievalEvent,
  type RetrievalTrace,
  type TraceToolCall,
} from "../spec/memory.js";
import type { CallSettings } from "../spec/model.js";
import type { ToolCall, ToolResult } from "../spec/tools.js";
import type { Interceptor, ModelResponse, TurnContext, TurnEnd, TurnFailure } from "./interceptors.js";
import { toolsFor } from "./prompt-compiler.js";
import { toolDefinition } from "./tools/definitions.js";

export const MEMORY_TRACE_FILE = "memory_trace.json";
export const RETRIEVAL_TRACE_FILE = "memory_retrieval_trace.json";

export interface TraceRecorderOptions {
  runId: string;
  /** The epic: traces of the same workflow are comparable. */
  workflowId: string;
  settings: CallSettings;
  /** The dialect a model reference is spoken to in (seats may be routed to different models). */
  dialectFor: (modelRef: string) => Dialect;
  lane: ExecutionLane;
  vramProfile: VramProfile;
  /** Refusing destructive tools changes what a seat may do, so it is part of the policy set. */
  denyWrites?: boolean;
  maxTraceBytes?: number;
  /** Told when a trace had to be cut to the cap. */
  onTruncated?: (file: string, originalBytes: number, keptEvents: number) => void;
}

interface TurnState {
  events: DeterminismEvent[];
  retrievals: RetrievalEvent[];
  pending: SearchResult[];
  promptAttempt: number;
  prompts: number;
  key: string;
}

/** Errors that mean a guard refused the call (the tool gate, an interceptor, the memory mode). */
const GUARD_CODES = new Set([
  "UNKNOWN_TOOL",
  "TOOL_NOT_ALLOWED",
  "DESTRUCTIVE_DENIED",
  "SANDBOX_DENIED",
  "STATE_VIOLATION",
  "INTERCEPTED",
  "MEMORY_OFF",
  "MEMORY_READ_ONLY",
]);

export class MemoryTraceRecorder implements Interceptor {
  readonly name = "memory-trace";
  private readonly turns = new Map<TurnContext, TurnState>();
  private readonly modelConfigIds = new Map<string, string>();

  constructor(private readonly options: TraceRecorderOptions) {}

  /** Fingerprint of what shapes a model's answers: the model reference, sampling settings, dialect. */
  private modelConfigId(modelRef: string): string {
    let id = this.modelConfigIds.get(modelRef);
    if (!id) {
      id = `mc-${fingerprint({
        model_ref: modelRef,
        settings: this.options.settings,
        dialect: this.options.dialectFor(modelRef),
      }).slice(0, 32)}`;
      this.modelConfigIds.set(modelRef, id);
    }
    return id;
  }

  /** A retrieval the memory made for this turn: linked to the next event the turn records. */
  noteRetrieval(ctx: TurnContext, result: SearchResult): void {
    this.state(ctx).pending.push(result);
  }

  before_prompt = (ctx: TurnContext): undefined => {
    const state = this.state(ctx);
    const decision =
      ctx.attempt !== state.promptAttempt
        ? "corrective_reprompt"
        : state.prompts === 0
          ? "compile_prompt"
          : "feed_tool_results";
    state.promptAttempt = ctx.attempt;
    state.prompts++;
    this.record(ctx, "before_prompt", decision, [], []);
    return undefined;
  };

  after_model = (ctx: TurnContext, response: ModelResponse): void => {
    const decision =
      response.toolCalls.length > 0
        ? "tool_calls"
        : response.parseFailures > 0
          ? "unreadable_tool_calls"
          : "final_answer";
    const guardrails = response.parseFailures > 0 ? ["TOOL_CALL_UNREADABLE"] : [];
    this.record(
      ctx,
      "after_model",
      decision,
      response.toolCalls.map((c) => traceCall(c)),
      guardrails,
    );
  };

  before_tool = (ctx: TurnContext, call: ToolCall): undefined => {
    this.record(ctx, "before_tool", "invoke_tool", [traceCall(call)], []);
    return undefined;
  };

  after_tool = (ctx: TurnContext, call: ToolCall, result: ToolResult): void => {
    const code = result.error?.code;
    const refused = code !== undefined && GUARD_CODES.has(code);
    const decision = result.ok ? "tool_ok" : refused ? "tool_refused" : "tool_error";
    this.record(ctx, "after_tool", decision, [traceCall(call, result, ctx)], refused && code ? [code] : []);
  };

  on_turn_failure = (ctx: TurnContext, failure: TurnFailure): void => {
    this.record(ctx, "on_turn_failure", failureKind(failure), [], [failure.code]);
  };

  after_turn = async (ctx: TurnContext, end: TurnEnd): Promise<void> => {
    const state = this.state(ctx);
    this.turns.delete(ctx);
    const common = {
      run_id: this.options.runId,
      execution_lane: this.options.lane,
      vram_profile: this.options.vramProfile,
    };
    const trace: DeterminismTrace = {
      determinism_trace_schema_version: DETERMINISM_TRACE_VERSION,
      run_id: this.options.runId,
      workflow_id: this.options.workflowId,
      memory_snapshot_id: ctx.memory.snapshotId,
      visibility_mode: ctx.memory.mode,
      model_config_id: this.modelConfigId(end.modelRef),
      policy_set_id: this.policySetId(ctx),
      issue_id: ctx.issue.id,
      role_id: ctx.role.name,
      events: state.events,
      output: {
        output_type: end.outcome,
        output_shape_hash: fingerprint({
          outcome: end.outcome,
          code: end.code,
          status_before: end.statusBefore,
          status_after: end.statusAfter,
        }),
        normalization_version: CANONICALIZATION_VERSION,
      },
      metadata: { truncated: false },
      execution_lane: common.execution_lane,
      vram_profile: common.vram_profile,
    };
    const retrieval: RetrievalTrace = {
      retrieval_trace_schema_version: RETRIEVAL_TRACE_VERSION,
      ...common,
      events: state.retrievals,
      metadata: { truncated: false },
    };
    const cap = this.options.maxTraceBytes ?? DEFAULT_MAX_TRACE_BYTES;
    await Promise.all(
      (
        [
          [MEMORY_TRACE_FILE, trace],
          [RETRIEVAL_TRACE_FILE, retrieval],
        ] as const
      ).map(async ([file, doc]) => {
        const path = join(end.folder, file);
        const written = await writeTrace(path, doc, cap);
        if (written.truncated) this.options.onTruncated?.(path, written.originalBytes, written.keptEvents);
      }),
    );
  };

  private state(ctx: TurnContext): TurnState {
    let state = this.turns.get(ctx);
    if (!state) {
      state = {
        events: [],
        retrievals: [],
        pending: [],
        promptAttempt: 0,
        prompts: 0,
        key: `${this.options.runId}:${ctx.issue.id}:${ctx.turn}`,
      };
      this.turns.set(ctx, state);
    }
    return state;
  }

  private record(
    ctx: TurnContext,
    interceptor: DeterminismEvent["interceptor"],
    decision: string,
    toolCalls: TraceToolCall[],
    guardrails: string[],
  ): void {
    const state = this.state(ctx);
    const index = state.events.length;
    const eventId = `evt-${state.key}:${index}`;
    const retrievalIds = state.pending.map((result) => {
      const id = `ret-${state.key}:${state.retrievals.length}`;
      state.retrievals.push(retrievalEvent(id, this.options.runId, eventId, result));
      return id;
    });
    state.pending = [];
    state.events.push({
      event_id: eventId,
      index,
      role: ctx.role.name,
      interceptor,
      decision_type: decision,
      tool_calls: toolCalls,
      guardrails_triggered: [...new Set(guardrails)].sort(),
      retrieval_event_ids: retrievalIds,
    });
  }

  private policySetId(ctx: TurnContext): string {
    const tools = toolsFor(ctx.role, toolDefinition, ctx.memory.mode).map((t) => profileVersion(t.name));
    return `ps-${fingerprint({
      tools,
      turn_contract: ctx.role.turn_contract,
      visibility_mode: ctx.memory.mode,
      retrieval_policy: `${RETRIEVAL_POLICY_ID}@${RETRIEVAL_POLICY_VERSION}`,
      deny_writes: Boolean(this.options.denyWrites),
    }).slice(0, 32)}`;
  }
}

function retrievalEvent(id: string, runId: string, eventId: string, result: SearchResult): RetrievalEvent {
  return {
    retrieval_event_id: id,
    run_id: runId,
    event_id: eventId,
    policy_id: RETRIEVAL_POLICY_ID,
    policy_version: RETRIEVAL_POLICY_VERSION,
    query_normalization_version: QUERY_NORMALIZATION_VERSION,
    query_fingerprint: result.query_fingerprint,
    retrieval_mode: RETRIEVAL_MODE,
    candidate_count: result.candidate_count,
    selected_records: result.hits.map((hit) => ({
      record_id: hit.record.record_id,
      record_type: hit.record.record_type,
      score: hit.score,
      rank: hit.rank,
    })),
    applied_filters: result.applied_filters,
  };
}

function failureKind(failure: TurnFailure): string {
  if (failure.code === "STATE_VIOLATION") return "state_violation";
  if (failure.code === "TIMEOUT") return "timeout";
  return failure.outcome;
}

const profiles = new Map<string, string>();

/** `<tool>@<12 hex>` of the tool's definition; `<tool>@unknown` for a name Orket has no tool for. */
function profileVersion(name: string): string {
  let version = profiles.get(name);
  if (!version) {
    version = (TOOL_NAMES as readonly string[]).includes(name)
      ? `${name}@${fingerprint(toolDefinition(name as ToolName)).slice(0, 12)}`
      : `${name}@unknown`;
    profiles.set(name, version);
  }
  return version;
}

function traceCall(call: ToolCall, result?: ToolResult, ctx?: TurnContext): TraceToolCall {
  return {
    tool_name: call.name,
    tool_profile_version: profileVersion(call.name),
    normalized_args: normalizeValue(call.args),
    normalization_version: CANONICALIZATION_VERSION,
    tool_result_fingerprint: result ? fingerprint(stableResult(call.name, result)) : null,
    side_effect_fingerprint: result && ctx ? sideEffect(call, result, ctx) : null,
  };
}

/** The result without ids that differ between equal runs (a comment's database row id). */
function stableResult(tool: string, result: ToolResult): unknown {
  if (tool === "add_issue_comment" && result.ok) return { ok: true };
  return { ok: result.ok, output: result.output, error: result.error ?? null };
}

/** What a successful tool changed, or null for tools that change nothing. */
function sideEffect(call: ToolCall, result: ToolResult, ctx: TurnContext): string | null {
  if (!result.ok) return null;
  const args = call.args;
  const output = (result.output ?? {}) as Record<string, unknown>;
  switch (call.name) {
    case "write_file":
      return fingerprint({
        effect: "file_written",
        path: output.path ?? args.path,
        content_sha256: sha256Hex(String(args.content ?? "")),
      });
    case "update_issue_status":
      return fingerprint({ effect: "status_changed", issue_id: ctx.issue.id, status: output.status });
    case "create_issue":
      return fingerprint({ effect: "issue_created", issue_id: output.issue_id, args });
    case "add_issue_comment":
      return fingerprint({ effect: "comment_added", issue_id: ctx.issue.id, body: args.body });
    case "memory_write":
      return fingerprint({ effect: "memory_written", record_id: output.record_id, status: output.status });
    default:
      return null;
  }
}
