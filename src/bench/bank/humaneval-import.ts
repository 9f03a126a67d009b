/**
 * Imports problems in the public HumanEval JSONL format (one JSON object per line with `task_id`, `prompt`,
 * `entry_point`, `canonical_solution` and `test`) as a task bank of Python tasks evaluated by the
 * problem's own `check(candidate)` test.
 */
import { z } from "zod";
import { TASK_BANK_SCHEMA_VERSION, type Task, type TaskBank } from "../../spec/bank.js";
import { BankError, HumanEvalImportError } from "./bank-error.js";
import { checkBank } from "./bank-loader.js";

export interface HumanEvalImportOptions {
  /** The bank's name. */
  name: string;
  /** Where the problems came from (a file path or URL); labels errors and goes into the description. */
  source: string;
  /** Default "1". */
  version?: string;
  /** Tier given to every task. Default 2: HumanEval problems are mostly one function of moderate logic. */
  tier?: number;
}

/** Unknown fields are ignored: some copies of the dataset carry extra ones. */
const HumanEvalLineSchema = z.object({
  task_id: z.string().min(1),
  prompt: z.string().min(1),
  entry_point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Python identifier"),
  canonical_solution: z.string().min(1),
  test: z.string().min(1),
});
type HumanEvalLine = z.infer<typeof HumanEvalLineSchema>;

/**
 * One task per non-blank line: the instruction is the prompt (signature and docstring), the reference
 * solution is prompt + canonical solution, and the evaluation runs the test followed by
 * `check(<entry_point>)`. `HumanEval/0` becomes the id `humaneval/0`. Throws `HumanEvalImportError`
 * (code `BAD_HUMANEVAL`) naming the 1-based line and the field of the first bad line.
 */
export function importHumanEval(jsonlText: string, options: HumanEvalImportOptions): TaskBank {
  const tasks: Task[] = [];
  const lineOfId = new Map<string, number>();
  jsonlText.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new HumanEvalImportError(line, "", `not valid JSON (${(error as Error).message})`);
    }
    const parsed = HumanEvalLineSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HumanEvalImportError(
        line,
        issue?.path.map(String).join(".") ?? "",
        issue?.message ?? "invalid",
      );
    }
    const task = toTask(parsed.data, line, options.tier ?? 2);
    const earlier = lineOfId.get(task.id);
    if (earlier !== undefined) {
      throw new HumanEvalImportError(line, "task_id", `"${task.id}" is also the id of line ${earlier}`);
    }
    lineOfId.set(task.id, line);
    tasks.push(task);
  });
  if (tasks.length === 0) throw new HumanEvalImportError(1, "", "the input holds no problems");
  const { bank, problems } = checkBank(
    {
      schema_version: TASK_BANK_SCHEMA_VERSION,
      name: options.name,
      version: options.version ?? "1",
      description: `Imported from ${options.source} (HumanEval format).`,
      tasks,
    },
    options.source,
  );
  if (bank === undefined || problems.length > 0) throw new BankError(problems);
  return bank;
}

function toTask(problem: HumanEvalLine, line: number, tier: number): Task {
  const id = problem.task_id
    .toLowerCase()
    .replace(/[^a-z0-9._/-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "");
  if (id === "")
    throw new HumanEvalImportError(line, "task_id", `cannot make a task id of "${problem.task_id}"`);
  const signature = defLine(problem.prompt, problem.entry_point);
  if (signature === undefined) {
    throw new HumanEvalImportError(line, "prompt", `has no "def ${problem.entry_point}(" line`);
  }
  return {
    id,
    tier,
    title: `${problem.task_id}: ${problem.entry_point}`,
    instruction: problem.prompt,
    language: "python",
    function_signature: signature,
    constraints: {
      regex_required: [],
      regex_forbidden: [],
      ast_rules: [{ rule: "required_function_name", name: problem.entry_point }],
    },
    evaluation: {
      kind: "test_program",
      program: `${problem.test}\n\ncheck(${problem.entry_point})\n`,
    },
    reference_solution: problem.prompt + problem.canonical_solution,
  };
}

/**
 * The `def` of `name` in the prompt, without its final colon; a def spread over several lines is
 * joined into one. Undefined when the prompt does not define `name`.
 */
function defLine(prompt: string, name: string): string | undefined {
  const lines = prompt.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^\\s*(async\\s+)?def\\s+${name}\\s*\\(`).test(l));
  if (start === -1) return undefined;
  const parts: string[] = [];
  for (const l of lines.slice(start)) {
    parts.push(l.trim());
    if (/\)\s*(->[^:]*)?:\s*(#.*)?$/.test(l)) break;
  }
  return parts
    .join(" ")
    .replace(/\(\s+/g, "(")
    .replace(/\s+\)/g, ")")
    .replace(/\s*:\s*(#.*)?$/, "");
}
