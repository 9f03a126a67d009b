import { describe, expect, it } from "vitest";
import { loadGrammars } from "./grammars.js";

describe("loadGrammars", () => {
  it("loads once per process", async () => {
    const [first, second] = await Promise.all([loadGrammars(), loadGrammars()]);
    expect(second).toBe(first);
    expect(await loadGrammars()).toBe(first);
  });

  it.each([
    ["python", "def f():\n    pass\n", "module"],
    ["typescript", "const x: number = 1;\n", "program"],
    ["javascript", "const x = <div />;\n", "program"],
  ] as const)("parses %s", async (language, code, rootType) => {
    const grammars = await loadGrammars();
    expect(grammars.withTree(language, code, (root) => [root.type, root.hasError])).toEqual([
      rootType,
      false,
    ]);
  });
});
