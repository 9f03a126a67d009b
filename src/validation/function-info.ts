/**
 * What the AST rules need to know about one top-level function, extracted per language so that the
 * rules themselves are language-independent.
 */
export interface FunctionInfo {
  /** Null for an anonymous function, such as `export default function () {}`. */
  name: string | null;
  /** 1-based line of the definition. */
  line: number;
  /** Parameters that can be passed by position: no rest parameter, `*args`, `**kwargs` or keyword-only. */
  positionalParameters: number;
  /** The annotation's text without its `:` or `->`; null when the function has none. */
  returnType: string | null;
}
