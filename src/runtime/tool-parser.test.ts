import { describe, expect, it } from "vitest";
import type { ToolCallPart } from "../spec/model.js";
import type { ToolParseResult } from "../spec/tools.js";
import { parseToolCalls } from "./tool-parser.js";

// Answers below are modelled on what local coder models (Qwen2.5-Coder, Llama 3.1, Mistral, DeepSeek-Coder,
// small 1-3B models) write when a prompt asks for tool calls as JSON, including their usual mistakes.

const native = (toolName: string, args: string, toolCallId?: string): ToolCallPart => ({
  type: "tool-call",
  toolCallId,
  toolName,
  arguments: args,
});

const summary = (result: ToolParseResult) => result.calls.map((call) => [call.name, call.args, call.source]);
const reasons = (result: ToolParseResult) => result.failures.map((failure) => failure.reason);

const WRITE_FILE_ANSWER = [
  "I'll create the module with an `add` function.",
  "",
  "```json",
  '{"tool": "write_file", "args": {"path": "src/add.ts", "content": "export function add(a: number, b: number): number {\\n  const note = \\"}{ not a brace\\";\\n  return a + b; // {a} + {b}\\n}\\n"}}',
  "```",
  "",
  "Then I'll run the tests.",
].join("\n");

describe("parseToolCalls: the shapes models write", () => {
  it("reads a fenced write_file whose code holds braces, quotes and escaped newlines", () => {
    const result = parseToolCalls(WRITE_FILE_ANSWER);
    expect(result.failures).toEqual([]);
    expect(result.calls).toEqual([
      {
        id: "call_1",
        name: "write_file",
        source: "fenced",
        args: {
          path: "src/add.ts",
          content:
            'export function add(a: number, b: number): number {\n  const note = "}{ not a brace";\n  return a + b; // {a} + {b}\n}\n',
        },
      },
    ]);
  });

  it("reads {name, arguments} bare in prose", () => {
    const text =
      'Let me look at the file first. {"name": "read_file", "arguments": {"path": "package.json"}} I will wait.';
    expect(summary(parseToolCalls(text))).toEqual([["read_file", { path: "package.json" }, "bare"]]);
  });

  it("reads arguments given as a JSON string", () => {
    const text =
      '{"name": "write_file", "arguments": "{\\"path\\": \\"a.py\\", \\"content\\": \\"x = {1: 2}\\\\n\\"}"}';
    expect(summary(parseToolCalls(text))).toEqual([
      ["write_file", { path: "a.py", content: "x = {1: 2}\n" }, "bare"],
    ]);
  });

  it("reads Llama 3.1's {name, parameters} after <|python_tag|>", () => {
    const text =
      '<|python_tag|>{"name": "search_code", "parameters": {"query": "def main", "max_results": 5}}<|eom_id|>';
    expect(summary(parseToolCalls(text))).toEqual([
      ["search_code", { query: "def main", max_results: 5 }, "bare"],
    ]);
  });

  it("reads {function: {name, arguments}} and OpenAI's {type: function, function} (its id is not used)", () => {
    const text = [
      '{"function": {"name": "list_dir", "arguments": {"path": "."}}}',
      '{"id": "call_abc123", "type": "function", "function": {"name": "read_file", "arguments": "{\\"path\\":\\"README.md\\"}"}}',
      '{"function": "run_tests", "arguments": {}}',
    ].join("\n");
    const result = parseToolCalls(text);
    expect(summary(result)).toEqual([
      ["list_dir", { path: "." }, "bare"],
      ["read_file", { path: "README.md" }, "bare"],
      ["run_tests", {}, "bare"],
    ]);
    expect(result.calls.map((call) => call.id)).toEqual(["call_1", "call_2", "call_3"]);
  });

  it("reads {tool_calls: [...]} holding any of the shapes, nested tool_calls included", () => {
    const text = JSON.stringify(
      {
        tool_calls: [
          { type: "function", function: { name: "read_file", arguments: '{"path": "a.ts"}' } },
          { name: "read_file", parameters: { path: "b.ts" } },
          { tool_calls: [{ tool: "run_tests", args: { filter: "add" } }] },
        ],
      },
      null,
      2,
    );
    expect(summary(parseToolCalls(text))).toEqual([
      ["read_file", { path: "a.ts" }, "bare"],
      ["read_file", { path: "b.ts" }, "bare"],
      ["run_tests", { filter: "add" }, "bare"],
    ]);
  });

  it("reads a top-level array of calls (Mistral's [TOOL_CALLS])", () => {
    const text =
      '[TOOL_CALLS] [{"name": "read_file", "arguments": {"path": "a.py"}}, {"name": "read_file", "arguments": {"path": "b.py"}}]';
    expect(summary(parseToolCalls(text))).toEqual([
      ["read_file", { path: "a.py" }, "bare"],
      ["read_file", { path: "b.py" }, "bare"],
    ]);
  });

  it("reads Qwen/Hermes <tool_call> tags, one left open at the end included", () => {
    const text = [
      "<tool_call>",
      '{"name": "write_file", "arguments": {"path": "a.txt", "content": "<tool_call> in a string"}}',
      "</tool_call>",
      "<tool_call>",
      '{"name": "run_tests", "arguments": {}}',
    ].join("\n");
    expect(summary(parseToolCalls(text))).toEqual([
      ["write_file", { path: "a.txt", content: "<tool_call> in a string" }, "fenced"],
      ["run_tests", {}, "fenced"],
    ]);
  });

  it("reads ```tool_call, ```tool and untagged fences, and JSON fenced inside <tool_call>", () => {
    const text = [
      "```tool_call",
      '{"name": "list_dir"}',
      "```",
      "```tool",
      '{"tool": "read_file", "args": {"path": "x"}}',
      "```",
      "```",
      'Calling: {"tool": "run_tests"}',
      "```",
      "<tool_call>",
      "```json",
      '{"name": "read_file", "arguments": {"path": "y"}}',
      "```",
      "</tool_call>",
    ].join("\n");
    expect(summary(parseToolCalls(text))).toEqual([
      ["list_dir", {}, "fenced"],
      ["read_file", { path: "x" }, "fenced"],
      ["run_tests", {}, "fenced"],
      ["read_file", { path: "y" }, "fenced"],
    ]);
  });

  it("keeps several calls in their order of appearance across fences, prose and tags", () => {
    const text = [
      'First {"tool": "read_file", "args": {"path": "1"}} then:',
      "```json",
      '{"tool": "read_file", "args": {"path": "2"}}',
      '{"tool": "read_file", "args": {"path": "3"}}',
      "```",
      '<tool_call>{"name": "read_file", "arguments": {"path": "4"}}</tool_call>',
      'and last {"name": "read_file", "arguments": {"path": "5"}}.',
    ].join("\n");
    const result = parseToolCalls(text);
    expect(result.calls.map((call) => call.args.path)).toEqual(["1", "2", "3", "4", "5"]);
    expect(result.calls.map((call) => call.id)).toEqual(["call_1", "call_2", "call_3", "call_4", "call_5"]);
    expect(result.calls.map((call) => call.source)).toEqual(["bare", "fenced", "fenced", "fenced", "bare"]);
  });

  it("keeps raw newlines in strings and a ``` line inside a fenced file's content", () => {
    const text = [
      "```json",
      '{"tool": "write_file", "args": {"path": "README.md", "content": "# Adder',
      "",
      "```bash",
      "npm test",
      "```",
      '"}}',
      "```",
      'Now {"tool": "run_tests"}',
    ].join("\n");
    const result = parseToolCalls(text);
    expect(result.failures).toEqual([]);
    expect(summary(result)).toEqual([
      ["write_file", { path: "README.md", content: "# Adder\n\n```bash\nnpm test\n```\n" }, "fenced"],
      ["run_tests", {}, "bare"],
    ]);
  });

  it("accepts a fence closed on the JSON's own line and CRLF line ends", () => {
    const text =
      '```json\r\n{"tool": "read_file", "args": {"path": "a"}}```\r\nthen {"tool": "run_tests"}\r\n';
    expect(summary(parseToolCalls(text))).toEqual([
      ["read_file", { path: "a" }, "fenced"],
      ["run_tests", {}, "bare"],
    ]);
  });

  it("reads a call whose fence was never closed (the stop sequence cut it)", () => {
    const text = 'Here:\n```json\n{"tool": "write_file", "args": {"path": "a.py", "content": "pass\\n"}}\n';
    const result = parseToolCalls(text);
    expect(result.failures).toEqual([]);
    expect(summary(result)).toEqual([["write_file", { path: "a.py", content: "pass\n" }, "fenced"]]);
  });
});

describe("parseToolCalls: what is not a call", () => {
  it("ignores JSON that is not a call, in prose and in ```json fences", () => {
    const text = [
      'The config {"a": 1} sets a; an empty {} changes nothing; [1, 2, {"b": [3]}] is a list.',
      "```json",
      '{"name": "my-app", "version": "1.0.0", "scripts": {"test": "vitest"}}',
      "```",
      'Use {braces} and {"key": value} placeholders.',
    ].join("\n");
    expect(parseToolCalls(text)).toEqual({ calls: [], failures: [] });
  });

  it("ignores calls inside code fences of a programming language", () => {
    const text = [
      "```python",
      'payload = {"tool": "delete_everything", "args": {}}',
      'broken = {"tool": "x", "args": {"a": 1,}}',
      "```",
      "```ts",
      'const call = {"name": "rm", "arguments": {"path": "/"}};',
      "```",
    ].join("\n");
    expect(parseToolCalls(text)).toEqual({ calls: [], failures: [] });
  });

  it("ignores echoed tool definitions outside a tool-call block", () => {
    const text = JSON.stringify([
      {
        type: "function",
        function: {
          name: "write_file",
          description: "Write a file.",
          parameters: { type: "object", properties: { path: { type: "string" } } },
        },
      },
    ]);
    expect(parseToolCalls(text)).toEqual({ calls: [], failures: [] });
  });
});

describe("parseToolCalls: failures, with reasons", () => {
  it("reports a ```json fence whose content is not JSON, with the offset", () => {
    const text = '```json\n{"tool": "write_file", "args": {"path": "a.py" "content": "x"}}\n```';
    const result = parseToolCalls(text);
    expect(result.calls).toEqual([]);
    expect(result.failures).toEqual([
      {
        excerpt: '{"tool": "write_file", "args": {"path": "a.py" "content": "x"}}\n',
        reason: `invalid JSON at offset 47: expected ',' or '}' after a property value, found "\\""`,
      },
    ]);
  });

  it("records trailing commas and // comments as failures instead of guessing", () => {
    const sloppy = '{"tool": "read_file", "args": {"path": "a",},}';
    const trailing = parseToolCalls(sloppy);
    expect(trailing.calls).toEqual([]);
    expect(reasons(trailing)).toEqual([
      `invalid JSON at offset ${sloppy.indexOf(",}") + 1}: trailing comma before '}'`,
    ]);

    const commented = parseToolCalls(
      '```json\n{\n  // read it first\n  "tool": "read_file",\n  "args": {"path": "a"}\n}\n```',
    );
    expect(commented.calls).toEqual([]);
    expect(reasons(commented)).toEqual(["invalid JSON at offset 4: comments are not allowed in JSON"]);

    const after = parseToolCalls('```json\n{"tool": "run_tests"} // runs everything\n```');
    expect(summary(after)).toEqual([["run_tests", {}, "fenced"]]);
    expect(reasons(after)).toEqual(["invalid JSON at offset 0: comments are not allowed in JSON"]);
  });

  it("reports a call without a usable name", () => {
    const text = [
      '{"tool": "", "args": {}}',
      '{"function": {"arguments": {"path": "a"}}}',
      '{"name": 42, "arguments": {}}',
      '{"tool_calls": [{"arguments": {"x": 1}}]}',
    ].join("\n");
    const result = parseToolCalls(text);
    expect(result.calls).toEqual([]);
    expect(reasons(result)).toEqual(Array(4).fill("tool call has no name"));
    expect(result.failures[3]?.excerpt).toBe('{"arguments": {"x": 1}}');
  });

  it("reports arguments that are not an object", () => {
    const text = [
      '{"tool": "read_file", "args": ["a.py"]}',
      '{"name": "read_file", "arguments": "a.py"}',
      '{"name": "read_file", "arguments": "[\\"a.py\\"]"}',
      '{"name": "read_file", "arguments": "{\\"path\\": \\"a.py\\""}',
    ].join("\n");
    expect(reasons(parseToolCalls(text))).toEqual([
      "arguments is not an object (found an array)",
      `arguments string is not valid JSON: invalid JSON at offset 0: expected a JSON value, found "a"`,
      "arguments is not an object (found an array)",
      "arguments string is not valid JSON: unterminated JSON object",
    ]);
  });

  it("reports an object cut off mid-call as unterminated, and keeps reading after a broken call", () => {
    const cut = parseToolCalls(
      'Writing now: {"tool": "write_file", "args": {"path": "a.py", "content": "def f():\\n',
    );
    expect(cut.calls).toEqual([]);
    expect(reasons(cut)).toEqual(["unterminated JSON object (the text ends inside a string)"]);

    const fenced = parseToolCalls('```json\n{"name": "write_file", "arguments": {"path": "a.py"');
    expect(reasons(fenced)).toEqual(["unterminated JSON object"]);

    const then = parseToolCalls('{"tool": "read_file", "args": {"path": "a"} oops\n{"tool": "run_tests"}');
    expect(summary(then)).toEqual([["run_tests", {}, "bare"]]);
    expect(reasons(then)).toEqual([
      `invalid JSON at offset 44: expected ',' or '}' after a property value, found "o"`,
    ]);
  });

  it("blames the broken call inside a wrapper, and still reads calls from a wrapper left open", () => {
    const action = '{"tool": "read_file", "args": {"path": "a",}}';
    const inner = parseToolCalls(`{"thought": "read it", "action": ${action}}`);
    expect(inner.calls).toEqual([]);
    expect(inner.failures).toEqual([
      {
        excerpt: `${action}}`,
        reason: `invalid JSON at offset ${action.indexOf(",}") + 1}: trailing comma before '}'`,
      },
    ]);

    const open = parseToolCalls(
      '{"thought": "read it", "action": {"tool": "read_file", "args": {"path": "a"}}',
    );
    expect(summary(open)).toEqual([["read_file", { path: "a" }, "bare"]]);
    expect(open.failures).toEqual([]);
  });

  it("explains Python-style dicts and literals", () => {
    expect(reasons(parseToolCalls("{'tool': 'read_file', 'args': {'path': 'a'}}"))).toEqual([
      `invalid JSON at offset 1: property names must be in double quotes, found "'"`,
    ]);
    const python = '{"tool": "run_tests", "args": {"verbose": True}}';
    expect(reasons(parseToolCalls(`\`\`\`json\n${python}\n\`\`\``))).toEqual([
      `invalid JSON at offset ${python.indexOf("True")}: Python's True is not JSON`,
    ]);
  });

  it("reports what a <tool_call> block holds when it is not a JSON call", () => {
    const text = [
      "<tool_call>\n<function=read_file>\n<parameter=path>a.py</parameter>\n</function>\n</tool_call>",
      "<tool_call>\n</tool_call>",
      '<tool_call>"read_file"</tool_call>',
      '<tool_call>{"path": "a.py"}</tool_call>',
    ].join("\n");
    expect(reasons(parseToolCalls(text))).toEqual([
      `invalid JSON at offset 0: expected a JSON value, found "<"`,
      "empty tool call block: no JSON in it",
      "expected a tool call object, found a string",
      "tool call has no name",
    ]);
  });

  it("reports tool_calls that is not an array, ambiguous arguments and bad entries", () => {
    const text = [
      '{"tool_calls": {"name": "read_file"}}',
      '{"tool": "read_file", "args": {"path": "a"}, "arguments": {"path": "b"}}',
      '{"tool_calls": ["read_file"]}',
    ].join("\n");
    expect(reasons(parseToolCalls(text))).toEqual([
      "tool_calls is not an array",
      'ambiguous arguments: "arguments" and "args" are both set',
      "tool_calls entry 0 is not an object",
    ]);
  });

  it("keeps excerpts to 200 characters", () => {
    const call = `{"tool": "write_file", "args": {"path": "a", "content": "${"x".repeat(5_000)}",}}`;
    const result = parseToolCalls(`Writing it now.\n${call}`);
    expect(result.failures).toEqual([
      {
        excerpt: call.slice(0, 200),
        reason: `invalid JSON at offset ${call.indexOf(",}") + 1}: trailing comma before '}'`,
      },
    ]);
  });
});

describe("parseToolCalls: native calls", () => {
  it("puts native calls first with the backend's ids, and numbers the others by position", () => {
    const result = parseToolCalls('Also {"tool": "run_tests"}', [
      native("read_file", '{"path": "a.py"}', "call_k2jd7x1o"),
      native("list_dir", '{"path": "."}'),
    ]);
    expect(result.calls).toEqual([
      { id: "call_k2jd7x1o", name: "read_file", args: { path: "a.py" }, source: "native" },
      { id: "call_2", name: "list_dir", args: { path: "." }, source: "native" },
      { id: "call_3", name: "run_tests", args: {}, source: "bare" },
    ]);
  });

  it("does not duplicate a text call equal to a native one (same name, canonical arguments)", () => {
    const text = [
      "<tool_call>",
      '{"name": "write_file", "arguments": {"content": "x", "path": "a.py"}}',
      "</tool_call>",
      '{"name": "write_file", "arguments": {"path": "b.py", "content": "x"}}',
    ].join("\n");
    const result = parseToolCalls(text, [native("write_file", '{ "path": "a.py", "content": "x" }', "t1")]);
    expect(result.calls.map((call) => [call.id, call.args.path, call.source])).toEqual([
      ["t1", "a.py", "native"],
      ["call_2", "b.py", "bare"],
    ]);
    // One native call absorbs one echo: a second identical text call is a second call.
    const twice = parseToolCalls('{"tool": "run_tests"} {"tool": "run_tests"}', [native("run_tests", "{}")]);
    expect(twice.calls.map((call) => call.source)).toEqual(["native", "bare"]);
  });

  it("reports native arguments that are not a JSON object, and takes empty ones as {}", () => {
    const result = parseToolCalls("", [
      native("read_file", '{"path": "a.py"'),
      native("read_file", '["a.py"]'),
      native("run_tests", ""),
      native("", "{}"),
      native("read_file", '{"path": "a"} trailing'),
    ]);
    expect(result.calls).toEqual([{ id: "call_1", name: "run_tests", args: {}, source: "native" }]);
    expect(result.failures).toEqual([
      {
        excerpt: 'read_file({"path": "a.py")',
        reason: "arguments string is not valid JSON: unterminated JSON object",
      },
      { excerpt: 'read_file(["a.py"])', reason: "arguments is not an object (found an array)" },
      { excerpt: "({})", reason: "tool call has no name" },
      {
        excerpt: 'read_file({"path": "a"} trailing)',
        reason: `arguments string is not valid JSON: invalid JSON at offset 14: unexpected text after the JSON value, found "t"`,
      },
    ]);
  });

  it("never gives a text call an id a native call already has", () => {
    const result = parseToolCalls('{"tool": "run_tests"}', [native("read_file", "{}", "call_2")]);
    expect(result.calls.map((call) => call.id)).toEqual(["call_2", "call_2_2"]);
  });
});

describe("parseToolCalls: robustness", () => {
  it("survives noise and random bytes, deterministically", () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = '{}[]"\\:,`<>/\n tool_call name args 0123456789 truefalsenull';
    for (let round = 0; round < 50; round++) {
      const bytes = Array.from({ length: 2_000 }, () =>
        random() < 0.5
          ? String.fromCharCode(Math.floor(random() * 0x10000))
          : (alphabet[Math.floor(random() * alphabet.length)] ?? ""),
      ).join("");
      const first = parseToolCalls(bytes);
      expect(parseToolCalls(bytes)).toEqual(first);
      for (const failure of first.failures) expect(failure.excerpt.length).toBeLessThanOrEqual(200);
    }
  });

  it("gives the same result for the same input, every time", () => {
    const text = `${WRITE_FILE_ANSWER}\n{"tool": "run_tests", "args": {"a": 1,}}\n<tool_call>{"name": "x"}</tool_call>`;
    const runs = Array.from({ length: 5 }, () => JSON.stringify(parseToolCalls(text, [native("x", "{}")])));
    expect(new Set(runs).size).toBe(1);
  });

  it("keeps a __proto__ key as data, not as a prototype", () => {
    const result = parseToolCalls(
      '{"tool": "write_file", "args": {"__proto__": {"polluted": true}, "path": "a"}}',
    );
    const args = result.calls[0]?.args ?? {};
    expect(Object.keys(args)).toEqual(["__proto__", "path"]);
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("does not overflow on deep nesting", () => {
    const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    expect(parseToolCalls(deep)).toEqual({ calls: [], failures: [] });
    const deepCall = `{"tool": "x", "args": ${"[".repeat(200)}${"]".repeat(200)}}`;
    expect(reasons(parseToolCalls(deepCall))).toEqual([
      `invalid JSON at offset ${deepCall.indexOf("[") + 99}: JSON nested deeper than 100 levels`,
    ]);
  });
});

describe("parseToolCalls: ~1 MB answers", () => {
  // Speed is measured in perf/tool-parser.ts, not here. These tests check the answers on megabyte
  // inputs; a quadratic scan would run into the test timeout long before finishing them.
  const MB = 1_000_000;
  const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  const CALL = String.raw`{"tool": "write_file", "args": {"path": "a.ts", "content": "const o = {a: 1, b: \"}\"};\n"}}`;

  it("reads every call of a realistic ~1 MB answer", () => {
    const unit = `Some prose about {braces} and "quotes". ${CALL}\n\`\`\`json\n${CALL}\n\`\`\`\n`;
    // Whole units, so that no call is cut at the end.
    const units = Math.round(MB / unit.length);
    const result = parseToolCalls(unit.repeat(units));
    expect(result.calls).toHaveLength(2 * units);
    expect(result.failures).toEqual([]);
  });

  it("gets through ~1 MB of adversarial input with bounded failures", () => {
    const inputs = {
      cutOff: `{"tool": "write_file", "args": {"content": "${"a".repeat(MB)}`,
      openBraces: "{".repeat(MB),
      openKeys: fill('{"a":'),
      openCalls: fill('{"tool": "x'),
      openTags: fill('<tool_call>{"name": "a"\n'),
      openFences: fill('```json\n{"tool": "a", "args": {"c": "x\n```\n'),
      deepToolCalls: fill('{"tool_calls": ['),
    };
    const hugeFile = `{"tool": "write_file", "args": {"content": "${String.raw`line {x}\n\"q\"`.repeat(MB / 16)}"}}`;
    expect(parseToolCalls(hugeFile).calls).toHaveLength(1);
    for (const [name, text] of Object.entries(inputs)) {
      const result = parseToolCalls(text);
      for (const failure of result.failures) expect(failure.excerpt.length, name).toBeLessThanOrEqual(200);
    }
  });
});
