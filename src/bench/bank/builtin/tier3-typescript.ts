/** Tier 3, TypeScript and JavaScript: small algorithms (search, parsing, caches, layout, templates). */
import type { Task } from "../../../spec/bank.js";
import { code, functionTask } from "./define.js";

export const TIER3_TYPESCRIPT: Task[] = [
  functionTask({
    id: "ts/search-insert",
    tier: 3,
    title: "Binary search for the insertion point",
    language: "typescript",
    instruction:
      "`sorted` is sorted ascending and may contain duplicates. Return the smallest index at which `target` could be inserted keeping it sorted (the index of its first occurrence when present). Use binary search, in O(log n): no `indexOf` or `findIndex`.",
    signature: "function searchInsert(sorted: number[], target: number): number",
    name: "searchInsert",
    params: 2,
    returns: "number",
    forbidden: ["\\.indexOf\\s*\\(", "\\.findIndex\\s*\\("],
    examples: [
      [[[1, 3, 5, 6], 5], 2],
      [[[1, 3, 5, 6], 2], 1],
      [[[1, 3, 5, 6], 7], 4],
      [[[], 3], 0],
      [[[1, 2, 2, 2, 3], 2], 1],
      [[[4, 5], -10], 0],
    ],
    solution: code`
function searchInsert(sorted: number[], target: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) < target) low = mid + 1;
    else high = mid;
  }
  return low;
}
`,
  }),
  functionTask({
    id: "ts/parse-duration",
    tier: 3,
    title: "Parse a compact duration",
    language: "typescript",
    instruction:
      'Parse a duration such as "1h30m" into seconds. It is one or more groups of digits followed by a unit: d (86400 s), h (3600 s), m (60 s) or s. Units appear at most once each and in the order d, h, m, s; nothing else is allowed (no spaces). Return -1 for anything that does not follow these rules, including the empty string. Parse by hand, without regular expressions.',
    signature: "function parseDuration(text: string): number",
    name: "parseDuration",
    params: 1,
    returns: "number",
    forbidden: ["RegExp", "\\.(match|matchAll|exec|test)\\s*\\("],
    examples: [
      [["1h30m"], 5400],
      [["45s"], 45],
      [["2h"], 7200],
      [["1d2h3m4s"], 93784],
      [[""], -1],
      [["30m1h"], -1],
      [["10"], -1],
      [["5x"], -1],
      [["0s"], 0],
      [["1h1h"], -1],
    ],
    solution: code`
const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
const UNIT_ORDER = "dhms";

function parseDuration(text: string): number {
  let total = 0;
  let digits = "";
  let lastRank = -1;
  for (const char of text) {
    if (char >= "0" && char <= "9") {
      digits += char;
      continue;
    }
    const rank = UNIT_ORDER.indexOf(char);
    if (rank === -1 || digits === "" || rank <= lastRank) return -1;
    total += Number(digits) * (UNIT_SECONDS[char] as number);
    digits = "";
    lastRank = rank;
  }
  return digits === "" && lastRank !== -1 ? total : -1;
}
`,
  }),
  functionTask({
    id: "ts/lru-evictions",
    tier: 3,
    title: "Keys evicted by an LRU cache",
    language: "typescript",
    instruction:
      "A least-recently-used cache holds at most `capacity` (>= 1) keys. Each key in `accesses` is looked up in turn: a key already present becomes the most recently used; an absent key is loaded, first evicting the least recently used key when the cache is full. Return the evicted keys in the order they were evicted.",
    signature: "function lruEvictions(capacity: number, accesses: string[]): string[]",
    name: "lruEvictions",
    params: 2,
    returns: "string[]",
    examples: [
      [
        [2, ["a", "b", "a", "c", "b", "d"]],
        ["b", "a", "c"],
      ],
      [[3, ["a", "b", "c"]], []],
      [
        [1, ["x", "x", "y", "x"]],
        ["x", "y"],
      ],
      [[2, []], []],
    ],
    solution: code`
function lruEvictions(capacity: number, accesses: string[]): string[] {
  const cache = new Set<string>();
  const evicted: string[] = [];
  for (const key of accesses) {
    if (cache.has(key)) {
      cache.delete(key);
    } else if (cache.size >= capacity) {
      const oldest = cache.values().next().value as string;
      cache.delete(oldest);
      evicted.push(oldest);
    }
    cache.add(key);
  }
  return evicted;
}
`,
  }),
  functionTask({
    id: "ts/compare-versions",
    tier: 3,
    title: "Compare dotted version numbers",
    language: "typescript",
    instruction:
      'Compare two versions made of dot-separated non-negative integers. Compare part by part numerically (so "1.01" equals "1.1"); a missing part counts as 0 ("1.0" equals "1.0.0"). Return -1 when `a` is lower, 1 when it is higher, 0 when equal. Do not use `localeCompare`.',
    signature: "function compareVersions(a: string, b: string): number",
    name: "compareVersions",
    params: 2,
    returns: "number",
    forbidden: ["localeCompare"],
    examples: [
      [["1.2.10", "1.2.9"], 1],
      [["1.0", "1.0.0"], 0],
      [["0.9", "1"], -1],
      [["2.0.1", "2.0.1"], 0],
      [["1.01", "1.1"], 0],
      [["1.0.0.1", "1"], 1],
    ],
    solution: code`
function compareVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const x = left[i] ?? 0;
    const y = right[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
`,
  }),
  functionTask({
    id: "ts/wrap-text",
    tier: 3,
    title: "Greedy word wrap",
    language: "typescript",
    instruction:
      "Words are separated by runs of whitespace. Lay them out greedily into lines of at most `width` characters, words in a line joined by one space; a word longer than `width` gets a line of its own. Return the lines (none for text without words).",
    signature: "function wrapText(text: string, width: number): string[]",
    name: "wrapText",
    params: 2,
    returns: "string[]",
    examples: [
      [
        ["the quick brown fox jumps over the lazy dog", 10],
        ["the quick", "brown fox", "jumps over", "the lazy", "dog"],
      ],
      [["", 5], []],
      [
        ["supercalifragilistic is long", 6],
        ["supercalifragilistic", "is", "long"],
      ],
      [
        ["  a  b   c ", 3],
        ["a b", "c"],
      ],
      [
        ["one\ntwo three", 7],
        ["one two", "three"],
      ],
    ],
    solution: code`
function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (word === "") continue;
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += " " + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
`,
  }),
  functionTask({
    id: "ts/spiral-order",
    tier: 3,
    title: "Matrix in spiral order",
    language: "typescript",
    instruction:
      "Return the elements of the rectangular `matrix` in clockwise spiral order, starting at the top-left corner and going right.",
    signature: "function spiralOrder(matrix: number[][]): number[]",
    name: "spiralOrder",
    params: 1,
    returns: "number[]",
    examples: [
      [
        [
          [
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ],
        ],
        [1, 2, 3, 6, 9, 8, 7, 4, 5],
      ],
      [[[]], []],
      [
        [
          [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
            [9, 10, 11, 12],
          ],
        ],
        [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7],
      ],
      [[[[1], [2], [3]]], [1, 2, 3]],
      [[[[7]]], [7]],
    ],
    solution: code`
function spiralOrder(matrix: number[][]): number[] {
  const at = (row: number, column: number): number => (matrix[row] as number[])[column] as number;
  const out: number[] = [];
  let top = 0;
  let bottom = matrix.length - 1;
  let left = 0;
  let right = (matrix[0]?.length ?? 0) - 1;
  while (top <= bottom && left <= right) {
    for (let c = left; c <= right; c++) out.push(at(top, c));
    top++;
    for (let r = top; r <= bottom; r++) out.push(at(r, right));
    right--;
    if (top <= bottom) {
      for (let c = right; c >= left; c--) out.push(at(bottom, c));
      bottom--;
    }
    if (left <= right) {
      for (let r = bottom; r >= top; r--) out.push(at(r, left));
      left++;
    }
  }
  return out;
}
`,
  }),
  functionTask({
    id: "ts/render-template",
    tier: 3,
    title: "Render {{placeholders}}",
    language: "typescript",
    instruction:
      "Replace every `{{ name }}` in `template` (spaces inside the braces are optional) with `values[name]`. A placeholder whose name is not in `values`, and an opening `{{` without a closing `}}`, are left exactly as they are. Scan left to right; replaced text is not scanned again.",
    signature: "function renderTemplate(template: string, values: Record<string, string>): string",
    name: "renderTemplate",
    params: 2,
    returns: "string",
    examples: [
      [["Hello, {{name}}!", { name: "Ada" }], "Hello, Ada!"],
      [["{{ a }}+{{b}}={{c}}", { a: "1", b: "2" }], "1+2={{c}}"],
      [["no placeholders", {}], "no placeholders"],
      [["{{x}}{{x}}", { x: "{{x}}" }], "{{x}}{{x}}"],
      [["unclosed {{name", { name: "z" }], "unclosed {{name"],
    ],
    solution: code`
function renderTemplate(template: string, values: Record<string, string>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{{", i);
    if (open === -1) break;
    const close = template.indexOf("}}", open + 2);
    if (close === -1) break;
    const name = template.slice(open + 2, close).trim();
    out += template.slice(i, open);
    out += Object.hasOwn(values, name) ? values[name] : template.slice(open, close + 2);
    i = close + 2;
  }
  return out + template.slice(i);
}
`,
  }),
  functionTask({
    id: "js/levenshtein",
    tier: 3,
    title: "Edit distance",
    language: "javascript",
    instruction:
      "Return the Levenshtein distance between `a` and `b`: the fewest single-character insertions, deletions and substitutions that turn one into the other. Use O(len(a) * len(b)) time.",
    signature: "function levenshtein(a, b)",
    name: "levenshtein",
    params: 2,
    examples: [
      [["kitten", "sitting"], 3],
      [["", ""], 0],
      [["abc", ""], 3],
      [["flaw", "lawn"], 2],
      [["same", "same"], 0],
    ],
    solution: code`
function levenshtein(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost));
    }
    previous = row;
  }
  return previous[b.length];
}
`,
  }),
];
