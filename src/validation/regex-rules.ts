/**
 * The regex tier. Patterns are JavaScript regular expressions compiled with the `m` flag, so `^` and
 * `$` match at line boundaries. A pattern that does not compile is a failed check, never an exception:
 * a bad pattern in a bank must not crash a benchmark run. Nor hang it: a JavaScript regex cannot be
 * interrupted, and nested quantifiers such as `(a+)+$` take exponential time on a line that almost
 * matches, so a pattern with a star height over one (safe-regex2's test) is refused, here and when a
 * bank is loaded.
 */
import safeRegex from "safe-regex2";
import type { ConstraintCheck } from "../spec/bank.js";

/** Why `pattern` is refused as a constraint, or null when it compiles and runs in bounded time. */
export function patternProblem(pattern: string): string | null {
  try {
    new RegExp(pattern, "m");
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message}`;
  }
  return safeRegex(pattern) ? null : UNSAFE;
}

const UNSAFE =
  "nested quantifiers (such as (a+)+) can take exponential time to match; rewrite the pattern without a quantified group that is itself quantified";

/** Beyond this many distinct patterns the cache starts over, bounding memory for untrusted banks. */
const CACHE_LIMIT = 1_000;

export type RegexRule = "regex_required" | "regex_forbidden";

/** Compiles each distinct pattern once. Patterns carry no `g` or `y` flag, so `test` keeps no state. */
export class RegexCache {
  readonly #compiled = new Map<string, RegExp | string>();

  /** The compiled pattern, or why it is not used (invalid, or refused as unsafe). */
  compile(pattern: string): RegExp | string {
    let entry = this.#compiled.get(pattern);
    if (entry === undefined) {
      try {
        entry = new RegExp(pattern, "m");
        if (!safeRegex(pattern)) entry = `refused pattern: ${UNSAFE}`;
      } catch (error) {
        entry = `invalid pattern: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (this.#compiled.size >= CACHE_LIMIT) this.#compiled.clear();
      this.#compiled.set(pattern, entry);
    }
    return entry;
  }
}

export function checkRegex(
  rule: RegexRule,
  pattern: string,
  code: string,
  cache: RegexCache,
): ConstraintCheck {
  const compiled = cache.compile(pattern);
  if (typeof compiled === "string") {
    return { tier: "regex", rule, passed: false, detail: compiled };
  }
  const matched = compiled.test(code);
  return { tier: "regex", rule, passed: rule === "regex_required" ? matched : !matched, detail: pattern };
}
