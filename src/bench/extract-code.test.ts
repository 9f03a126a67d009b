import { describe, expect, it } from "vitest";
import { extractCode } from "./extract-code.js";

describe("extractCode", () => {
  it("takes the block in the task's language, preferring it over untagged and other languages", () => {
    const text =
      "Here:\n```bash\npip install x\n```\n```python\ndef f(x: int) -> int:\n    return x\n```\n```\nprint(1)\n```\n";
    expect(extractCode(text, "python")).toEqual({
      code: "def f(x: int) -> int:\n    return x\n",
      source: "fenced",
      reason: null,
    });
  });
  it("takes an untagged block, and the longest of several", () => {
    const text = "```\nx = 1\n```\nand\n```\ndef longer():\n    return 2\n```";
    expect(extractCode(text, "python").code).toBe("def longer():\n    return 2\n");
  });
  it("accepts ts/js tags and tildes", () => {
    expect(extractCode("~~~ts\nexport function f(): number { return 1; }\n~~~", "typescript").code).toBe(
      "export function f(): number { return 1; }\n",
    );
    expect(extractCode("```js\nfunction g() {}\n```", "javascript").source).toBe("fenced");
  });
  it("takes an answer that is code from its first line", () => {
    expect(extractCode("def f():\n    return 1\n\n", "python")).toEqual({
      code: "def f():\n    return 1\n",
      source: "raw",
      reason: null,
    });
    expect(extractCode("export function f() {}", "typescript").source).toBe("raw");
  });
  it("finds no code in prose, empty answers, or blocks of another language, and says why", () => {
    expect(extractCode("I cannot help with that.", "python")).toMatchObject({
      code: null,
      reason: "no fenced code block and the answer is not code",
    });
    expect(extractCode("   ", "python")).toMatchObject({ code: null, reason: "the answer was empty" });
    expect(extractCode("```bash\nls\n```", "python")).toMatchObject({
      code: null,
      reason: "only bash blocks, none in python",
    });
  });
  it("keeps nested backticks inside a longer fence", () => {
    const text = "````python\ns = '```'\n````";
    expect(extractCode(text, "python").code).toBe("s = '```'\n");
  });
});
