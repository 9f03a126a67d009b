/** Tier 1, TypeScript and JavaScript: one function of string, list or number logic. */
import type { Task } from "../../../spec/bank.js";
import { code, functionTask } from "./define.js";

export const TIER1_TYPESCRIPT: Task[] = [
  functionTask({
    id: "ts/title-case",
    tier: 1,
    title: "Title case",
    language: "typescript",
    instruction:
      "Return `text` with every space-separated word capitalised: its first character upper case, the rest lower case. Keep the spaces exactly as they are, including runs of several spaces and leading or trailing ones.",
    signature: "function titleCase(text: string): string",
    name: "titleCase",
    params: 1,
    returns: "string",
    examples: [
      [["the QUICK brown fox"], "The Quick Brown Fox"],
      [[""], ""],
      [["  leading space"], "  Leading Space"],
      [["x"], "X"],
      [["o'neil mcDONALD "], "O'neil Mcdonald "],
    ],
    solution: code`
function titleCase(text: string): string {
  return text
    .split(" ")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join(" ");
}
`,
  }),
  functionTask({
    id: "ts/sum-range",
    tier: 1,
    title: "Sum of an integer range in constant time",
    language: "typescript",
    instruction:
      "Return the sum of all integers between `start` and `end`, both included; `start` may be greater than `end`. Use a formula: no loops and no `reduce`.",
    signature: "function sumRange(start: number, end: number): number",
    name: "sumRange",
    params: 2,
    returns: "number",
    forbidden: ["\\bfor\\s*\\(", "\\bwhile\\s*\\(", "\\.reduce\\s*\\("],
    examples: [
      [[1, 100], 5050],
      [[5, 5], 5],
      [[3, -2], 3],
      [[-3, -1], -6],
      [[0, 1000000], 500000500000],
    ],
    solution: code`
function sumRange(start: number, end: number): number {
  const low = Math.min(start, end);
  const high = Math.max(start, end);
  return ((low + high) * (high - low + 1)) / 2;
}
`,
  }),
  functionTask({
    id: "ts/count-occurrences",
    tier: 1,
    title: "Count non-overlapping occurrences",
    language: "typescript",
    instruction:
      "Return how many non-overlapping times `needle` occurs in `haystack`, scanning left to right and matching case. An empty needle occurs 0 times. Do not use `split` or `match`.",
    signature: "function countOccurrences(haystack: string, needle: string): number",
    name: "countOccurrences",
    params: 2,
    returns: "number",
    forbidden: ["\\.split\\s*\\(", "\\.match(All)?\\s*\\("],
    examples: [
      [["aaaa", "aa"], 2],
      [["abcabc", "abc"], 2],
      [["abc", ""], 0],
      [["Hello", "l"], 2],
      [["Hello", "L"], 0],
      [["", "a"], 0],
    ],
    solution: code`
function countOccurrences(haystack: string, needle: string): number {
  if (needle === "") return 0;
  let count = 0;
  let at = haystack.indexOf(needle);
  while (at !== -1) {
    count++;
    at = haystack.indexOf(needle, at + needle.length);
  }
  return count;
}
`,
  }),
  functionTask({
    id: "ts/is-leap-year",
    tier: 1,
    title: "Leap year",
    language: "typescript",
    instruction:
      "Return whether `year` is a leap year of the Gregorian calendar: divisible by 4, except centuries, which are leap years only when divisible by 400. Do not use `Date`.",
    signature: "function isLeapYear(year: number): boolean",
    name: "isLeapYear",
    params: 1,
    returns: "boolean",
    forbidden: ["\\bDate\\b"],
    examples: [
      [[2000], true],
      [[1900], false],
      [[2024], true],
      [[2023], false],
      [[2100], false],
      [[1600], true],
    ],
    solution: code`
function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
`,
  }),
  functionTask({
    id: "ts/dedupe",
    tier: 1,
    title: "Remove duplicates, keep first occurrences",
    language: "typescript",
    instruction:
      "Return the values of `values` without repeats, each kept at the position of its first occurrence.",
    signature: "function dedupe(values: number[]): number[]",
    name: "dedupe",
    params: 1,
    returns: "number[]",
    examples: [
      [[[3, 1, 3, 2, 1]], [3, 1, 2]],
      [[[]], []],
      [[[7, 7, 7]], [7]],
      [[[-1, 0, -1, 0]], [-1, 0]],
    ],
    solution: code`
function dedupe(values: number[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const value of values) {
    if (seen.has(value)) continue;
    seen.add(value);
    out.push(value);
  }
  return out;
}
`,
  }),
  functionTask({
    id: "ts/initials",
    tier: 1,
    title: "Initials of a name",
    language: "typescript",
    instruction:
      "Return the upper-case first letters of the words of `fullName`, joined without separators. Words are separated by one or more spaces; leading and trailing spaces do not make words.",
    signature: "function initials(fullName: string): string",
    name: "initials",
    params: 1,
    returns: "string",
    examples: [
      [["Ada Lovelace"], "AL"],
      [["  grace   brewster murray hopper "], "GBMH"],
      [[""], ""],
      [["x"], "X"],
    ],
    solution: code`
function initials(fullName: string): string {
  return fullName
    .split(" ")
    .filter((word) => word !== "")
    .map((word) => word.charAt(0).toUpperCase())
    .join("");
}
`,
  }),
  functionTask({
    id: "js/fizzbuzz",
    tier: 1,
    title: "FizzBuzz as a list",
    language: "javascript",
    instruction:
      'Return an array of strings for the numbers 1 to `n` (none when n is 0): "Fizz" for multiples of 3, "Buzz" for multiples of 5, "FizzBuzz" for multiples of both, otherwise the number itself.',
    signature: "function fizzBuzz(n)",
    name: "fizzBuzz",
    params: 1,
    examples: [
      [[0], []],
      [[1], ["1"]],
      [[5], ["1", "2", "Fizz", "4", "Buzz"]],
      [
        [15],
        [
          "1",
          "2",
          "Fizz",
          "4",
          "Buzz",
          "Fizz",
          "7",
          "8",
          "Fizz",
          "Buzz",
          "11",
          "Fizz",
          "13",
          "14",
          "FizzBuzz",
        ],
      ],
    ],
    solution: code`
function fizzBuzz(n) {
  const out = [];
  for (let i = 1; i <= n; i++) {
    if (i % 15 === 0) out.push("FizzBuzz");
    else if (i % 3 === 0) out.push("Fizz");
    else if (i % 5 === 0) out.push("Buzz");
    else out.push(String(i));
  }
  return out;
}
`,
  }),
];
