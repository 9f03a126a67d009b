/**
 * The regex tier. Patterns are JavaScript regular expressions compiled with the `m` flag, so `^` and
 * `$` match at line boundaries. A pattern that does not compile is a failed check, never an exception:
 * a bad pattern in a bank must not crash a benchmark run.
 */
import type { ConstraintCheck } from "../spec/bank.js";

/** Beyond this many distinct patterns the cache starts over, bounding memory for untrusted banks. */
const CACHE_LIMIT = 1_000;

export type RegexRule = "regex_required" | "regex_forbidden";

/** Compiles each distinct pattern once. Patterns carry no `g` or `y` flag, so `test` keeps no state. */
export class RegexCache {
  readonly #compiled = new Map<string, RegExp | string>();

  /** The compiled pattern, or the compiler's message when it is invalid. */
  compile(pattern: string): RegExp | string {
    let entry = this.#compiled.get(pattern);
    if (entry === undefined) {
      try {
        entry = new RegExp(pattern, "m");
      } catch (error) {
        entry = error instanceof Error ? error.message : String(error);
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
    return { tier: "regex", rule, passed: false, detail: `invalid pattern: ${compiled}` };
  }
  const matched = compiled.test(code);
  return { tier: "regex", rule, passed: rule === "regex_required" ? matched : !matched, detail: pattern };
}
