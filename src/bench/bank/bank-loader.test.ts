import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK_BANK_SCHEMA_VERSION } from "../../spec/bank.js";
import { BankError, formatProblem } from "./bank-error.js";
import { checkBank, checkBankText, loadBank, validateBank } from "./bank-loader.js";

function task(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    tier: 1,
    title: "Add",
    instruction: "Add two numbers.",
    language: "python",
    function_signature: "def add(a: int, b: int) -> int",
    constraints: {
      regex_required: ["return"],
      regex_forbidden: ["\\beval\\("],
      ast_rules: [{ rule: "required_function_name", name: "add" }],
    },
    evaluation: { kind: "function", function_name: "add", examples: [{ args: [1, 2], expected: 3 }] },
    reference_solution: "def add(a: int, b: int) -> int:\n    return a + b\n",
    ...overrides,
  };
}

function bank(tasks: unknown[]) {
  return { schema_version: TASK_BANK_SCHEMA_VERSION, name: "test", version: "1", tasks };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "orket-bank-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function loadError(path: string): Promise<BankError> {
  const error = await loadBank(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BankError);
  return error as BankError;
}

describe("loadBank", () => {
  it("loads a valid file and applies the schema defaults", async () => {
    const path = await write("ok.json", bank([task("a/add", { constraints: undefined })]));
    const loaded = await loadBank(path);
    expect(loaded.tasks[0]?.constraints).toEqual({ regex_required: [], regex_forbidden: [], ast_rules: [] });
    expect(loaded.description).toBe("");
  });

  it("loads the built-in bank", async () => {
    const loaded = await loadBank("builtin");
    expect(loaded.name).toBe("orket-builtin");
    expect(loaded.tasks.length).toBeGreaterThanOrEqual(40);
  });

  it("rejects a file that is not JSON, naming the file", async () => {
    const path = await write("broken.json", '{"tasks": [');
    const error = await loadError(path);
    expect(error.code).toBe("BAD_BANK");
    expect(error.message).toMatch(new RegExp(`^${escapeRegExp(path)}: not valid JSON`));
  });

  it("rejects a missing file with the OS reason", async () => {
    const error = await loadError(join(dir, "nope.json"));
    expect(error.message).toContain("cannot read (ENOENT)");
  });

  it("names the field path of a schema violation", async () => {
    const bad = task("b", { evaluation: { kind: "function", function_name: "add", examples: [] } });
    const path = await write("schema.json", bank([task("a"), task("c"), task("d"), bad]));
    const error = await loadError(path);
    expect(error.path).toBe("tasks.3.evaluation.examples");
    expect(error.message.startsWith(`${path}: tasks.3.evaluation.examples: `)).toBe(true);
  });

  it("names unknown fields and bad enum values", () => {
    const { problems } = checkBank(
      bank([task("a", { langauge: "python" }), task("b", { language: "rust" })]),
      "x.json",
    );
    const lines = problems.map(formatProblem);
    expect(lines.some((l) => l.startsWith("x.json: tasks.0: ") && l.includes("langauge"))).toBe(true);
    expect(lines.some((l) => l.startsWith("x.json: tasks.1.language: "))).toBe(true);
  });

  it("rejects duplicate task ids, pointing at both", async () => {
    const path = await write("dupes.json", bank([task("a"), task("b"), task("a")]));
    const error = await loadError(path);
    expect(error.path).toBe("tasks.2.id");
    expect(error.message).toContain('duplicate task id "a" (also tasks.0)');
  });

  it("rejects a regex that does not compile", async () => {
    const constraints = { regex_required: [], regex_forbidden: ["ok", "(unclosed"], ast_rules: [] };
    const path = await write("regex.json", bank([task("a", { constraints })]));
    const error = await loadError(path);
    expect(error.path).toBe("tasks.0.constraints.regex_forbidden.1");
    expect(error.message).toContain("invalid regular expression");
  });

  it("rejects a catastrophic regex such as (a+)+$ before it can hang the validator", async () => {
    const constraints = { regex_required: ["return", "(a+)+$"], regex_forbidden: ["(x*)*y"], ast_rules: [] };
    const path = await write("redos.json", bank([task("a", { constraints })]));
    const error = await loadError(path);
    expect(error.path).toBe("tasks.0.constraints.regex_required.1");
    expect(error.message).toContain("nested quantifiers (such as (a+)+) can take exponential time");
    const { problems } = checkBank(bank([task("a", { constraints })]), "f.json");
    expect(problems.map((p) => p.path)).toEqual([
      "tasks.0.constraints.regex_required.1",
      "tasks.0.constraints.regex_forbidden.0",
    ]);
  });

  it("rejects a solution file outside the workspace", () => {
    for (const file of ["../../etc/secret.py", "/etc/secret.py", "a/../../b.py"]) {
      const { problems } = checkBank(bank([task("a", { solution_file: file })]), "f.json");
      expect(
        problems.map((p) => [p.path, p.message]),
        file,
      ).toEqual([
        ["tasks.0.solution_file", "must be a relative path inside the workspace (no '..', not absolute)"],
      ]);
    }
    expect(checkBank(bank([task("a", { solution_file: "src/pkg/solution.py" })]), "f.json").problems).toEqual(
      [],
    );
  });

  it("rejects a function name the reference solution does not define", () => {
    const evaluation = {
      kind: "function",
      function_name: "sum_two",
      examples: [{ args: [1, 2], expected: 3 }],
    };
    const { problems } = checkBank(bank([task("a", { evaluation })]), "f.json");
    expect(problems.map((p) => p.path)).toEqual(["tasks.0.evaluation.function_name"]);
    // A longer name that merely contains the wanted one does not count.
    const prefix = { ...evaluation, function_name: "ad" };
    expect(checkBank(bank([task("a", { evaluation: prefix })]), "f.json").problems).toHaveLength(1);
  });

  it("rejects AST rules naming functions the reference solution lacks", () => {
    const constraints = {
      ast_rules: [
        { rule: "required_function_name", name: "plus" },
        { rule: "argument_count", function: "add", count: 2 },
        { rule: "return_type_annotation", function: "minus" },
      ],
    };
    const { problems } = checkBank(bank([task("a", { constraints })]), "f.json");
    expect(problems.map((p) => p.path)).toEqual([
      "tasks.0.constraints.ast_rules.0.name",
      "tasks.0.constraints.ast_rules.2.function",
    ]);
  });

  it("rejects a solution file whose extension does not fit the language", () => {
    const { problems } = checkBank(bank([task("a", { solution_file: "solution.ts" })]), "f.json");
    expect(problems.map((p) => p.path)).toEqual(["tasks.0.solution_file"]);
  });

  it("rejects examples that are not JSON values (banks built in code)", () => {
    const evaluation = {
      kind: "function",
      function_name: "add",
      examples: [{ args: [1, Number.NaN], expected: 3 }],
    };
    const { problems } = checkBank(bank([task("a", { evaluation })]), "f.json");
    expect(problems.map((p) => p.path)).toEqual(["tasks.0.evaluation.examples.0.args"]);
  });
});

describe("validateBank", () => {
  it("lists every problem instead of stopping at the first", async () => {
    const constraints = { regex_required: ["["], regex_forbidden: [], ast_rules: [] };
    const path = await write("many.json", bank([task("a", { constraints }), task("a")]));
    const problems = await validateBank(path);
    expect(problems.map((p) => p.path)).toEqual(["tasks.0.constraints.regex_required.0", "tasks.1.id"]);
    expect(problems.every((p) => p.file === path)).toBe(true);
    const error = await loadError(path);
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain("(and 1 more problem(s))");
  });

  it("returns no problems for a valid bank and for the built-in one", async () => {
    expect(await validateBank(await write("fine.json", bank([task("a")])))).toEqual([]);
    expect(await validateBank("builtin")).toEqual([]);
  });

  it("reports the schema issues of text with the file name", () => {
    const { bank: parsed, problems } = checkBankText(JSON.stringify({ schema_version: "v0" }), "old.json");
    expect(parsed).toBeUndefined();
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(["schema_version", "name", "tasks"]));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
