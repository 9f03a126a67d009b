/**
 * The tools' argument schemas: validated before a tool runs (a bad argument is the model's error, shown
 * to it), and exported as JSON Schema for the prompt and for native tool calling.
 */
import { z } from "zod";
import { IssueStatusSchema, PrioritySchema, WaitReasonSchema } from "../../spec/cards.js";
import type { ToolName } from "../../spec/config.js";
import type { ToolDefinition } from "../../spec/tools.js";

const Path = z.string().min(1).describe("workspace-relative path, e.g. src/app.py");

export const TOOL_ARGS = {
  read_file: z.strictObject({ path: Path }),
  write_file: z.strictObject({ path: Path, content: z.string().describe("the whole file content") }),
  list_directory: z.strictObject({
    path: z.string().default(".").describe("workspace-relative folder; default the root"),
  }),
  create_issue: z.strictObject({
    id: z.string().min(1).describe("a new lowercase id, e.g. parse-args"),
    summary: z.string().min(1),
    requirements: z.string().default(""),
    seat: z.string().min(1).describe("the seat that implements it, e.g. coder"),
    depends_on: z.array(z.string()).default([]),
    priority: PrioritySchema.default("medium"),
  }),
  update_issue_status: z.strictObject({
    status: IssueStatusSchema,
    reason: z.string().default(""),
    wait_reason: WaitReasonSchema.optional().describe("required for blocked and waiting_for_developer"),
  }),
  add_issue_comment: z.strictObject({ body: z.string().min(1) }),
  get_issue_context: z.strictObject({}),
  memory_search: z.strictObject({
    query: z.string().min(1).max(2000).describe("words to look for, e.g. cli argument parsing"),
    namespace: z.string().min(1).optional().describe("only this namespace, e.g. decisions"),
    tags: z.array(z.string().min(1)).max(8).optional().describe("records carrying all of these tags"),
    limit: z.number().int().min(1).max(20).default(5),
  }),
  memory_write: z.strictObject({
    content: z.string().min(1).max(20_000).describe("what to remember, in one or a few sentences"),
    namespace: z.string().min(1).default("notes").describe("e.g. decisions, conventions, notes"),
    record_type: z.string().min(1).default("note").describe("decision, convention or note"),
    tags: z.array(z.string().min(1)).max(16).default([]),
    scope: z.enum(["project", "epic"]).default("project").describe("project: every epic; epic: this one"),
    ttl_seconds: z.number().int().positive().optional().describe("forget after this many seconds"),
  }),
} satisfies Record<ToolName, z.ZodType>;

export type ToolArgs = { [K in ToolName]: z.infer<(typeof TOOL_ARGS)[K]> };

const DESCRIPTIONS: Record<ToolName, string> = {
  read_file: "Read a text file from the workspace (or references/<name>).",
  write_file: "Write a whole text file into the workspace, creating folders as needed.",
  list_directory: "List a workspace folder.",
  create_issue: "Create a new issue in this epic.",
  update_issue_status: "Move the issue you are working on to a new status.",
  add_issue_comment: "Comment on the issue you are working on.",
  get_issue_context: "The issue, its comments, its dependencies' statuses and the workspace files.",
  memory_search: "Search the project's memory (past decisions, conventions, notes), best matches first.",
  memory_write: "Remember something for later turns and epics (a decision, a convention, a note).",
};

/** Tools that change or destroy what exists; the gate asks for confirmation before they run. */
export const DESTRUCTIVE_TOOLS: ReadonlySet<ToolName> = new Set(["write_file"]);

const definitions = new Map<ToolName, ToolDefinition>();

/** The tool's definition; built once per process (converting a schema costs about a millisecond). */
export function toolDefinition(name: ToolName): ToolDefinition {
  let definition = definitions.get(name);
  if (!definition) {
    const schema = z.toJSONSchema(TOOL_ARGS[name], { io: "input" }) as Record<string, unknown>;
    delete schema.$schema;
    definition = { name, description: DESCRIPTIONS[name], parameters: schema };
    definitions.set(name, definition);
  }
  return definition;
}
