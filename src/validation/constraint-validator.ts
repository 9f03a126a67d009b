/**
 * The ConstraintValidator: scores code against a task's constraints in two tiers. The regex tier runs
 * `regex_required` then `regex_forbidden` patterns over the raw text; the AST tier parses the code with
 * tree-sitter and applies `ast_rules` to its top-level functions. Checks come out in that order, one per
 * configured constraint, and the same input always yields the same result, details included.
 */

import type { Node } from "web-tree-sitter";
import { round3 } from "../core/shared/rounding.js";
import type { ConstraintCheck, Constraints, Language, ValidationResult } from "../spec/bank.js";
import { pythonFunctions } from "./ast-python.js";
import { checkAstRule } from "./ast-rules.js";
import { scriptFunctions } from "./ast-typescript.js";
import type { FunctionInfo } from "./function-info.js";
import { type Grammars, loadGrammars } from "./grammars.js";
import { checkRegex, RegexCache } from "./regex-rules.js";
import { describeSyntaxError } from "./syntax-error.js";

export interface ConstraintValidator {
  /**
   * Checks `code` against `constraints`. `adherence_score` is passed/total to 3 decimals, 1 when no
   * checks are configured, and null when `code` is null (no code was produced): then nothing is checked.
   * Code that does not parse fails each AST rule with rule `parseable`; its regex checks still run.
   */
  validate(code: string | null, language: Language, constraints: Constraints): ValidationResult;
}

/**
 * Makes a validator. The tree-sitter runtime and grammars load on the first call in a process and are
 * shared by every validator after it; they come from the installed packages, never the network.
 */
export async function createConstraintValidator(): Promise<ConstraintValidator> {
  const grammars = await loadGrammars();
  const regexes = new RegexCache();
  return {
    validate(code, language, constraints) {
      if (code === null) return { passed_checks: 0, total_checks: 0, adherence_score: null, checks: [] };
      const checks: ConstraintCheck[] = [
        ...constraints.regex_required.map((pattern) => checkRegex("regex_required", pattern, code, regexes)),
        ...constraints.regex_forbidden.map((pattern) =>
          checkRegex("regex_forbidden", pattern, code, regexes),
        ),
        ...astChecks(grammars, code, language, constraints),
      ];
      const passed = checks.filter((check) => check.passed).length;
      return {
        passed_checks: passed,
        total_checks: checks.length,
        adherence_score: checks.length === 0 ? 1 : round3(passed / checks.length),
        checks,
      };
    },
  };
}

/** Each language's reader of top-level functions; TypeScript's grammar extends JavaScript's. */
const READERS: Record<Language, (root: Node) => FunctionInfo[]> = {
  python: pythonFunctions,
  typescript: scriptFunctions,
  javascript: scriptFunctions,
};

function astChecks(
  grammars: Grammars,
  code: string,
  language: Language,
  constraints: Constraints,
): ConstraintCheck[] {
  const rules = constraints.ast_rules;
  // No AST rule, no parse: the regex tier alone should not pay for a tree.
  if (rules.length === 0) return [];
  const parsed = grammars.withTree(language, code, (root): FunctionInfo[] | string => {
    return describeSyntaxError(root, code) ?? READERS[language](root);
  });
  if (typeof parsed === "string") {
    return rules.map(() => ({ tier: "ast", rule: "parseable", passed: false, detail: parsed }));
  }
  return rules.map((rule) => checkAstRule(rule, parsed, language));
}
