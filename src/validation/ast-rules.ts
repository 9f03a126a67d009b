/**
 * The AST tier's rules, applied to the top-level functions a language reader extracted. A rule that
 * names a function looks at the last top-level definition of that name, the one bound when the module
 * finishes loading; a rule without a name looks at the first top-level function in source order.
 */
import type { AstRule, ConstraintCheck, Language } from "../spec/bank.js";
import type { FunctionInfo } from "./function-info.js";

/** Names listed in a failure detail before the list is cut short. */
const LISTED_NAMES = 10;

export function checkAstRule(
  rule: AstRule,
  functions: readonly FunctionInfo[],
  language: Language,
): ConstraintCheck {
  switch (rule.rule) {
    case "required_function_name": {
      const found = findFunction(functions, rule.name);
      return found === undefined
        ? fail(rule.rule, `${missing(rule.name)} (${listNames(functions)})`)
        : pass(rule.rule, `found '${rule.name}' at line ${found.line}`);
    }
    case "argument_count": {
      const target = findFunction(functions, rule.function);
      if (target === undefined) return fail(rule.rule, missing(rule.function));
      const actual = target.positionalParameters;
      const has = `${label(target)} has ${actual} positional ${actual === 1 ? "parameter" : "parameters"}`;
      return actual === rule.count ? pass(rule.rule, has) : fail(rule.rule, `${has}, expected ${rule.count}`);
    }
    case "return_type_annotation": {
      // Plain JavaScript cannot annotate a return type (JSDoc is a comment, not syntax), so the rule can
      // never hold; failing it outright keeps the score the same whatever the code.
      if (language === "javascript") return fail(rule.rule, "javascript has no return type annotations");
      const target = findFunction(functions, rule.function);
      if (target === undefined) return fail(rule.rule, missing(rule.function));
      if (target.returnType === null)
        return fail(rule.rule, `${label(target)} has no return type annotation`);
      const returns = `${label(target)} returns '${collapse(target.returnType)}'`;
      if (rule.type === undefined || squeeze(rule.type) === squeeze(target.returnType)) {
        return pass(rule.rule, returns);
      }
      return fail(rule.rule, `${returns}, expected '${collapse(rule.type)}'`);
    }
  }
}

function findFunction(
  functions: readonly FunctionInfo[],
  name: string | undefined,
): FunctionInfo | undefined {
  return name === undefined ? functions[0] : functions.findLast((fn) => fn.name === name);
}

function missing(name: string | undefined): string {
  return name === undefined ? "no top-level function" : `no top-level function named '${name}'`;
}

function listNames(functions: readonly FunctionInfo[]): string {
  const names = functions.flatMap((fn) => (fn.name === null ? [] : [fn.name]));
  if (names.length === 0) return "none defined";
  const shown = names.slice(0, LISTED_NAMES).join(", ");
  return `defined: ${shown}${names.length > LISTED_NAMES ? `, and ${names.length - LISTED_NAMES} more` : ""}`;
}

function label(fn: FunctionInfo): string {
  return fn.name === null ? `the anonymous function at line ${fn.line}` : `'${fn.name}'`;
}

/** For display: one line, single spaces. */
function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** For comparison: whitespace ignored entirely. */
function squeeze(text: string): string {
  return text.replace(/\s+/g, "");
}

function pass(rule: string, detail: string): ConstraintCheck {
  return { tier: "ast", rule, passed: true, detail };
}

function fail(rule: string, detail: string): ConstraintCheck {
  return { tier: "ast", rule, passed: false, detail };
}
