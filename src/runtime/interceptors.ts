/**
 * Lifecycle interceptors: the public seam around every turn. Telemetry and memory traces hook in here.
 * An interceptor may short-circuit: before a prompt (the model is not called and the turn fails with the
 * given reason) or before a tool (the tool is not run and the model sees a refusal). Each short-circuit
 * is recorded with the interceptor's name.
 */
import type { IssueCard } from "../spec/cards.js";
import type { Role } from "../spec/config.js";
import { LIFECYCLE_INTERCEPTORS, type VisibilityMode } from "../spec/memory.js";
import type { ModelMessage } from "../spec/model.js";
import type { CallTelemetry } from "../spec/telemetry.js";
import type { ToolCall, ToolResult } from "../spec/tools.js";

/** The lifecycle events, as the determinism trace names them. */
export const INTERCEPTOR_STAGES = LIFECYCLE_INTERCEPTORS;
export type InterceptorStage = (typeof INTERCEPTOR_STAGES)[number];

export interface TurnContext {
  runId: string;
  buildId: string;
  epicId: string;
  issue: Readonly<IssueCard>;
  seat: string;
  role: Role;
  /** The issue's turn number (1-based, across seats). */
  turn: number;
  /** 0 for the first model call of the turn, 1 for the corrective reprompt. */
  attempt: number;
  /** The run's memory visibility and the snapshot the turn reads (`none` when memory is off). */
  memory: { mode: VisibilityMode; snapshotId: string };
}

export interface ModelResponse {
  text: string;
  toolCalls: ToolCall[];
  /** Things that looked like tool calls and could not be read. */
  parseFailures: number;
  telemetry: CallTelemetry;
}

export interface TurnFailure {
  /** contract_violation, tool_violation, provider_error or short_circuited. */
  outcome: string;
  code: string;
  message: string;
}

/** How a turn ended, told to `after_turn` once its artifacts are written. */
export interface TurnEnd {
  /** The turn's artifact folder. */
  folder: string;
  outcome: string;
  code: string | null;
  statusBefore: string;
  statusAfter: string;
  modelRef: string;
}

/** Returned to stop what would happen next. */
export interface ShortCircuit {
  shortCircuit: { reason: string };
}

type Hook<A extends unknown[]> = (...args: A) => ShortCircuit | undefined | Promise<ShortCircuit | undefined>;

export interface Interceptor {
  name: string;
  before_prompt?: Hook<[ctx: TurnContext, messages: readonly ModelMessage[]]>;
  after_model?: (ctx: TurnContext, response: ModelResponse) => void | Promise<void>;
  before_tool?: Hook<[ctx: TurnContext, call: ToolCall]>;
  after_tool?: (ctx: TurnContext, call: ToolCall, result: ToolResult) => void | Promise<void>;
  on_turn_failure?: (ctx: TurnContext, failure: TurnFailure) => void | Promise<void>;
  /** Not a lifecycle event: the last call of every turn, after on_turn_failure and the artifacts. */
  after_turn?: (ctx: TurnContext, end: TurnEnd) => void | Promise<void>;
}

export interface ShortCircuitRecord {
  interceptor: string;
  stage: "before_prompt" | "before_tool";
  reason: string;
}

/** Runs interceptors in registration order; the first short-circuit wins and the rest are not asked. */
export class InterceptorChain {
  constructor(private readonly interceptors: readonly Interceptor[] = []) {}

  async beforePrompt(
    ctx: TurnContext,
    messages: readonly ModelMessage[],
  ): Promise<ShortCircuitRecord | undefined> {
    for (const i of this.interceptors) {
      const result = await i.before_prompt?.(ctx, messages);
      if (result?.shortCircuit)
        return { interceptor: i.name, stage: "before_prompt", reason: result.shortCircuit.reason };
    }
    return undefined;
  }

  async afterModel(ctx: TurnContext, response: ModelResponse): Promise<void> {
    for (const i of this.interceptors) await i.after_model?.(ctx, response);
  }

  async beforeTool(ctx: TurnContext, call: ToolCall): Promise<ShortCircuitRecord | undefined> {
    for (const i of this.interceptors) {
      const result = await i.before_tool?.(ctx, call);
      if (result?.shortCircuit)
        return { interceptor: i.name, stage: "before_tool", reason: result.shortCircuit.reason };
    }
    return undefined;
  }

  async afterTool(ctx: TurnContext, call: ToolCall, result: ToolResult): Promise<void> {
    for (const i of this.interceptors) await i.after_tool?.(ctx, call, result);
  }

  async onTurnFailure(ctx: TurnContext, failure: TurnFailure): Promise<void> {
    for (const i of this.interceptors) await i.on_turn_failure?.(ctx, failure);
  }

  async afterTurn(ctx: TurnContext, end: TurnEnd): Promise<void> {
    for (const i of this.interceptors) await i.after_turn?.(ctx, end);
  }
}
