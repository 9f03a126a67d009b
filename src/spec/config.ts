/**
 * Project configuration: roles, teams, environments, dialects, epics and rocks. Each lives in its own
 * JSON file under the project's `orket/` folder and overrides the built-in of the same name.
 */
import { z } from "zod";
import { IssueStatusSchema } from "./cards.js";

export const TOOL_NAMES = [
  "read_file",
  "write_file",
  "list_directory",
  "create_issue",
  "update_issue_status",
  "add_issue_comment",
  "get_issue_context",
  "memory_search",
  "memory_write",
] as const;
/** Tools that reach project memory: offered only when the run's memory visibility allows. */
export const MEMORY_TOOLS = ["memory_search", "memory_write"] as const;
export const ToolNameSchema = z.enum(TOOL_NAMES);
export type ToolName = z.infer<typeof ToolNameSchema>;

const Name = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "use lowercase letters, digits, '.', '_' and '-'");

export const TurnContractSchema = z.strictObject({
  /** Tools the seat must call successfully in its turn. */
  required_tools: z.array(ToolNameSchema).default([]),
  /** The card must end the turn in one of these statuses (empty: any). */
  required_status: z.array(IssueStatusSchema).default([]),
  /** The issue's `required_files` must exist in the workspace at the end of the turn. */
  require_files: z.boolean().default(false),
});
export type TurnContract = z.infer<typeof TurnContractSchema>;

export const RoleSchema = z.strictObject({
  name: Name,
  description: z.string().min(1),
  prompt: z.string().min(1),
  /** The allow-list: the tool gate refuses any other tool. */
  tools: z.array(ToolNameSchema),
  turn_contract: TurnContractSchema.default({
    required_tools: [],
    required_status: [],
    require_files: false,
  }),
});
export type Role = z.infer<typeof RoleSchema>;

export const TeamSchema = z.strictObject({
  name: Name,
  description: z.string().default(""),
  /** seat name → role name */
  seats: z.record(Name, z.strictObject({ role: Name })),
  /** The seat that reviews code (issues in code_review). */
  review_seat: Name.default("reviewer"),
  /** The integrity-guard seat (issues awaiting_guard_review). */
  guard_seat: Name.default("integrity_guard"),
});
export type Team = z.infer<typeof TeamSchema>;

export const EnvironmentSchema = z.strictObject({
  name: Name,
  /** A `provider/model` reference; the CLI's --model overrides it. */
  model: z.string().min(1).optional(),
  temperature: z.number().min(0).max(5).optional(),
  seed: z.number().int().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  timeout_ms: z.number().int().min(0).default(300_000),
  context_size: z.number().int().min(16).optional(),
  max_output_tokens: z.number().int().min(1).optional(),
});
export type Environment = z.infer<typeof EnvironmentSchema>;

export const DialectSchema = z.strictObject({
  name: Name,
  /** Lowercase substrings of a model reference that select this dialect (first match wins). */
  match: z.array(z.string().min(1)).default([]),
  /** How the prompt asks for tool calls. */
  tool_call_format: z.enum(["json_fenced", "hermes_tags"]).default("json_fenced"),
  /** Text put before the system prompt (some families want a marker). */
  system_prefix: z.string().default(""),
  /** Offer tools through the backend's native tool calling as well. */
  native_tools: z.boolean().default(false),
});
export type Dialect = z.infer<typeof DialectSchema>;
