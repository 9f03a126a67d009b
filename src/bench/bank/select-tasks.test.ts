import { describe, expect, it } from "vitest";
import { TASK_BANK_SCHEMA_VERSION, type Task, type TaskBank } from "../../spec/bank.js";
import { TaskSelectionError } from "./bank-error.js";
import { selectTasks } from "./select-tasks.js";

const IDS = ["py/clamp", "py/chunk", "ts/dedupe", "ts/cli-tac", "js/fizzbuzz", "py/cli-wc"];
const BANK: TaskBank = {
  schema_version: TASK_BANK_SCHEMA_VERSION,
  name: "mini",
  version: "1",
  description: "",
  tasks: IDS.map(
    (id): Task => ({
      id,
      tier: 1,
      title: id,
      instruction: "x",
      language: "python",
      function_signature: "",
      constraints: { regex_required: [], regex_forbidden: [], ast_rules: [] },
      evaluation: { kind: "test_program", program: "pass" },
      reference_solution: "pass",
    }),
  ),
};

const ids = (spec: string) => selectTasks(BANK, spec).map((t) => t.id);

function errorOf(spec: string): TaskSelectionError {
  try {
    selectTasks(BANK, spec);
  } catch (error) {
    expect(error).toBeInstanceOf(TaskSelectionError);
    return error as TaskSelectionError;
  }
  throw new Error(`"${spec}" was accepted`);
}

describe("selectTasks", () => {
  it("takes 1-based positions and inclusive ranges", () => {
    expect(ids("1")).toEqual(["py/clamp"]);
    expect(ids("2-4")).toEqual(["py/chunk", "ts/dedupe", "ts/cli-tac"]);
    expect(ids("1-2,6")).toEqual(["py/clamp", "py/chunk", "py/cli-wc"]);
    expect(ids(" 3 , 5 - 6 ")).toEqual(["ts/dedupe", "js/fizzbuzz", "py/cli-wc"]);
    expect(ids("4-4")).toEqual(["ts/cli-tac"]);
  });

  it("takes ids and id patterns", () => {
    expect(ids("ts/dedupe,py/clamp")).toEqual(["py/clamp", "ts/dedupe"]);
    expect(ids("ts/*")).toEqual(["ts/dedupe", "ts/cli-tac"]);
    expect(ids("*/cli-*")).toEqual(["ts/cli-tac", "py/cli-wc"]);
    expect(ids("js/fizzbuzz,1")).toEqual(["py/clamp", "js/fizzbuzz"]);
  });

  it("returns each task once, in bank order", () => {
    expect(ids("6,1-3,2,py/clamp")).toEqual(["py/clamp", "py/chunk", "ts/dedupe", "py/cli-wc"]);
  });

  it("selects everything with all or *", () => {
    expect(ids("all")).toEqual(IDS);
    expect(ids("*")).toEqual(IDS);
  });

  it("rejects empty specs and empty items", () => {
    expect(errorOf("").message).toContain("empty");
    expect(errorOf("  ").code).toBe("BAD_TASK_SELECTION");
    expect(errorOf("1,,2").message).toContain("empty item");
    expect(errorOf("1,").message).toContain("empty item");
  });

  it("rejects positions out of range, naming the range", () => {
    expect(errorOf("0").message).toContain("position 0 is out of range: the bank has tasks 1-6");
    expect(errorOf("7").message).toContain("position 7 is out of range");
    expect(errorOf("5-9").message).toContain("position 9 is out of range");
  });

  it("rejects backwards ranges and malformed numbers", () => {
    expect(errorOf("4-2").message).toContain("range 4-2 runs backwards");
    expect(errorOf("1-2-3").message).toContain("neither a position");
    expect(errorOf("-3").message).toContain("neither a position");
  });

  it("rejects unknown ids and patterns that match nothing, with a hint", () => {
    const error = errorOf("python/clamp");
    expect(error.message).toBe(
      '--tasks "python/clamp": no task "python/clamp" in bank mini (did you mean py/clamp?); positions run 1-6',
    );
    expect(errorOf("rust/*").message).toContain('no task id matches "rust/*"');
  });
});
