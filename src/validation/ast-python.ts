/**
 * Top-level functions of a Python module (tree-sitter-python): `def` and `async def`, decorated or
 * not, in source order. Functions nested in classes, other functions or `if` blocks are not top-level;
 * lambdas bound to names are not `def`s and are not counted.
 */
import type { Node } from "web-tree-sitter";
import type { FunctionInfo } from "./function-info.js";

export function pythonFunctions(root: Node): FunctionInfo[] {
  const functions: FunctionInfo[] = [];
  for (let index = 0; index < root.namedChildCount; index++) {
    let node = root.namedChild(index);
    if (node?.type === "decorated_definition") node = node.childForFieldName("definition");
    if (node?.type === "function_definition") functions.push(describe(node));
  }
  return functions;
}

function describe(node: Node): FunctionInfo {
  const parameters = node.childForFieldName("parameters");
  return {
    name: node.childForFieldName("name")?.text ?? null,
    line: node.startPosition.row + 1,
    positionalParameters: parameters === null ? 0 : countPositional(parameters),
    returnType: node.childForFieldName("return_type")?.text ?? null,
  };
}

/**
 * Parameters before the first `*args`, bare `*` or `**kwargs`: the ones a caller may pass by position,
 * defaults and positional-only ones (before `/`) included. Everything after `*` is keyword-only.
 */
function countPositional(parameters: Node): number {
  let count = 0;
  for (let index = 0; index < parameters.namedChildCount; index++) {
    const parameter = parameters.namedChild(index);
    if (parameter === null) continue;
    switch (parameter.type) {
      case "list_splat_pattern":
      case "dictionary_splat_pattern":
      case "keyword_separator":
        return count;
      case "typed_parameter":
        // `*args: int` and `**kw: str` are typed parameters wrapping a splat.
        if (isSplat(parameter.firstNamedChild)) return count;
        count++;
        break;
      case "identifier":
      case "default_parameter":
      case "typed_default_parameter":
      case "tuple_pattern":
        count++;
        break;
      default:
        // `/` (positional_separator) and comments are not parameters.
        break;
    }
  }
  return count;
}

function isSplat(node: Node | null): boolean {
  return node?.type === "list_splat_pattern" || node?.type === "dictionary_splat_pattern";
}
