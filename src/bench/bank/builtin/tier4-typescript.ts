/** Tier 4, TypeScript and JavaScript: small command-line programs (stdin to stdout, arguments, exit codes). */
import type { Task } from "../../../spec/bank.js";
import { cliTask, code, JS_NO_SHELL } from "./define.js";

const MAIN = "function main(args: string[], input: string): number";

const READ_STDIN = `
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
});
process.stdin.on("end", () => {
  process.exitCode = main(process.argv.slice(2), input);
});
`;

export const TIER4_TYPESCRIPT: Task[] = [
  cliTask({
    id: "ts/cli-tac",
    tier: 4,
    title: "Print lines in reverse order",
    language: "typescript",
    instruction:
      'Print the lines of standard input in reverse order (a final newline does not make an extra empty line). With the argument `--skip-blank`, leave out lines that are empty or only whitespace. Any other argument: print "unknown argument: ARG" to stderr and exit with 2.',
    signature: MAIN,
    params: 2,
    returns: "number",
    forbidden: JS_NO_SHELL,
    examples: [
      { stdin: "a\nb\nc\n", stdout: "c\nb\na" },
      { stdin: "", stdout: "" },
      { args: ["--skip-blank"], stdin: "one\n  \ntwo", stdout: "two\none" },
      { args: ["-x"], stdin: "a\n", stdout: "", exit: 2 },
      { stdin: "x\n\ny\n", stdout: "y\n\nx" },
    ],
    solution: `${code`
function main(args: string[], input: string): number {
  const unknown = args.find((arg) => arg !== "--skip-blank");
  if (unknown !== undefined) {
    console.error("unknown argument: " + unknown);
    return 2;
  }
  const skipBlank = args.includes("--skip-blank");
  const lines = input === "" ? [] : input.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const line of lines.reverse()) {
    if (skipBlank && line.trim() === "") continue;
    console.log(line);
  }
  return 0;
}
`}${READ_STDIN}`,
  }),
  cliTask({
    id: "ts/cli-json-get",
    tier: 4,
    title: "Read a value out of JSON",
    language: "typescript",
    instruction:
      'Standard input is a JSON document; the one argument is a dotted path such as `user.langs.1` (a number indexes an array) or `.` for the whole document. Print the value at the path: a string as it is, anything else as compact JSON. When the path does not exist, print "not found: PATH" to stderr and exit with 1. When the input is not JSON, or there is not exactly one argument, print a message to stderr and exit with 2.',
    signature: MAIN,
    params: 2,
    returns: "number",
    forbidden: JS_NO_SHELL,
    examples: [
      { args: ["user.name"], stdin: '{"user":{"name":"Ada","langs":["en","fr"]}}', stdout: "Ada" },
      { args: ["user.langs.1"], stdin: '{"user":{"name":"Ada","langs":["en","fr"]}}', stdout: "fr" },
      {
        args: ["user"],
        stdin: '{"user": {"name": "Ada", "langs": ["en", "fr"]}}',
        stdout: '{"name":"Ada","langs":["en","fr"]}',
      },
      { args: ["user.age"], stdin: '{"user":{"name":"Ada"}}', stdout: "", exit: 1 },
      { args: ["x"], stdin: "{not json", stdout: "", exit: 2 },
      { args: ["."], stdin: "[1, 2]", stdout: "[1,2]" },
      { args: ["a"], stdin: '{"a":null}', stdout: "null" },
      { args: ["list.length"], stdin: '{"list":[1]}', stdout: "", exit: 1 },
    ],
    solution: `${code`
function main(args: string[], input: string): number {
  if (args.length !== 1) {
    console.error("usage: json-get PATH");
    return 2;
  }
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    console.error("invalid JSON on stdin");
    return 2;
  }
  const path = args[0] as string;
  for (const part of path === "." ? [] : path.split(".")) {
    const isIndex = Array.isArray(value) && /^\d+$/.test(part);
    const isKey = !Array.isArray(value) && value !== null && typeof value === "object";
    if ((isIndex || isKey) && Object.hasOwn(value as object, part)) {
      value = (value as Record<string, unknown>)[part];
    } else {
      console.error("not found: " + path);
      return 1;
    }
  }
  console.log(typeof value === "string" ? value : JSON.stringify(value));
  return 0;
}
`}${READ_STDIN}`,
  }),
  cliTask({
    id: "ts/cli-calc",
    tier: 4,
    title: "Command-line calculator",
    language: "typescript",
    instruction:
      'Usage: `calc A OP B`, where A and B are decimal numbers and OP is +, -, x (or *) or /. Print the result rounded to 6 decimal places, without trailing zeros (3.5, 0.333333, -42). Division by zero: print "division by zero" to stderr and exit with 3. A wrong number of arguments, a bad number or an unknown operator: print a message to stderr and exit with 2. Do not use `eval` or `Function`.',
    signature: MAIN,
    params: 2,
    returns: "number",
    forbidden: [...JS_NO_SHELL, "\\beval\\s*\\(", "\\bFunction\\s*\\("],
    examples: [
      { args: ["7", "/", "2"], stdout: "3.5" },
      { args: ["0.1", "+", "0.2"], stdout: "0.3" },
      { args: ["6", "x", "-7"], stdout: "-42" },
      { args: ["1", "/", "3"], stdout: "0.333333" },
      { args: ["1", "/", "0"], stdout: "", exit: 3 },
      { args: ["1", "%", "2"], stdout: "", exit: 2 },
      { args: ["a", "+", "1"], stdout: "", exit: 2 },
      { args: [], stdout: "", exit: 2 },
    ],
    solution: `${code`
function parseNumber(text: string): number | undefined {
  const value = Number(text);
  return text.trim() !== "" && Number.isFinite(value) ? value : undefined;
}

function main(args: string[], input: string): number {
  if (args.length !== 3) {
    console.error("usage: calc A OP B");
    return 2;
  }
  const [rawA, op, rawB] = args as [string, string, string];
  const a = parseNumber(rawA);
  const b = parseNumber(rawB);
  if (a === undefined || b === undefined) {
    console.error("not a number");
    return 2;
  }
  let result: number;
  if (op === "+") result = a + b;
  else if (op === "-") result = a - b;
  else if (op === "x" || op === "*") result = a * b;
  else if (op === "/") {
    if (b === 0) {
      console.error("division by zero");
      return 3;
    }
    result = a / b;
  } else {
    console.error("unknown operator: " + op);
    return 2;
  }
  console.log(String(Number(result.toFixed(6))));
  return 0;
}
`}${READ_STDIN}`,
  }),
  cliTask({
    id: "ts/cli-todo",
    tier: 4,
    title: "Summarise a Markdown checklist",
    language: "typescript",
    instruction:
      'Standard input is Markdown. Checklist items are lines that, after trimming, start with "- [x] " or "- [X] " (done) or "- [ ] " (open); other lines are ignored. Print "DONE/TOTAL done", then "[ ] TEXT" for every open item in order (TEXT is what follows the marker). With `--quiet` print only the first line. Exit with 0 when no item is open, 1 otherwise. Any other argument: print a message to stderr and exit with 2.',
    signature: MAIN,
    params: 2,
    returns: "number",
    forbidden: JS_NO_SHELL,
    examples: [
      {
        stdin: "# Plan\n- [x] write spec\n- [ ] write code\n- [X] review\n  - [ ] nested item\n",
        stdout: "2/4 done\n[ ] write code\n[ ] nested item",
        exit: 1,
      },
      { stdin: "- [x] only\n", stdout: "1/1 done" },
      { stdin: "", stdout: "0/0 done" },
      { args: ["--quiet"], stdin: "- [ ] a\n- [ ] b\n", stdout: "0/2 done", exit: 1 },
      { args: ["--loud"], stdin: "- [ ] a\n", stdout: "", exit: 2 },
    ],
    solution: `${code`
function main(args: string[], input: string): number {
  const unknown = args.find((arg) => arg !== "--quiet");
  if (unknown !== undefined) {
    console.error("unknown argument: " + unknown);
    return 2;
  }
  let done = 0;
  const open: string[] = [];
  for (const raw of input.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("- [x] ") || line.startsWith("- [X] ")) done++;
    else if (line.startsWith("- [ ] ")) open.push(line.slice("- [ ] ".length));
  }
  console.log(done + "/" + (done + open.length) + " done");
  if (!args.includes("--quiet")) for (const item of open) console.log("[ ] " + item);
  return open.length === 0 ? 0 : 1;
}
`}${READ_STDIN}`,
  }),
  cliTask({
    id: "js/cli-stats",
    tier: 4,
    title: "Summary statistics of numbers",
    language: "javascript",
    instruction:
      'Standard input holds numbers separated by whitespace. Print four lines: "count N", "min X", "max X" and "mean X", with the mean to exactly 2 decimals (numbers otherwise printed as JavaScript prints them). No numbers: print "no numbers" to stderr and exit with 1. A token that is not a finite number: print "bad number: TOKEN" to stderr and exit with 2. The program takes no arguments: with any, print a usage line to stderr and exit with 2.',
    signature: "function main(args, input)",
    params: 2,
    forbidden: JS_NO_SHELL,
    examples: [
      { stdin: "3 1 2\n10\n", stdout: "count 4\nmin 1\nmax 10\nmean 4.00" },
      { stdin: "-1.5 1.5", stdout: "count 2\nmin -1.5\nmax 1.5\nmean 0.00" },
      { stdin: "", stdout: "", exit: 1 },
      { stdin: "1 two 3", stdout: "", exit: 2 },
      { stdin: "7", stdout: "count 1\nmin 7\nmax 7\nmean 7.00" },
      { args: ["-v"], stdin: "1", stdout: "", exit: 2 },
    ],
    solution: `${code`
function main(args, input) {
  if (args.length > 0) {
    console.error("usage: stats < numbers");
    return 2;
  }
  const values = [];
  for (const token of input.split(/\s+/)) {
    if (token === "") continue;
    const value = Number(token);
    if (!Number.isFinite(value)) {
      console.error("bad number: " + token);
      return 2;
    }
    values.push(value);
  }
  if (values.length === 0) {
    console.error("no numbers");
    return 1;
  }
  const sum = values.reduce((total, value) => total + value, 0);
  console.log("count " + values.length);
  console.log("min " + Math.min(...values));
  console.log("max " + Math.max(...values));
  console.log("mean " + (sum / values.length).toFixed(2));
  return 0;
}
`}${READ_STDIN}`,
  }),
];
