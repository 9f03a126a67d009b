/**
 * Top-level functions of a TypeScript or JavaScript module, in source order. The TypeScript grammar
 * extends the JavaScript one, so one reader serves both. Counted: `function` and `function*`
 * declarations and functions bound by `const`/`let`/`var` to an arrow function, function expression or
 * generator, each exported or not, plus an anonymous `export default` function (name null). Overload
 * signatures and `declare function` have no body and are not functions here; the implementation is.
 */
import type { Node } from "web-tree-sitter";
import type { FunctionInfo } from "./function-info.js";

const DECLARATIONS = new Set(["function_declaration", "generator_function_declaration"]);
const EXPRESSIONS = new Set(["arrow_function", "function_expression", "generator_function"]);
/** Wrappers that leave the function itself as the bound value: `(x => x)`, `f as Fn`, `f satisfies Fn`. */
const WRAPPERS = new Set(["parenthesized_expression", "as_expression", "satisfies_expression"]);

export function scriptFunctions(root: Node): FunctionInfo[] {
  const functions: FunctionInfo[] = [];
  for (let index = 0; index < root.namedChildCount; index++) {
    const statement = root.namedChild(index);
    if (statement === null) continue;
    if (statement.type === "export_statement") {
      const declaration = statement.childForFieldName("declaration");
      if (declaration !== null) collect(declaration, functions);
      const value = unwrap(statement.childForFieldName("value"));
      if (value !== null && EXPRESSIONS.has(value.type)) functions.push(describe(value, nameOf(value)));
    } else {
      collect(statement, functions);
    }
  }
  return functions;
}

function collect(statement: Node, functions: FunctionInfo[]): void {
  if (DECLARATIONS.has(statement.type)) {
    functions.push(describe(statement, nameOf(statement)));
    return;
  }
  if (statement.type !== "lexical_declaration" && statement.type !== "variable_declaration") return;
  for (let index = 0; index < statement.namedChildCount; index++) {
    const declarator = statement.namedChild(index);
    if (declarator?.type !== "variable_declarator") continue;
    const name = declarator.childForFieldName("name");
    const value = unwrap(declarator.childForFieldName("value"));
    // A destructuring pattern binds no single name, so it declares no named function.
    if (name?.type === "identifier" && value !== null && EXPRESSIONS.has(value.type)) {
      functions.push(describe(value, name.text));
    }
  }
}

function unwrap(node: Node | null): Node | null {
  let current = node;
  while (current !== null && WRAPPERS.has(current.type)) current = current.firstNamedChild;
  return current;
}

function nameOf(node: Node): string | null {
  return node.childForFieldName("name")?.text ?? null;
}

function describe(node: Node, name: string | null): FunctionInfo {
  const returnType = node.childForFieldName("return_type");
  return {
    name,
    line: node.startPosition.row + 1,
    positionalParameters: countPositional(node),
    // The annotation node spans the leading `:`; a type predicate (`x is T`) or `asserts x` stays whole.
    returnType: returnType === null ? null : returnType.text.replace(/^\s*:/, "").trim(),
  };
}

/** Parameters other than a rest parameter, comments and TypeScript's `this` pseudo-parameter. */
function countPositional(fn: Node): number {
  // `x => x` has a single `parameter` instead of a `formal_parameters` list.
  if (fn.childForFieldName("parameter") !== null) return 1;
  const parameters = fn.childForFieldName("parameters");
  if (parameters === null) return 0;
  let count = 0;
  for (let index = 0; index < parameters.namedChildCount; index++) {
    const parameter = parameters.namedChild(index);
    if (parameter === null || parameter.type === "comment" || parameter.type === "rest_pattern") continue;
    if (parameter.type === "required_parameter" || parameter.type === "optional_parameter") {
      const pattern = parameter.childForFieldName("pattern");
      if (pattern?.type === "rest_pattern" || pattern?.type === "this") continue;
    }
    count++;
  }
  return count;
}
