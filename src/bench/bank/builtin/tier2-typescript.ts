/** Tier 2, TypeScript and JavaScript: data transforms over arrays, records and query strings. */
import type { Task } from "../../../spec/bank.js";
import { code, functionTask } from "./define.js";

export const TIER2_TYPESCRIPT: Task[] = [
  functionTask({
    id: "ts/sort-users",
    tier: 2,
    title: "Sort users by age, then name",
    language: "typescript",
    instruction:
      "Return the names of `users` ordered by age ascending, and by name for equal ages. Compare names by UTF-16 code units (like the `<` operator), not by locale. Do not change the input array.",
    signature: "function sortUsers(users: Array<{ name: string; age: number }>): string[]",
    name: "sortUsers",
    params: 1,
    returns: "string[]",
    forbidden: ["localeCompare"],
    examples: [
      [
        [
          [
            { name: "Cy", age: 30 },
            { name: "Al", age: 25 },
            { name: "Bo", age: 30 },
          ],
        ],
        ["Al", "Bo", "Cy"],
      ],
      [[[]], []],
      [
        [
          [
            { name: "b", age: 1 },
            { name: "B", age: 1 },
          ],
        ],
        ["B", "b"],
      ],
    ],
    solution: code`
function sortUsers(users: Array<{ name: string; age: number }>): string[] {
  return [...users]
    .sort((a, b) => a.age - b.age || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((user) => user.name);
}
`,
  }),
  functionTask({
    id: "ts/zip-to-object",
    tier: 2,
    title: "Zip keys and values into an object",
    language: "typescript",
    instruction:
      "Return an object that maps `keys[i]` to `values[i]` for every index both arrays have. When a key repeats, the later value wins.",
    signature: "function zipToObject(keys: string[], values: number[]): Record<string, number>",
    name: "zipToObject",
    params: 2,
    returns: "Record<string, number>",
    examples: [
      [
        [
          ["a", "b"],
          [1, 2],
        ],
        { a: 1, b: 2 },
      ],
      [[["a", "b", "c"], [1]], { a: 1 }],
      [[[], [1, 2]], {}],
      [
        [
          ["x", "y", "x"],
          [1, 2, 3],
        ],
        { x: 3, y: 2 },
      ],
    ],
    solution: code`
function zipToObject(keys: string[], values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  const length = Math.min(keys.length, values.length);
  for (let i = 0; i < length; i++) out[keys[i] as string] = values[i] as number;
  return out;
}
`,
  }),
  functionTask({
    id: "ts/transpose",
    tier: 2,
    title: "Transpose a matrix",
    language: "typescript",
    instruction:
      "Return the transpose of the rectangular `matrix` (rows become columns). A matrix with no rows, or with empty rows, transposes to [].",
    signature: "function transpose(matrix: number[][]): number[][]",
    name: "transpose",
    params: 1,
    returns: "number[][]",
    examples: [
      [[[]], []],
      [[[[1, 2, 3]]], [[1], [2], [3]]],
      [
        [
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
        ],
        [
          [1, 3, 5],
          [2, 4, 6],
        ],
      ],
      [[[[]]], []],
    ],
    solution: code`
function transpose(matrix: number[][]): number[][] {
  const columns = matrix[0]?.length ?? 0;
  const out: number[][] = [];
  for (let c = 0; c < columns; c++) out.push(matrix.map((row) => row[c] as number));
  return out;
}
`,
  }),
  functionTask({
    id: "ts/to-roman",
    tier: 2,
    title: "Integer to Roman numerals",
    language: "typescript",
    instruction:
      "Return the Roman numeral for `n` (1 <= n <= 3999), in standard subtractive form (4 is IV, 90 is XC).",
    signature: "function toRoman(n: number): string",
    name: "toRoman",
    params: 1,
    returns: "string",
    examples: [
      [[1], "I"],
      [[4], "IV"],
      [[9], "IX"],
      [[58], "LVIII"],
      [[1994], "MCMXCIV"],
      [[3999], "MMMCMXCIX"],
    ],
    solution: code`
const ROMAN: Array<[number, string]> = [
  [1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"],
  [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"],
];

function toRoman(n: number): string {
  let rest = n;
  let out = "";
  for (const [value, symbol] of ROMAN) {
    while (rest >= value) {
      out += symbol;
      rest -= value;
    }
  }
  return out;
}
`,
  }),
  functionTask({
    id: "ts/partition",
    tier: 2,
    title: "Partition around a pivot in one pass",
    language: "typescript",
    instruction:
      "Return a pair: the values below `pivot`, and the others, each in their original order. Make one pass over the array; do not use `filter`.",
    signature: "function partitionBy(values: number[], pivot: number): [number[], number[]]",
    name: "partitionBy",
    params: 2,
    returns: "[number[], number[]]",
    forbidden: ["\\.filter\\s*\\("],
    examples: [
      [
        [[5, 1, 7, 3, 5], 5],
        [
          [1, 3],
          [5, 7, 5],
        ],
      ],
      [
        [[], 0],
        [[], []],
      ],
      [
        [[1, 2], 0],
        [[], [1, 2]],
      ],
      [
        [[-1, -2], 0],
        [[-1, -2], []],
      ],
    ],
    solution: code`
function partitionBy(values: number[], pivot: number): [number[], number[]] {
  const below: number[] = [];
  const rest: number[] = [];
  for (const value of values) {
    if (value < pivot) below.push(value);
    else rest.push(value);
  }
  return [below, rest];
}
`,
  }),
  functionTask({
    id: "ts/parse-query",
    tier: 2,
    title: "Parse a query string",
    language: "typescript",
    instruction:
      'Parse a URL query string (an optional leading "?", then "&"-separated pairs). Split each pair at its first "="; a pair without "=" has the value "". Decode "+" as a space, then percent-escapes. Skip empty pairs. A key seen once maps to its string; a repeated key maps to the array of its values in order. Do not use `URLSearchParams` or the `querystring` module.',
    signature: "function parseQuery(query: string): Record<string, string | string[]>",
    name: "parseQuery",
    params: 1,
    returns: "Record<string, string | string[]>",
    forbidden: ["URLSearchParams", "querystring"],
    examples: [
      [["?a=1&b=2&a=3"], { a: ["1", "3"], b: "2" }],
      [[""], {}],
      [["name=Ada+Lovelace&city=L%C3%B8ndon"], { name: "Ada Lovelace", city: "Løndon" }],
      [["flag&x=&&y=1=2"], { flag: "", x: "", y: "1=2" }],
      [["?t=a&t=b&t=c"], { t: ["a", "b", "c"] }],
    ],
    solution: code`
function decodePart(text: string): string {
  return decodeURIComponent(text.split("+").join(" "));
}

function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const body = query.startsWith("?") ? query.slice(1) : query;
  for (const pair of body.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodePart(eq === -1 ? pair : pair.slice(0, eq));
    const value = decodePart(eq === -1 ? "" : pair.slice(eq + 1));
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}
`,
  }),
  functionTask({
    id: "js/count-leaves",
    tier: 2,
    title: "Count the leaves of a JSON value",
    language: "javascript",
    instruction:
      "Return how many leaves the JSON value `value` has: a number, string, boolean or null is one leaf; an array or object has the leaves of its elements or property values (none when it is empty).",
    signature: "function countLeaves(value)",
    name: "countLeaves",
    params: 1,
    examples: [
      [[1], 1],
      [[[]], 0],
      [[{}], 0],
      [[{ a: [1, 2, { b: null }], c: "x" }], 4],
      [[null], 1],
      [[[[[["deep"]]]]], 1],
    ],
    solution: code`
function countLeaves(value) {
  if (value === null || typeof value !== "object") return 1;
  const children = Array.isArray(value) ? value : Object.values(value);
  let total = 0;
  for (const child of children) total += countLeaves(child);
  return total;
}
`,
  }),
];
