/**
 * Compiles a seat's prompt: identity (the role), intent (the epic and the issue), the card protocol,
 * the allowed tools and how to call them in this model family's dialect, and the turn contract. Pure:
 * the same inputs give the same prompt, and its hash goes into the turn's checkpoint.
 */
import type { Stage } from "../core/runtime/planner.js";
import type { Epic, IssueCard } from "../spec/cards.js";
import { type Dialect, MEMORY_TOOLS, type Role, type ToolName, type TurnContract } from "../spec/config.js";
import type { VisibilityMode } from "../spec/memory.js";
import type { ModelMessage } from "../spec/model.js";
import type { ToolDefinition } from "../spec/tools.js";

export interface PromptInput {
  epic: Pick<Epic, "id" | "title" | "description">;
  issue: Pick<IssueCard, "id" | "summary" | "requirements" | "status" | "required_files" | "depends_on">;
  role: Role;
  seat: string;
  stage: Stage;
  dialect: Dialect;
  tools: ToolDefinition[];
  contract: TurnContract;
  comments: Array<{ author: string; body: string }>;
  dependencies: Array<{ id: string; status: string; summary: string }>;
  files: string[];
  /** Past decisions from project memory (only when the run's memory is on). */
  memories?: Array<{ record_id: string; content: string }>;
}

const STAGE_INTENT: Record<Stage, string> = {
  implement: "Do the work this issue asks for.",
  review: "Review the work done for this issue.",
  guard: "Decide, as the integrity guard, whether this issue is really done.",
};

export function compilePrompt(input: PromptInput): ModelMessage[] {
  const { role, dialect } = input;
  const system = [
    dialect.system_prefix,
    `You are the ${input.seat} seat (role: ${role.name}) in an Orket team. ${role.description}`,
    role.prompt,
    cardProtocol(),
    toolSection(input),
    contractSection(input.contract, input.issue.required_files),
  ]
    .filter((part) => part.trim() !== "")
    .join("\n\n");

  const user = [
    `Epic: ${input.epic.title} (${input.epic.id})${input.epic.description ? `\n${input.epic.description}` : ""}`,
    `Issue ${input.issue.id} [${input.issue.status}]: ${input.issue.summary}`,
    input.issue.requirements ? `Requirements:\n${input.issue.requirements}` : "",
    input.issue.required_files.length ? `Required files: ${input.issue.required_files.join(", ")}` : "",
    input.dependencies.length
      ? `Dependencies:\n${input.dependencies.map((d) => `- ${d.id} [${d.status}]: ${d.summary}`).join("\n")}`
      : "",
    input.comments.length
      ? `Comments so far:\n${input.comments.map((c) => `- ${c.author}: ${c.body}`).join("\n")}`
      : "",
    input.memories?.length
      ? `Past decisions from project memory:\n${input.memories.map((m) => `- [${m.record_id}] ${m.content}`).join("\n")}`
      : "",
    `Workspace files: ${input.files.length ? input.files.join(", ") : "(none yet)"}`,
    `Your task now: ${STAGE_INTENT[input.stage]}`,
  ]
    .filter((part) => part !== "")
    .join("\n\n");

  return [
    { role: "system", content: system },
    { role: "user", content: user },
  ];
}

/** The one corrective reprompt after a contract violation: what was wrong and what the turn still needs. */
export function correctiveMessage(violations: string[]): ModelMessage {
  return {
    role: "user",
    content: `Your turn did not meet its contract:\n${violations.map((v) => `- ${v}`).join("\n")}\nFix this now with tool calls. This is the only reminder.`,
  };
}

function cardProtocol(): string {
  return [
    "Card protocol:",
    "- You work one issue. Change its status only with update_issue_status; the system checks every change.",
    "- Flow: ready → in_progress → code_review → awaiting_guard_review → done. Only the integrity_guard seat may set done or a guard status (guard_approved, guard_rejected, guard_requested_changes).",
    "- blocked and waiting_for_developer need a wait_reason: resource, dependency, review, input or system.",
    "- Paths are relative to the workspace; references/ is read-only.",
  ].join("\n");
}

function toolSection(input: PromptInput): string {
  const list = input.tools
    .map((t) => `- ${t.name}: ${t.description} Arguments: ${JSON.stringify(t.parameters)}`)
    .join("\n");
  const example =
    input.dialect.tool_call_format === "hermes_tags"
      ? '<tool_call>\n{"name": "write_file", "arguments": {"path": "hello.py", "content": "print(\\"hi\\")\\n"}}\n</tool_call>'
      : '```json\n{"tool": "write_file", "args": {"path": "hello.py", "content": "print(\\"hi\\")\\n"}}\n```';
  return `Tools you may call (no others):\n${list}\n\nTo call a tool, write it exactly like this, one call per block; several blocks in one answer run in order:\n${example}`;
}

function contractSection(contract: TurnContract, requiredFiles: string[]): string {
  const rules: string[] = [];
  if (contract.required_tools.length) rules.push(`call ${contract.required_tools.join(", ")}`);
  if (contract.require_files && requiredFiles.length) rules.push(`write ${requiredFiles.join(", ")}`);
  if (contract.required_status.length)
    rules.push(`end with the issue in ${contract.required_status.join(" or ")}`);
  return rules.length ? `This turn must: ${rules.join("; ")}.` : "";
}

/**
 * The tools a role may call, as definitions, in the role's order. Memory tools are offered only as the
 * run's memory visibility allows: none when off, memory_search alone when read-only.
 */
export function toolsFor(
  role: Role,
  define: (name: ToolName) => ToolDefinition,
  memory: VisibilityMode = "off",
): ToolDefinition[] {
  return role.tools
    .filter((name) => {
      if (!(MEMORY_TOOLS as readonly string[]).includes(name)) return true;
      if (memory === "off") return false;
      return name !== "memory_write" || memory !== "read_only";
    })
    .map(define);
}
