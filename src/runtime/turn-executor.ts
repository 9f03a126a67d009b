/**
 * One turn: a seat works one issue. Compile the prompt, call the model (streamed, with telemetry), parse
 * its tool calls, run them through the gate, feed the results back, and repeat until the model stops
 * calling tools, the card leaves the stage, or the step limit. Then check the seat's contract; on a
 * violation send exactly one corrective reprompt before the turn fails. Every path ends with the turn's
 * artifacts written and, on failure, `on_turn_failure` told.
 */
import type { Stage } from "../core/runtime/planner.js";
import { round3 } from "../core/shared/rounding.js";
import type { Actor, Epic, IssueStatus } from "../spec/cards.js";
import type { Dialect, Role } from "../spec/config.js";
import type { CallSettings, ModelAdapter, ModelMessage } from "../spec/model.js";
import type { CallTelemetry } from "../spec/telemetry.js";
import type { ToolCall, ToolResult } from "../spec/tools.js";
import type { CardStore } from "../store/card-store.js";
import { type CallOptions, callModel } from "../telemetry/model-call.js";
import type { EventLog } from "./event-log.js";
import type { InterceptorChain, TurnContext } from "./interceptors.js";
import type { RunMemory, TurnMemoryEnd } from "./memory-access.js";
import { compilePrompt, correctiveMessage, toolsFor } from "./prompt-compiler.js";
import { parseToolCalls } from "./tool-parser.js";
import { toolDefinition } from "./tools/definitions.js";
import { runTool, type Violation } from "./tools/tool-runner.js";
import { SandboxError, type Workspace } from "./tools/workspace.js";
import {
  CHECKPOINT_SCHEMA_VERSION,
  promptHash,
  type TurnStepRecord,
  turnFolder,
  writeTurnArtifacts,
} from "./turn-artifacts.js";

export type TurnOutcomeKind =
  | "ok"
  | "contract_violation"
  | "tool_violation"
  | "provider_error"
  | "short_circuited";

export interface TurnRequest {
  runId: string;
  buildId: string;
  epic: Epic;
  issueId: string;
  stage: Stage;
  seat: string;
  role: Role;
  dialect: Dialect;
}

export interface TurnServices {
  adapter: ModelAdapter;
  store: CardStore;
  workspace: Workspace;
  interceptors: InterceptorChain;
  events: EventLog;
  runDir: string;
  settings: CallSettings;
  call: Pick<CallOptions, "timeoutMs" | "retry" | "lane" | "vramProfile" | "signal">;
  onTextDelta?: (issueId: string, text: string) => void;
  confirmDestructive: (call: ToolCall) => boolean | Promise<boolean>;
  now: () => Date;
  /** Model calls one attempt of a turn may make (default 8). */
  maxSteps?: number;
  /** Project memory for the run (absent: off). */
  memory?: RunMemory;
  /** The adapter a role's seats are routed to (adaptive routing); absent: `adapter` for every seat. */
  route?: (role: string) => ModelAdapter;
}

export interface TurnOutcome {
  outcome: TurnOutcomeKind;
  code: string | null;
  message: string;
  turn: number;
  statusBefore: IssueStatus;
  statusAfter: IssueStatus;
  internalModelSeconds: number;
  totalSeconds: number;
  orchestrationOverheadRatio: number | null;
  telemetry: CallTelemetry[];
}

/** The status a card has while a stage is being worked; the turn ends once the card leaves it. */
const WORKING_STATUS: Record<Stage, readonly IssueStatus[]> = {
  implement: ["in_progress"],
  review: ["code_review"],
  guard: ["awaiting_guard_review", "guard_approved"],
};

export async function executeTurn(request: TurnRequest, services: TurnServices): Promise<TurnOutcome> {
  const started = performance.now();
  const { store, events } = services;
  const turn = store.recordTurn(request.buildId, request.issueId);
  const issue = requireIssue(store, request);
  const statusBefore = issue.status;
  const actor: Actor = { kind: "seat", name: request.role.name };
  const ctx: TurnContext = {
    runId: request.runId,
    buildId: request.buildId,
    epicId: request.epic.id,
    issue,
    seat: request.seat,
    role: request.role,
    turn,
    attempt: 0,
    memory: { mode: services.memory?.mode ?? "off", snapshotId: "none" },
  };
  const memory = services.memory?.beginTurn(ctx);
  ctx.memory.snapshotId = memory?.snapshotId ?? "none";
  const listing = await services.workspace.listDirectory(".").catch(() => ({ entries: [] }));
  const tools = toolsFor(request.role, toolDefinition, ctx.memory.mode);
  const memories = memory
    ?.pastDecisions(`${issue.summary}\n${issue.requirements}`)
    .map((hit) => ({ record_id: hit.record.record_id, content: hit.record.content }));
  const messages: ModelMessage[] = compilePrompt({
    epic: request.epic,
    issue,
    role: request.role,
    seat: request.seat,
    stage: request.stage,
    dialect: request.dialect,
    tools,
    contract: request.role.turn_contract,
    comments: store
      .listComments(request.buildId, request.issueId)
      .map((c) => ({ author: c.author.name, body: c.body })),
    dependencies: issue.depends_on.map((id) => {
      const dep = store.getIssue(request.buildId, id);
      return { id, status: dep?.status ?? "missing", summary: dep?.summary ?? "" };
    }),
    files: listing.entries.map((e) => e.name),
    ...(memories?.length ? { memories } : {}),
  });
  const hash = promptHash(messages);
  events.emit("turn_started", {
    issue_id: request.issueId,
    seat: request.seat,
    role: request.role.name,
    stage: request.stage,
    turn,
    prompt_hash: hash,
  });

  const steps: TurnStepRecord[] = [];
  const telemetry: CallTelemetry[] = [];
  const succeeded = new Set<string>();
  const allCalls: Array<{ id: string; name: string; args: unknown; ok: boolean }> = [];
  let result: { outcome: TurnOutcomeKind; code: string | null; message: string } | undefined;

  const toolEnv = {
    store,
    workspace: services.workspace,
    buildId: request.buildId,
    epic: request.epic,
    issueId: request.issueId,
    actor,
    role: request.role,
    runId: request.runId,
    now: services.now,
    confirmDestructive: services.confirmDestructive,
    memory,
  };

  attempts: for (let attempt = 0; attempt < 2; attempt++) {
    ctx.attempt = attempt;
    for (let step = 1; step <= (services.maxSteps ?? 8); step++) {
      const shortCircuit = await services.interceptors.beforePrompt(ctx, messages);
      if (shortCircuit) {
        events.emit("interceptor_short_circuit", { issue_id: request.issueId, turn, ...shortCircuit });
        result = {
          outcome: "short_circuited",
          code: "INTERCEPTED",
          message: `${shortCircuit.interceptor}: ${shortCircuit.reason}`,
        };
        break attempts;
      }
      const call = await callModel(
        services.adapter,
        {
          messages: [...messages],
          ...services.settings,
          ...(request.dialect.native_tools ? { tools } : {}),
        },
        { ...services.call, onTextDelta: (text) => services.onTextDelta?.(request.issueId, text) },
      );
      telemetry.push(call.telemetry);
      events.emit("model_call", { issue_id: request.issueId, turn, step, telemetry: call.telemetry });
      if (!call.ok) {
        steps.push({
          step: steps.length + 1,
          response: call.text,
          toolCalls: [],
          parseFailures: [],
          toolResults: [],
          telemetry: call.telemetry,
        });
        result = { outcome: "provider_error", code: call.error.code, message: call.error.message };
        break attempts;
      }
      const parsed = parseToolCalls(call.text, call.toolCalls);
      await services.interceptors.afterModel(ctx, {
        text: call.text,
        toolCalls: parsed.calls,
        parseFailures: parsed.failures.length,
        telemetry: call.telemetry,
      });
      messages.push({ role: "assistant", content: call.text });
      const record: TurnStepRecord = {
        step: steps.length + 1,
        response: call.text,
        toolCalls: parsed.calls,
        parseFailures: parsed.failures,
        toolResults: [],
        telemetry: call.telemetry,
      };
      steps.push(record);
      for (const failure of parsed.failures)
        events.emit("tool_parse_failure", { issue_id: request.issueId, turn, ...failure });

      for (const toolCall of parsed.calls) {
        const intercepted = await services.interceptors.beforeTool(ctx, toolCall);
        let toolResult: ToolResult;
        let violation: Violation | undefined;
        if (intercepted) {
          events.emit("interceptor_short_circuit", {
            issue_id: request.issueId,
            turn,
            tool: toolCall.name,
            ...intercepted,
          });
          toolResult = {
            ok: false,
            output: null,
            error: { code: "INTERCEPTED", message: `${intercepted.interceptor}: ${intercepted.reason}` },
          };
        } else {
          const outcome = await runTool(toolCall, toolEnv);
          toolResult = outcome.result;
          violation = outcome.violation;
        }
        record.toolResults.push({ call_id: toolCall.id, tool: toolCall.name, result: toolResult });
        allCalls.push({ id: toolCall.id, name: toolCall.name, args: toolCall.args, ok: toolResult.ok });
        if (toolResult.ok) succeeded.add(toolCall.name);
        events.emit("tool_call", {
          issue_id: request.issueId,
          turn,
          call_id: toolCall.id,
          tool: toolCall.name,
          ok: toolResult.ok,
          error: toolResult.error ?? null,
        });
        await services.interceptors.afterTool(ctx, toolCall, toolResult);
        if (violation) {
          blockForViolation(store, request, actor, violation, services.now());
          events.emit("violation", { issue_id: request.issueId, turn, ...violation });
          result = { outcome: "tool_violation", code: violation.code, message: violation.message };
          break attempts;
        }
      }

      if (parsed.calls.length === 0 && parsed.failures.length === 0) break;
      const status = requireIssue(store, request).status;
      if (!WORKING_STATUS[request.stage].includes(status)) break;
      messages.push({ role: "user", content: describeResults(record) });
    }

    const violations = await checkContract(request, services, succeeded);
    if (violations.length === 0) {
      result = { outcome: "ok", code: null, message: "contract met" };
      break;
    }
    if (attempt === 0) {
      events.emit("corrective_reprompt", { issue_id: request.issueId, turn, violations });
      messages.push(correctiveMessage(violations));
      continue;
    }
    result = { outcome: "contract_violation", code: "CONTRACT_VIOLATION", message: violations.join("; ") };
  }

  const final = result ?? {
    outcome: "contract_violation" as const,
    code: "CONTRACT_VIOLATION",
    message: "no result",
  };
  const memoryEnd: TurnMemoryEnd | undefined = memory?.finish(final.outcome === "ok");
  const statusAfter = requireIssue(store, request).status;
  const internal = telemetry.reduce((sum, t) => sum + t.total_latency, 0);
  const total = (performance.now() - started) / 1000;
  const outcome: TurnOutcome = {
    ...final,
    turn,
    statusBefore,
    statusAfter,
    internalModelSeconds: round3(internal),
    totalSeconds: round3(total),
    orchestrationOverheadRatio: overheadRatio(total, internal),
    telemetry,
  };
  const folder = turnFolder(services.runDir, request.issueId, turn, request.seat);
  await writeTurnArtifacts(folder, messages, steps, {
    schema_version: CHECKPOINT_SCHEMA_VERSION,
    run_id: request.runId,
    issue_id: request.issueId,
    seat: request.seat,
    role: request.role.name,
    stage: request.stage,
    turn,
    prompt_hash: hash,
    model_ref: services.adapter.ref,
    call_settings: JSON.parse(JSON.stringify(services.settings)),
    outcome: outcome.outcome,
    error_code: outcome.code,
    tool_calls: allCalls,
    state_delta: { from: statusBefore, to: statusAfter },
    internal_model_seconds: outcome.internalModelSeconds,
    total_seconds: outcome.totalSeconds,
    orchestration_overhead_ratio: outcome.orchestrationOverheadRatio,
    telemetry,
    execution_lane: services.call.lane ?? "ci",
    vram_profile: services.call.vramProfile ?? "safe",
    ...(memoryEnd ? { memory: memoryEnd } : {}),
  });
  if (outcome.outcome !== "ok") {
    await services.interceptors.onTurnFailure(ctx, {
      outcome: outcome.outcome,
      code: outcome.code ?? "FAILED",
      message: outcome.message,
    });
  }
  await services.interceptors.afterTurn(ctx, {
    folder,
    outcome: outcome.outcome,
    code: outcome.code,
    statusBefore,
    statusAfter,
    modelRef: services.adapter.ref,
  });
  events.emit("turn_finished", {
    issue_id: request.issueId,
    seat: request.seat,
    turn,
    outcome: outcome.outcome,
    code: outcome.code,
    message: outcome.message,
    status_before: statusBefore,
    status_after: statusAfter,
    internal_model_seconds: outcome.internalModelSeconds,
    total_seconds: outcome.totalSeconds,
    orchestration_overhead_ratio: outcome.orchestrationOverheadRatio,
  });
  return outcome;
}

/** max(0, (total − internal) / total); null only when total is 0 (docs/telemetry.md). */
export function overheadRatio(totalSeconds: number, internalSeconds: number): number | null {
  if (totalSeconds <= 0) return null;
  return round3(Math.max(0, (totalSeconds - internalSeconds) / totalSeconds));
}

function requireIssue(store: CardStore, request: TurnRequest) {
  const issue = store.getIssue(request.buildId, request.issueId);
  if (!issue) throw new Error(`issue ${request.issueId} vanished from build ${request.buildId}`);
  return issue;
}

function blockForViolation(
  store: CardStore,
  request: TurnRequest,
  actor: Actor,
  violation: Violation,
  now: Date,
): void {
  const current = requireIssue(store, request);
  if (current.status === "blocked") return;
  store.transition({
    buildId: request.buildId,
    issueId: request.issueId,
    to: "blocked",
    actor: { kind: "system", name: "tool-gate" },
    reason: `${actor.name} violated the tool gate: ${violation.code}: ${violation.message}`,
    waitReason: "review",
    runId: request.runId,
    now,
  });
}

async function checkContract(
  request: TurnRequest,
  services: TurnServices,
  succeeded: Set<string>,
): Promise<string[]> {
  const contract = request.role.turn_contract;
  const issue = requireIssue(services.store, request);
  const violations: string[] = [];
  for (const tool of contract.required_tools) {
    if (!succeeded.has(tool)) violations.push(`call ${tool} successfully (it was not)`);
  }
  if (contract.require_files) {
    for (const file of issue.required_files) {
      if (!(await fileExists(services.workspace, file)))
        violations.push(`write the required file ${file} (it does not exist)`);
    }
  }
  if (contract.required_status.length && !contract.required_status.includes(issue.status)) {
    violations.push(
      `move the issue to ${contract.required_status.join(" or ")} with update_issue_status (it is ${issue.status})`,
    );
  }
  return violations;
}

async function fileExists(workspace: Workspace, path: string): Promise<boolean> {
  try {
    await workspace.readFile(path);
    return true;
  } catch (error) {
    if (error instanceof SandboxError && error.code === "TOO_LARGE") return true;
    return false;
  }
}

const MAX_RESULT_CHARS = 4000;

function describeResults(record: TurnStepRecord): string {
  const lines = record.toolResults.map(({ call_id, tool, result }) => {
    const body = result.ok
      ? JSON.stringify(result.output)
      : `error ${result.error?.code}: ${result.error?.message}`;
    const clipped =
      body.length > MAX_RESULT_CHARS ? `${body.slice(0, MAX_RESULT_CHARS)}… (${body.length} chars)` : body;
    return `[${call_id}] ${tool} → ${result.ok ? "ok" : "failed"}: ${clipped}`;
  });
  for (const f of record.parseFailures)
    lines.push(`could not read a tool call: ${f.reason} (near: ${f.excerpt.slice(0, 80)})`);
  return `Tool results:\n${lines.join("\n")}`;
}
