/**
 * Locates the first syntax error of a tree-sitter tree and describes it in one deterministic line:
 * `line N: syntax error near "<source>"`, with `(missing "<token>")` added when the parser recovered by
 * inventing a token. "Parses" means the tree-sitter grammar accepts the code, which is a little more
 * lenient than the real compilers in places (tree-sitter-python accepts a `def` whose body is missing
 * at the end of the file), but is the same answer for the same input on every machine.
 */
import type { Node } from "web-tree-sitter";

const SNIPPET_LENGTH = 40;

/** The description of the first ERROR or MISSING node in document order, or null when there is none. */
export function describeSyntaxError(root: Node, code: string): string | null {
  const node = firstErrorNode(root);
  if (node === null) return null;
  const row = node.startPosition.row;
  // A MISSING node has no text of its own; the line it sits on is what a reader needs to see.
  const source = node.isMissing ? (code.split("\n")[row] ?? "") : firstLine(node.text);
  const near = snippet(source, node.startIndex >= code.trimEnd().length);
  const missing = node.isMissing ? ` (missing ${JSON.stringify(node.type)})` : "";
  return `line ${row + 1}: syntax error near ${near}${missing}`;
}

function firstErrorNode(root: Node): Node | null {
  if (!root.hasError) return null;
  let node = root;
  // `hasError` holds for a node whose subtree contains an error, so following the first such child
  // reaches the earliest error without visiting the rest of the tree.
  descend: for (;;) {
    if (node.isError || node.isMissing) return node;
    for (let index = 0; index < node.childCount; index++) {
      const child = node.child(index);
      if (child?.hasError) {
        node = child;
        continue descend;
      }
    }
    return node;
  }
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "") ?? "";
}

function snippet(text: string, atEnd: boolean): string {
  const trimmed = text.trim();
  if (trimmed === "" && atEnd) return "end of input";
  const short = trimmed.length > SNIPPET_LENGTH ? `${trimmed.slice(0, SNIPPET_LENGTH)}...` : trimmed;
  return JSON.stringify(short);
}
