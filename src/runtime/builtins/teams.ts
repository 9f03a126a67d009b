import type { Dialect, Environment, Team } from "../../spec/config.js";

export const BUILTIN_TEAMS: Team[] = [
  {
    name: "standard",
    description: "Analyst, architect and coder do the work; a reviewer and an integrity guard check it.",
    seats: {
      requirements_analyst: { role: "requirements_analyst" },
      architect: { role: "architect" },
      coder: { role: "coder" },
      reviewer: { role: "reviewer" },
      integrity_guard: { role: "integrity_guard" },
    },
    review_seat: "reviewer",
    guard_seat: "integrity_guard",
  },
];

export const BUILTIN_ENVIRONMENTS: Environment[] = [
  { name: "default", temperature: 0.2, seed: 42, timeout_ms: 300_000, max_output_tokens: 2048 },
];

/** Prompt conventions per model family; the first whose `match` is in the model reference wins. */
export const BUILTIN_DIALECTS: Dialect[] = [
  { name: "qwen", match: ["qwen"], tool_call_format: "hermes_tags", system_prefix: "", native_tools: false },
  { name: "generic", match: [], tool_call_format: "json_fenced", system_prefix: "", native_tools: false },
];
