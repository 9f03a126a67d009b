import { describe, expect, it } from "vitest";
import { TaskBankSchema } from "../../spec/bank.js";
import { checkBank } from "./bank-loader.js";
import { BUILTIN_BANK } from "./builtin-bank.js";

const tasks = BUILTIN_BANK.tasks;

describe("the built-in bank", () => {
  it("passes the schema unchanged and every semantic check", () => {
    expect(TaskBankSchema.parse(BUILTIN_BANK)).toEqual(BUILTIN_BANK);
    expect(checkBank(BUILTIN_BANK, "builtin").problems).toEqual([]);
    expect(BUILTIN_BANK.name).toBe("orket-builtin");
    expect(BUILTIN_BANK.version).toBe("1");
  });

  it("has at least 40 tasks, roughly half Python and half TypeScript, and some JavaScript", () => {
    expect(tasks.length).toBeGreaterThanOrEqual(40);
    const count = (language: string) => tasks.filter((t) => t.language === language).length;
    expect(count("python")).toBeGreaterThanOrEqual(tasks.length * 0.4);
    expect(count("typescript")).toBeGreaterThanOrEqual(tasks.length * 0.35);
    expect(count("javascript")).toBeGreaterThanOrEqual(2);
  });

  it("covers tiers 1 to 4 in both main languages, programs in tier 4", () => {
    for (const tier of [1, 2, 3, 4]) {
      for (const language of ["python", "typescript"]) {
        expect(tasks.filter((t) => t.tier === tier && t.language === language).length).toBeGreaterThanOrEqual(
          3,
        );
      }
    }
    expect(tasks.filter((t) => t.tier === 4).every((t) => t.evaluation.kind === "cli")).toBe(true);
    expect(tasks.filter((t) => t.tier < 4).every((t) => t.evaluation.kind === "function")).toBe(true);
  });

  it("is ordered by tier, so low positions are the easy tasks", () => {
    const tiers = tasks.map((t) => t.tier);
    expect(tiers).toEqual([...tiers].sort((a, b) => a - b));
  });

  it("gives every task a signature, AST rules and at least three examples", () => {
    for (const task of tasks) {
      const where = task.id;
      expect(task.function_signature, where).not.toBe("");
      const rules = task.constraints.ast_rules.map((r) => r.rule);
      expect(rules, where).toContain("required_function_name");
      expect(rules, where).toContain("argument_count");
      if (task.language !== "javascript") expect(rules, where).toContain("return_type_annotation");
      expect(
        task.evaluation.kind === "test_program" ? 0 : task.evaluation.examples.length,
        where,
      ).toBeGreaterThanOrEqual(3);
    }
  });

  it("names a function whose signature and solution agree with the AST rules", () => {
    for (const task of tasks) {
      const nameRule = task.constraints.ast_rules.find((r) => r.rule === "required_function_name");
      const countRule = task.constraints.ast_rules.find((r) => r.rule === "argument_count");
      const name = nameRule?.rule === "required_function_name" ? nameRule.name : "";
      expect(task.function_signature, task.id).toContain(`${name}(`);
      expect(task.reference_solution, task.id).toContain(task.function_signature);
      const params = /\((.*)\)/.exec(task.function_signature)?.[1] ?? "";
      const count = params.trim() === "" ? 0 : splitTopLevel(params).length;
      expect(countRule?.rule === "argument_count" ? countRule.count : -1, task.id).toBe(count);
      if (task.evaluation.kind === "function") expect(task.evaluation.function_name, task.id).toBe(name);
    }
  });

  it("has unique ids that start with the language", () => {
    const prefix = { python: "py/", typescript: "ts/", javascript: "js/" } as const;
    expect(new Set(tasks.map((t) => t.id)).size).toBe(tasks.length);
    for (const task of tasks) expect(task.id.startsWith(prefix[task.language]), task.id).toBe(true);
  });

  it("has constraints beyond the AST rules on most tasks", () => {
    const withRegex = tasks.filter(
      (t) => t.constraints.regex_forbidden.length + t.constraints.regex_required.length > 0,
    );
    expect(withRegex.length).toBeGreaterThanOrEqual(tasks.length / 2);
  });

  it("does not forbid what its own reference solution contains", () => {
    for (const task of tasks) {
      for (const pattern of task.constraints.regex_forbidden) {
        expect(new RegExp(pattern, "m").test(task.reference_solution), `${task.id}: ${pattern}`).toBe(false);
      }
      for (const pattern of task.constraints.regex_required) {
        expect(new RegExp(pattern, "m").test(task.reference_solution), `${task.id}: ${pattern}`).toBe(true);
      }
    }
  });
});

/** Parameters split at commas outside brackets, so `Array<{ a: string; b: number }>` counts once. */
function splitTopLevel(params: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of params) {
    if ("([{<".includes(char)) depth++;
    if (")]}>".includes(char) && depth > 0) depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts.filter((p) => p.trim() !== "");
}
