/** Tier 1, Python: one function of string, list or number logic. */
import type { Task } from "../../../spec/bank.js";
import { code, functionTask, PY_NO_RE } from "./define.js";

export const TIER1_PYTHON: Task[] = [
  functionTask({
    id: "py/clamp",
    tier: 1,
    title: "Clamp a value without min/max",
    language: "python",
    instruction:
      "Return `value` limited to the closed range [low, high]: `low` when value is below it, `high` when it is above it, otherwise value itself. You may assume low <= high. Do not call the built-ins `min` or `max`.",
    signature: "def clamp(value: int, low: int, high: int) -> int",
    name: "clamp",
    params: 3,
    returns: "int",
    forbidden: ["\\bmin\\s*\\(", "\\bmax\\s*\\("],
    examples: [
      [[5, 0, 10], 5],
      [[-3, 0, 10], 0],
      [[42, 0, 10], 10],
      [[7, 7, 7], 7],
      [[0, -5, -1], -1],
    ],
    solution: code`
def clamp(value: int, low: int, high: int) -> int:
    if value < low:
        return low
    if value > high:
        return high
    return value
`,
  }),
  functionTask({
    id: "py/is-palindrome",
    tier: 1,
    title: "Palindrome check ignoring case and punctuation",
    language: "python",
    instruction:
      "Return True when `text` reads the same forwards and backwards once everything but letters and digits is removed and case is ignored. The empty string is a palindrome. Do not use the `re` module.",
    signature: "def is_palindrome(text: str) -> bool",
    name: "is_palindrome",
    params: 1,
    returns: "bool",
    forbidden: PY_NO_RE,
    examples: [
      [["A man, a plan, a canal: Panama"], true],
      [[""], true],
      [["ab"], false],
      [["No 'x' in Nixon"], true],
      [["race a car"], false],
      [["12321"], true],
    ],
    solution: code`
def is_palindrome(text: str) -> bool:
    chars = [c.lower() for c in text if c.isalnum()]
    return chars == chars[::-1]
`,
  }),
  functionTask({
    id: "py/count-vowels",
    tier: 1,
    title: "Count vowels",
    language: "python",
    instruction:
      "Return how many characters of `text` are vowels: a, e, i, o or u in either case (y is not a vowel).",
    signature: "def count_vowels(text: str) -> int",
    name: "count_vowels",
    params: 1,
    returns: "int",
    examples: [
      [["Hello World"], 3],
      [[""], 0],
      [["rhythm"], 0],
      [["AEIOUaeiou"], 10],
      [["Yay!"], 1],
    ],
    solution: code`
def count_vowels(text: str) -> int:
    return sum(1 for c in text.lower() if c in "aeiou")
`,
  }),
  functionTask({
    id: "py/chunk",
    tier: 1,
    title: "Split a list into chunks",
    language: "python",
    instruction:
      "Split `items` into consecutive chunks of `size` elements (size >= 1), in order; the last chunk may be shorter. An empty list gives no chunks.",
    signature: "def chunk(items: list[int], size: int) -> list[list[int]]",
    name: "chunk",
    params: 2,
    returns: "list[list[int]]",
    examples: [
      [
        [[1, 2, 3, 4, 5], 2],
        [[1, 2], [3, 4], [5]],
      ],
      [[[], 3], []],
      [[[1, 2], 5], [[1, 2]]],
      [
        [[1, 2, 3], 1],
        [[1], [2], [3]],
      ],
    ],
    solution: code`
def chunk(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
`,
  }),
  functionTask({
    id: "py/snake-to-camel",
    tier: 1,
    title: "snake_case to camelCase",
    language: "python",
    instruction:
      "Convert a snake_case name to camelCase. Leading underscores are kept as they are. Every other run of underscores is removed and the character after it becomes upper case; all other characters are unchanged. Do not use the `re` module.",
    signature: "def snake_to_camel(name: str) -> str",
    name: "snake_to_camel",
    params: 1,
    returns: "str",
    forbidden: PY_NO_RE,
    examples: [
      [["hello_world"], "helloWorld"],
      [["_private_name"], "_privateName"],
      [["max_http_retries"], "maxHttpRetries"],
      [["a__b_"], "aB"],
      [["single"], "single"],
      [["__"], "__"],
    ],
    solution: code`
def snake_to_camel(name: str) -> str:
    stripped = name.lstrip("_")
    leading = name[: len(name) - len(stripped)]
    parts = [part for part in stripped.split("_") if part]
    if not parts:
        return leading
    head, *rest = parts
    return leading + head + "".join(part[0].upper() + part[1:] for part in rest)
`,
  }),
  functionTask({
    id: "py/digital-root",
    tier: 1,
    title: "Digital root by arithmetic",
    language: "python",
    instruction:
      "Return the digital root of the non-negative integer `n`: add up its decimal digits, and repeat on the result until a single digit remains. Work with arithmetic only: do not convert the number to a string.",
    signature: "def digital_root(n: int) -> int",
    name: "digital_root",
    params: 1,
    returns: "int",
    forbidden: ["\\bstr\\s*\\(", "\\brepr\\s*\\(", "\\bf[\"']"],
    examples: [
      [[0], 0],
      [[38], 2],
      [[999999999999], 9],
      [[7], 7],
      [[10], 1],
    ],
    solution: code`
def digital_root(n: int) -> int:
    while n >= 10:
        total = 0
        while n > 0:
            total += n % 10
            n //= 10
        n = total
    return n
`,
  }),
  functionTask({
    id: "py/second-largest",
    tier: 1,
    title: "Second largest distinct value",
    language: "python",
    instruction:
      "Return the second largest distinct value in `values`, or None when there are fewer than two distinct values.",
    signature: "def second_largest(values: list[int]) -> int | None",
    name: "second_largest",
    params: 1,
    returns: true,
    examples: [
      [[[4, 1, 4, 3]], 3],
      [[[5]], null],
      [[[2, 2]], null],
      [[[-1, -5]], -5],
      [[[]], null],
      [[[1, 2, 3, 4]], 3],
    ],
    solution: code`
def second_largest(values: list[int]) -> int | None:
    distinct = sorted(set(values), reverse=True)
    return distinct[1] if len(distinct) > 1 else None
`,
  }),
];
