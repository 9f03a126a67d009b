/**
 * Reads task banks: the built-in one (`builtin`) or a JSON file. A bank is checked twice: against
 * `TaskBankSchema`, then for what a schema cannot say (unique ids, regexes that compile, names the
 * reference solution really defines). Every problem names the file and the field path, so
 * `orket bank validate` can list them all and `loadBank` can fail on the first with a usable message.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isAbsolute, normalize } from "node:path";
import { canonicalJson } from "../../core/shared/canonical-json.js";
import { type Task, type TaskBank, TaskBankSchema } from "../../spec/bank.js";
import { patternProblem } from "../../validation/regex-rules.js";
import { BankError, type BankProblem } from "./bank-error.js";

export { selectTasks } from "./select-tasks.js";

/** The reference that names the built-in bank instead of a file. */
export const BUILTIN_BANK_REF = "builtin";

/** A bank, when it passed the schema, and every problem found; the bank is usable when `problems` is empty. */
export interface BankCheck {
  bank: TaskBank | undefined;
  problems: BankProblem[];
}

/**
 * The bank at `pathOrBuiltin` (a JSON file, or `builtin`), validated. Throws `BankError` (code `BAD_BANK`)
 * naming the file and field of the first problem, e.g. `banks/x.json: tasks.3.evaluation.examples: ...`.
 */
/**
 * A bank's identity: sha256 of its canonical JSON (keys sorted, no whitespace), so two reports ran the
 * same tasks with the same tests exactly when their `settings.bank.sha256` agree, wherever the file was.
 */
export function bankSha256(bank: TaskBank): string {
  return createHash("sha256").update(canonicalJson(bank)).digest("hex");
}

export async function loadBank(pathOrBuiltin: string): Promise<TaskBank> {
  const { bank, problems } = await checkBankAt(pathOrBuiltin);
  if (bank === undefined || problems.length > 0) throw new BankError(problems);
  return bank;
}

/** Every problem of the bank at `pathOrBuiltin`, for `orket bank validate`; empty when it is valid. */
export async function validateBank(pathOrBuiltin: string): Promise<BankProblem[]> {
  return (await checkBankAt(pathOrBuiltin)).problems;
}

async function checkBankAt(pathOrBuiltin: string): Promise<BankCheck> {
  if (pathOrBuiltin === BUILTIN_BANK_REF) {
    // Imported here so that commands that never touch the built-in bank do not load its text.
    const { BUILTIN_BANK } = await import("./builtin-bank.js");
    return checkBank(BUILTIN_BANK, BUILTIN_BANK_REF);
  }
  let text: string;
  try {
    text = await readFile(pathOrBuiltin, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return {
      bank: undefined,
      problems: [{ file: pathOrBuiltin, path: "", message: `cannot read (${reason})` }],
    };
  }
  return checkBankText(text, pathOrBuiltin);
}

/** Parses and checks a bank's JSON text; `file` only labels the problems. */
export function checkBankText(text: string, file: string): BankCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      bank: undefined,
      problems: [{ file, path: "", message: `not valid JSON (${(error as Error).message})` }],
    };
  }
  return checkBank(value, file);
}

/** Checks a parsed bank: the schema first, then, when that passes, the semantic rules. */
export function checkBank(value: unknown, file: string): BankCheck {
  const parsed = TaskBankSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      file,
      path: issue.path.map(String).join("."),
      message: issue.message,
    }));
    return { bank: undefined, problems };
  }
  const bank = parsed.data;
  const problems: BankProblem[] = [];
  const firstIndex = new Map<string, number>();
  bank.tasks.forEach((task, i) => {
    const earlier = firstIndex.get(task.id);
    if (earlier === undefined) firstIndex.set(task.id, i);
    else
      problems.push({
        file,
        path: `tasks.${i}.id`,
        message: `duplicate task id "${task.id}" (also tasks.${earlier})`,
      });
    for (const [path, message] of checkTask(task))
      problems.push({ file, path: `tasks.${i}.${path}`, message });
  });
  return { bank, problems };
}

const SOLUTION_EXTENSIONS: Record<Task["language"], readonly string[]> = {
  python: [".py"],
  typescript: [".ts", ".mts", ".cts"],
  javascript: [".js", ".mjs", ".cjs"],
};

/** The semantic problems of one task, as `[field path inside the task, message]`. */
function checkTask(task: Task): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const { constraints, evaluation, reference_solution: solution } = task;
  for (const list of ["regex_required", "regex_forbidden"] as const) {
    constraints[list].forEach((pattern, k) => {
      const problem = patternProblem(pattern);
      if (problem !== null) problems.push([`constraints.${list}.${k}`, problem]);
    });
  }
  const defined = (name: string) => new RegExp(`(^|[^\\w$])${escapeRegExp(name)}([^\\w$]|$)`).test(solution);
  constraints.ast_rules.forEach((rule, k) => {
    const name = rule.rule === "required_function_name" ? rule.name : rule.function;
    const field = rule.rule === "required_function_name" ? "name" : "function";
    if (name !== undefined && !defined(name)) {
      problems.push([
        `constraints.ast_rules.${k}.${field}`,
        `"${name}" does not occur in the reference solution`,
      ]);
    }
  });
  if (evaluation.kind === "function") {
    if (!defined(evaluation.function_name)) {
      problems.push([
        "evaluation.function_name",
        `"${evaluation.function_name}" does not occur in the reference solution`,
      ]);
    }
    evaluation.examples.forEach((example, k) => {
      if (!isJsonValue(example.args)) problems.push([`evaluation.examples.${k}.args`, NOT_JSON]);
      if (!isJsonValue(example.expected)) problems.push([`evaluation.examples.${k}.expected`, NOT_JSON]);
    });
  }
  if (task.solution_file !== undefined) {
    if (!isInsideWorkspace(task.solution_file)) {
      problems.push([
        "solution_file",
        "must be a relative path inside the workspace (no '..', not absolute)",
      ]);
    }
    const allowed = SOLUTION_EXTENSIONS[task.language];
    if (!allowed.some((extension) => task.solution_file?.endsWith(extension))) {
      problems.push([
        "solution_file",
        `a ${task.language} solution file must end with ${allowed.join(", ")}`,
      ]);
    }
  }
  return problems;
}

const NOT_JSON = "must be a JSON value (no undefined, NaN, Infinity, functions or class instances)";

/** True for what survives a JSON round trip unchanged; banks built in code can hold anything else. */
function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    return (proto === Object.prototype || proto === null) && Object.values(value).every(isJsonValue);
  }
  return false;
}

/** A relative path that stays inside the folder it is resolved against. */
export function isInsideWorkspace(path: string): boolean {
  if (path === "" || isAbsolute(path) || path.includes("\0")) return false;
  return !normalize(path).split(/[\\/]/).includes("..");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
