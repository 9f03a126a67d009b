import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HumanEvalImportError } from "./bank-error.js";
import { importHumanEval } from "./humaneval-import.js";

const FIXTURE = "test/fixtures/humaneval/mini.jsonl";
const OPTIONS = { name: "mini-eval", source: FIXTURE };

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    task_id: "HumanEval/0",
    prompt: 'def add(a: int, b: int) -> int:\n    """Add a and b."""\n',
    entry_point: "add",
    canonical_solution: "    return a + b\n",
    test: "\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n",
    ...fields,
  });
}

function errorOf(text: string): HumanEvalImportError {
  try {
    importHumanEval(text, OPTIONS);
  } catch (error) {
    expect(error).toBeInstanceOf(HumanEvalImportError);
    return error as HumanEvalImportError;
  }
  throw new Error("the input was accepted");
}

describe("importHumanEval", () => {
  it("maps every field of a HumanEval line", () => {
    const bank = importHumanEval(line({}), OPTIONS);
    expect(bank).toMatchObject({ schema_version: "orket.task_bank.v1", name: "mini-eval", version: "1" });
    expect(bank.description).toContain(FIXTURE);
    expect(bank.tasks).toEqual([
      {
        id: "humaneval/0",
        tier: 2,
        title: "HumanEval/0: add",
        instruction: 'def add(a: int, b: int) -> int:\n    """Add a and b."""\n',
        language: "python",
        function_signature: "def add(a: int, b: int) -> int",
        constraints: {
          regex_required: [],
          regex_forbidden: [],
          ast_rules: [{ rule: "required_function_name", name: "add" }],
        },
        evaluation: {
          kind: "test_program",
          program: "\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n\n\ncheck(add)\n",
        },
        reference_solution: 'def add(a: int, b: int) -> int:\n    """Add a and b."""\n    return a + b\n',
      },
    ]);
  });

  it("imports the fixture: ids, signatures (helpers and multi-line defs included), programs", () => {
    const bank = importHumanEval(readFileSync(FIXTURE, "utf8"), { ...OPTIONS, tier: 3, version: "2" });
    expect(bank.version).toBe("2");
    expect(bank.tasks.map((t) => t.id)).toEqual([
      "minieval/0",
      "minieval/1",
      "minieval/2",
      "minieval/3",
      "minieval/4",
    ]);
    expect(bank.tasks.map((t) => t.function_signature)).toEqual([
      "def running_max(values: list) -> list",
      "def is_isogram(word: str) -> bool",
      "def armstrong_numbers(limit: int) -> list",
      "def pairwise_gaps(values: List[int]) -> List[int]",
      "def caesar(text: str, shift: int) -> str",
    ]);
    for (const task of bank.tasks) {
      expect(task.tier).toBe(3);
      expect(task.language).toBe("python");
      expect(task.reference_solution.startsWith(task.instruction)).toBe(true);
      const entry = task.constraints.ast_rules[0];
      expect(entry?.rule).toBe("required_function_name");
      const name = entry?.rule === "required_function_name" ? entry.name : "";
      expect(task.evaluation).toEqual({
        kind: "test_program",
        program: expect.stringMatching(`\\n\\ncheck\\(${name}\\)\\n$`),
      });
      expect(task.evaluation.kind === "test_program" && task.evaluation.program).toContain(
        "def check(candidate):",
      );
    }
  });

  it("skips blank lines and keeps counting them", () => {
    const text = `\n${line({})}\n\n${line({ task_id: "HumanEval/1" })}\n`;
    expect(importHumanEval(text, OPTIONS).tasks.map((t) => t.id)).toEqual(["humaneval/0", "humaneval/1"]);
    const error = errorOf(`${line({})}\n\n{broken`);
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^line 3: not valid JSON/);
  });

  it("names the line and the field of a missing or wrong field", () => {
    const text = [line({}), line({ task_id: "HumanEval/1", entry_point: undefined })].join("\n");
    const missing = errorOf(text);
    expect(missing.code).toBe("BAD_HUMANEVAL");
    expect([missing.line, missing.field]).toEqual([2, "entry_point"]);
    expect(missing.message).toMatch(/^line 2: entry_point: /);
    expect(errorOf(line({ test: 42 })).field).toBe("test");
    expect(errorOf(line({ entry_point: "not a name" })).message).toContain("must be a Python identifier");
    expect(errorOf("[1, 2]").message).toMatch(/^line 1: /);
  });

  it("rejects a prompt that does not define the entry point", () => {
    const error = errorOf(line({ entry_point: "subtract" }));
    expect([error.line, error.field]).toEqual([1, "prompt"]);
    expect(error.message).toContain('has no "def subtract(" line');
  });

  it("rejects duplicate ids and empty input", () => {
    const error = errorOf([line({}), line({ task_id: "humaneval/0" })].join("\n"));
    expect([error.line, error.field]).toEqual([2, "task_id"]);
    expect(error.message).toContain("also the id of line 1");
    expect(errorOf("\n  \n").message).toContain("no problems");
  });
});
