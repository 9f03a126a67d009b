/**
 * The tool gate and the tools. Before any tool runs, the gate checks the role's allow-list, the
 * arguments, and (for destructive tools) confirmation; the workspace tools enforce the sandbox and the
 * card tools go through the state machine. A denial by any of these is a violation: it is recorded and
 * blocks the card. Ordinary failures (a missing file, a bad argument) are shown to the model instead.
 */

import { MemoryValidationError } from "../../memory/memory-store.js";
import type { Actor, Epic } from "../../spec/cards.js";
import { type Role, TOOL_NAMES, type ToolName } from "../../spec/config.js";
import { type ExitClass, OrketError } from "../../spec/orket-error.js";
import type { ToolCall, ToolResult } from "../../spec/tools.js";
import type { CardStore } from "../../store/card-store.js";
import { TransitionRefusedError } from "../../store/store-errors.js";
import { MemoryAccessError, memoryOffError, type TurnMemory } from "../memory-access.js";
import { DESTRUCTIVE_TOOLS, TOOL_ARGS, type ToolArgs } from "./definitions.js";
import { SandboxError, type Workspace } from "./workspace.js";

export type ViolationCode =
  | "UNKNOWN_TOOL"
  | "TOOL_NOT_ALLOWED"
  | "DESTRUCTIVE_DENIED"
  | "SANDBOX_DENIED"
  | "STATE_VIOLATION";

export interface Violation {
  code: ViolationCode;
  message: string;
}

export interface ToolEnvironment {
  store: CardStore;
  workspace: Workspace;
  buildId: string;
  epic: Pick<Epic, "id">;
  issueId: string;
  actor: Actor;
  role: Role;
  runId: string;
  now: () => Date;
  /** Asked before a destructive tool runs; false refuses it. */
  confirmDestructive: (call: ToolCall) => boolean | Promise<boolean>;
  /** The turn's project memory (absent: memory is off). */
  memory?: TurnMemory | undefined;
}

export interface ToolOutcome {
  result: ToolResult;
  violation?: Violation;
}

/** Sandbox refusals that mean an escape was attempted, not an ordinary mistake. */
const ESCAPE_CODES = new Set([
  "PATH_ABSOLUTE",
  "PATH_TRAVERSAL",
  "PATH_ESCAPE",
  "SYMLINK_ESCAPE",
  "READ_ONLY",
]);

export async function runTool(call: ToolCall, env: ToolEnvironment): Promise<ToolOutcome> {
  if (!isToolName(call.name)) {
    return deny(
      "UNKNOWN_TOOL",
      `there is no tool named "${call.name}" (tools: ${env.role.tools.join(", ")})`,
    );
  }
  if (!env.role.tools.includes(call.name)) {
    return deny(
      "TOOL_NOT_ALLOWED",
      `the ${env.role.name} role may not call ${call.name} (allowed: ${env.role.tools.join(", ")})`,
    );
  }
  const parsed = TOOL_ARGS[call.name].safeParse(call.args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".") || "(arguments)";
    return fail("BAD_ARGUMENTS", `${call.name}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  if (DESTRUCTIVE_TOOLS.has(call.name) && !(await env.confirmDestructive(call))) {
    return deny("DESTRUCTIVE_DENIED", `${call.name} needs confirmation and was refused`);
  }
  try {
    return { result: { ok: true, output: await execute(call.name, parsed.data, env) } };
  } catch (error) {
    if (error instanceof SandboxError) {
      return ESCAPE_CODES.has(error.code)
        ? deny("SANDBOX_DENIED", `${error.code}: ${error.message}`)
        : fail(error.code, error.message);
    }
    if (error instanceof TransitionRefusedError)
      return deny("STATE_VIOLATION", `${error.code}: ${error.message}`);
    if (error instanceof ToolInputError) return fail(error.code, error.message);
    if (error instanceof MemoryAccessError || error instanceof MemoryValidationError)
      return fail(error.code, error.message);
    throw error;
  }
}

class ToolInputError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = {
    BAD_ARGUMENTS: "failed",
    ISSUE_EXISTS: "failed",
    NOT_FOUND: "failed",
    UNKNOWN_TOOL: "failed",
  };
  constructor(
    override readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a tool whose arguments `TOOL_ARGS[name]` has already validated. */
async function execute(name: ToolName, a: unknown, env: ToolEnvironment): Promise<unknown> {
  switch (name) {
    case "read_file":
      return env.workspace.readFile((a as ToolArgs["read_file"]).path);
    case "write_file": {
      const { path, content } = a as ToolArgs["write_file"];
      return env.workspace.writeFile(path, content);
    }
    case "list_directory":
      return env.workspace.listDirectory((a as ToolArgs["list_directory"]).path);
    case "add_issue_comment": {
      const comment = env.store.addComment({
        buildId: env.buildId,
        issueId: env.issueId,
        author: env.actor,
        body: (a as ToolArgs["add_issue_comment"]).body,
        now: env.now(),
      });
      return { comment_id: comment.id };
    }
    case "update_issue_status": {
      const { status, reason, wait_reason } = a as ToolArgs["update_issue_status"];
      const card = env.store.transition({
        buildId: env.buildId,
        issueId: env.issueId,
        to: status,
        actor: env.actor,
        reason: reason || `set by ${env.actor.name}`,
        waitReason: wait_reason ?? null,
        runId: env.runId,
        now: env.now(),
      });
      return { issue_id: card.id, status: card.status };
    }
    case "create_issue": {
      const spec = a as ToolArgs["create_issue"];
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(spec.id)) {
        throw new ToolInputError(
          "BAD_ARGUMENTS",
          `create_issue: id "${spec.id}" must be lowercase letters, digits, '.', '_' or '-'`,
        );
      }
      const existing = new Set(env.store.getIssues(env.buildId).map((i) => i.id));
      const missing = spec.depends_on.filter((d) => !existing.has(d));
      if (missing.length)
        throw new ToolInputError("BAD_ARGUMENTS", `create_issue: unknown dependencies ${missing.join(", ")}`);
      if (existing.has(spec.id))
        throw new ToolInputError("ISSUE_EXISTS", `create_issue: issue "${spec.id}" already exists`);
      const card = env.store.createIssue(
        env.buildId,
        env.epic.id,
        { ...spec, max_retries: 1, required_files: [] },
        env.actor,
        env.now(),
      );
      return { issue_id: card.id, status: card.status };
    }
    case "get_issue_context": {
      const issues = env.store.getIssues(env.buildId);
      const issue = issues.find((i) => i.id === env.issueId);
      if (!issue) throw new ToolInputError("NOT_FOUND", `issue ${env.issueId} not found`);
      const listing = await env.workspace.listDirectory(".");
      return {
        issue: {
          id: issue.id,
          status: issue.status,
          summary: issue.summary,
          requirements: issue.requirements,
          required_files: issue.required_files,
          priority: issue.priority,
        },
        dependencies: issue.depends_on.map((id) => {
          const dep = issues.find((i) => i.id === id);
          return { id, status: dep?.status ?? "missing", summary: dep?.summary ?? "" };
        }),
        comments: env.store
          .listComments(env.buildId, env.issueId)
          .map((c) => ({ author: c.author.name, body: c.body })),
        files: listing.entries.map((e) => e.name),
      };
    }
    case "memory_search": {
      if (!env.memory) throw memoryOffError();
      const result = env.memory.search(a as ToolArgs["memory_search"]);
      return {
        snapshot_id: result.snapshot.snapshot_id,
        candidate_count: result.candidate_count,
        records: result.hits.map((hit) => ({
          record_id: hit.record.record_id,
          namespace: hit.record.namespace,
          record_type: hit.record.record_type,
          content: hit.record.content,
          tags: hit.record.tags,
          trust: hit.record.trust,
          score: hit.score,
          rank: hit.rank,
        })),
      };
    }
    case "memory_write":
      if (!env.memory) throw memoryOffError();
      return env.memory.write(a as ToolArgs["memory_write"]);
  }
  throw new ToolInputError("UNKNOWN_TOOL", `no tool ${name}`);
}

function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

function deny(code: ViolationCode, message: string): ToolOutcome {
  return { result: { ok: false, output: null, error: { code, message } }, violation: { code, message } };
}

function fail(code: string, message: string): ToolOutcome {
  return { result: { ok: false, output: null, error: { code, message } } };
}
