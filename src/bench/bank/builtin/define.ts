/**
 * Builders for the built-in tasks. They keep each task to what differs from the next one: the wording,
 * the examples and the reference solution; the AST rules follow from the function's name, its positional
 * parameter count and its return annotation, so a task cannot state a signature and check another.
 */
import type { AstRule, Language, Task } from "../../../spec/bank.js";

/** Reference code exactly as written (backslashes kept), without the newline after the opening backtick. */
export function code(strings: TemplateStringsArray): string {
  return String.raw(strings).replace(/^\n/, "");
}

/** Python code that imports `re` in any form, for tasks that ask for hand-written scanning. */
export const PY_NO_RE = ["\\bimport\\s+re\\b", "\\bfrom\\s+re\\s+import\\b"];
/** A program that shells out instead of doing the work itself. */
export const PY_NO_SHELL = ["\\bsubprocess\\b", "\\bos\\.system\\b"];
export const JS_NO_SHELL = ["child_process"];

interface TaskInput {
  id: string;
  tier: 1 | 2 | 3 | 4;
  title: string;
  language: Language;
  instruction: string;
  /** The signature shown to the model; for programs, the signature of `main`. */
  signature: string;
  /** Positional parameters of the function. */
  params: number;
  /** The return annotation to require: its exact text, or `true` for any; leave out for JavaScript. */
  returns?: string | true;
  required?: string[];
  forbidden?: string[];
  solution: string;
}

export interface FunctionTaskInput extends TaskInput {
  name: string;
  /** `[args, expected]` pairs. */
  examples: Array<[unknown[], unknown]>;
}

export interface CliCase {
  args?: string[];
  stdin?: string;
  stdout: string;
  exit?: number;
}

export interface CliTaskInput extends TaskInput {
  examples: CliCase[];
}

/** A task evaluated by calling one function with each example's arguments. */
export function functionTask(input: FunctionTaskInput): Task {
  return {
    ...base(input, input.name),
    evaluation: {
      kind: "function",
      function_name: input.name,
      examples: input.examples.map(([args, expected]) => ({ args, expected })),
    },
  };
}

/**
 * A task evaluated by running the solution as a program. Every program keeps its logic in `main`, which
 * the instruction asks for in so many words, so the AST rules have a function to check.
 */
export function cliTask(input: CliTaskInput): Task {
  return {
    ...base({ ...input, instruction: `${input.instruction}\n\n${PROGRAM_SHAPE[input.language]}` }, "main"),
    evaluation: {
      kind: "cli",
      examples: input.examples.map((c) => ({
        args: c.args ?? [],
        stdin: c.stdin ?? "",
        expected_stdout: c.stdout,
        expected_exit_code: c.exit ?? 0,
      })),
    },
  };
}

function base(input: TaskInput, name: string): Omit<Task, "evaluation"> {
  const rules: AstRule[] = [
    { rule: "required_function_name", name },
    { rule: "argument_count", function: name, count: input.params },
  ];
  if (input.returns === true) rules.push({ rule: "return_type_annotation", function: name });
  else if (input.returns !== undefined) {
    rules.push({ rule: "return_type_annotation", function: name, type: input.returns });
  }
  return {
    id: input.id,
    tier: input.tier,
    title: input.title,
    instruction: input.instruction,
    language: input.language,
    function_signature: input.signature,
    constraints: {
      regex_required: input.required ?? [],
      regex_forbidden: input.forbidden ?? [],
      ast_rules: rules,
    },
    reference_solution: input.solution,
  };
}

const JS_SHAPE = (signature: string) =>
  [
    `Write a complete program. Put the logic in \`${signature}\`, which receives the command-line`,
    "arguments (without `node` and the script path) and all of standard input, prints its output with",
    "`console.log` (errors with `console.error`) and returns the exit code. End the file with:",
    "",
    'let input = "";',
    'process.stdin.setEncoding("utf8");',
    'process.stdin.on("data", (chunk) => {',
    "  input += chunk;",
    "});",
    'process.stdin.on("end", () => {',
    "  process.exitCode = main(process.argv.slice(2), input);",
    "});",
  ].join("\n");

const PROGRAM_SHAPE: Record<Language, string> = {
  python: [
    "Write a complete program. Put the logic in `def main(argv: list[str], text: str) -> int`, which",
    "receives the command-line arguments (without the program name) and all of standard input, prints its",
    "output (errors to `sys.stderr`) and returns the exit code. Import `sys` and end the file with:",
    "",
    'if __name__ == "__main__":',
    "    sys.exit(main(sys.argv[1:], sys.stdin.read()))",
  ].join("\n"),
  typescript: JS_SHAPE("function main(args: string[], input: string): number"),
  javascript: JS_SHAPE("function main(args, input)"),
};
