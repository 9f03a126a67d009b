/** The built-in roles. A project's `orket/roles/<name>.json` replaces the one of the same name. */
import type { Role } from "../../spec/config.js";

const CARD_TOOLS = ["get_issue_context", "add_issue_comment", "update_issue_status"] as const;
/** Offered only when the run's memory visibility allows (`orket run --memory`). */
const MEMORY_TOOLS = ["memory_search", "memory_write"] as const;

export const BUILTIN_ROLES: Role[] = [
  {
    name: "requirements_analyst",
    description: "Turns a vague request into precise, testable requirements.",
    prompt:
      "Read the issue and any references. Write the requirements as a short numbered list of testable statements in requirements.md (inputs, outputs, edge cases, error behaviour). Split work that is too large into new issues with create_issue. Then move the issue to code_review.",
    tools: ["read_file", "write_file", "list_directory", "create_issue", ...CARD_TOOLS, ...MEMORY_TOOLS],
    turn_contract: { required_tools: ["write_file"], required_status: ["code_review"], require_files: true },
  },
  {
    name: "architect",
    description: "Decides the structure: modules, interfaces and data shapes, before code is written.",
    prompt:
      "Design the smallest structure that meets the requirements: files, function signatures with types, and data shapes. Write it to the files the issue requires (a design.md unless told otherwise). Do not write the implementation. Then move the issue to code_review.",
    tools: ["read_file", "write_file", "list_directory", ...CARD_TOOLS, ...MEMORY_TOOLS],
    turn_contract: { required_tools: ["write_file"], required_status: ["code_review"], require_files: true },
  },
  {
    name: "coder",
    description: "Writes working, complete code that meets the issue's requirements.",
    prompt:
      "Write complete, working code for the issue into the files it requires, using write_file with the whole file content. No placeholders, no TODOs, no explanations outside the code. Then move the issue to code_review.",
    tools: ["read_file", "write_file", "list_directory", ...CARD_TOOLS, ...MEMORY_TOOLS],
    turn_contract: { required_tools: ["write_file"], required_status: ["code_review"], require_files: true },
  },
  {
    name: "reviewer",
    description: "Reviews the work against the requirements and either passes it on or sends it back.",
    prompt:
      "Read the files the issue required and check them against its requirements. Leave one comment with your findings (add_issue_comment). If the work meets the requirements, move the issue to awaiting_guard_review; if not, move it back to in_progress and say exactly what must change.",
    tools: ["read_file", "list_directory", ...CARD_TOOLS, ...MEMORY_TOOLS],
    turn_contract: {
      required_tools: ["add_issue_comment"],
      required_status: ["awaiting_guard_review", "in_progress"],
      require_files: false,
    },
  },
  {
    name: "integrity_guard",
    description: "The last gate: only this seat may close an issue or make a guard decision.",
    prompt:
      "Verify that the required files exist, are complete (no placeholders, no stubs, no TODOs), and match the requirements and the reviewer's comment. Then decide: done if everything holds; guard_requested_changes with a comment saying what to fix; guard_rejected if the work is wrong in approach.",
    tools: ["read_file", "list_directory", ...CARD_TOOLS, ...MEMORY_TOOLS],
    turn_contract: {
      required_tools: [],
      required_status: ["done", "guard_requested_changes", "guard_rejected"],
      require_files: false,
    },
  },
];
