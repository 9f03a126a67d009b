/** Tier 3, Python: small algorithms (intervals, stacks, tokenizing, caches, graphs). */
import type { Task } from "../../../spec/bank.js";
import { code, functionTask, PY_NO_RE } from "./define.js";

export const TIER3_PYTHON: Task[] = [
  functionTask({
    id: "py/merge-intervals",
    tier: 3,
    title: "Merge overlapping intervals",
    language: "python",
    instruction:
      "`intervals` holds closed intervals [start, end] in any order. Merge every overlapping or touching pair ([1, 3] and [3, 5] merge) and return the merged intervals sorted by start. Do not modify the input.",
    signature: "def merge_intervals(intervals: list[list[int]]) -> list[list[int]]",
    name: "merge_intervals",
    params: 1,
    returns: "list[list[int]]",
    examples: [
      [
        [
          [
            [1, 3],
            [2, 6],
            [8, 10],
            [15, 18],
          ],
        ],
        [
          [1, 6],
          [8, 10],
          [15, 18],
        ],
      ],
      [[[]], []],
      [
        [
          [
            [5, 7],
            [1, 2],
            [2, 4],
          ],
        ],
        [
          [1, 4],
          [5, 7],
        ],
      ],
      [
        [
          [
            [1, 10],
            [2, 3],
            [4, 5],
          ],
        ],
        [[1, 10]],
      ],
      [[[[3, 3]]], [[3, 3]]],
    ],
    solution: code`
def merge_intervals(intervals: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
`,
  }),
  functionTask({
    id: "py/balanced-brackets",
    tier: 3,
    title: "Balanced brackets",
    language: "python",
    instruction:
      "Return True when the brackets (), [] and {} in `text` are balanced and properly nested; every other character is ignored.",
    signature: "def is_balanced(text: str) -> bool",
    name: "is_balanced",
    params: 1,
    returns: "bool",
    examples: [
      [["([]{})"], true],
      [[""], true],
      [["(]"], false],
      [["f(a[0], {b: 1})"], true],
      [["(("], false],
      [["())("], false],
    ],
    solution: code`
def is_balanced(text: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for char in text:
        if char in "([{":
            stack.append(char)
        elif char in pairs:
            if not stack or stack.pop() != pairs[char]:
                return False
    return not stack
`,
  }),
  functionTask({
    id: "py/tokenize",
    tier: 3,
    title: "Tokenize an arithmetic expression",
    language: "python",
    instruction:
      'Split `expr` into tokens: numbers (digits, optionally followed by "." and more digits; a "." not followed by a digit is not part of a number), identifiers (an ASCII letter or "_", then letters, digits or "_"), the operator "**", and the single characters + - * / ( ) ,. Whitespace separates tokens and is dropped. If any other character occurs, return just ["error at N"], where N is the 0-based index of the first such character. Do not use the `re` module.',
    signature: "def tokenize(expr: str) -> list[str]",
    name: "tokenize",
    params: 1,
    returns: "list[str]",
    forbidden: PY_NO_RE,
    examples: [
      [["3 + 4.25*x"], ["3", "+", "4.25", "*", "x"]],
      [["2**(n_1-10)"], ["2", "**", "(", "n_1", "-", "10", ")"]],
      [[""], []],
      [["max(a, b) / 2"], ["max", "(", "a", ",", "b", ")", "/", "2"]],
      [["1 $ 2"], ["error at 2"]],
      [["12.5.3"], ["error at 4"]],
    ],
    solution: code`
def tokenize(expr: str) -> list[str]:
    def is_digit(c: str) -> bool:
        return "0" <= c <= "9"

    def is_word(c: str) -> bool:
        return c == "_" or "a" <= c.lower() <= "z" or is_digit(c)

    tokens: list[str] = []
    i = 0
    while i < len(expr):
        char = expr[i]
        start = i
        if char.isspace():
            i += 1
            continue
        if is_digit(char):
            while i < len(expr) and is_digit(expr[i]):
                i += 1
            if i + 1 < len(expr) and expr[i] == "." and is_digit(expr[i + 1]):
                i += 1
                while i < len(expr) and is_digit(expr[i]):
                    i += 1
        elif is_word(char):
            while i < len(expr) and is_word(expr[i]):
                i += 1
        elif expr.startswith("**", i):
            i += 2
        elif char in "+-*/(),":
            i += 1
        else:
            return ["error at " + str(i)]
        tokens.append(expr[start:i])
    return tokens
`,
  }),
  functionTask({
    id: "py/eval-rpn",
    tier: 3,
    title: "Evaluate reverse Polish notation",
    language: "python",
    instruction:
      "Evaluate the reverse-Polish expression `tokens` (integers and the operators + - * /) and return its value. Division truncates toward zero (-7 / 2 is -3). The input is always well formed. Do not use `eval` or `exec`.",
    signature: "def eval_rpn(tokens: list[str]) -> int",
    name: "eval_rpn",
    params: 1,
    returns: "int",
    forbidden: ["\\beval\\s*\\(", "\\bexec\\s*\\("],
    examples: [
      [[["2", "1", "+", "3", "*"]], 9],
      [[["4", "13", "5", "/", "+"]], 6],
      [[["-7", "2", "/"]], -3],
      [[["42"]], 42],
      [[["10", "6", "9", "3", "+", "-11", "*", "/", "*", "17", "+", "5", "+"]], 22],
    ],
    solution: code`
def eval_rpn(tokens: list[str]) -> int:
    stack: list[int] = []
    for token in tokens:
        if token not in ("+", "-", "*", "/"):
            stack.append(int(token))
            continue
        right = stack.pop()
        left = stack.pop()
        if token == "+":
            stack.append(left + right)
        elif token == "-":
            stack.append(left - right)
        elif token == "*":
            stack.append(left * right)
        else:
            quotient = abs(left) // abs(right)
            stack.append(quotient if (left < 0) == (right < 0) else -quotient)
    return stack[-1]
`,
  }),
  functionTask({
    id: "py/lru-simulate",
    tier: 3,
    title: "Simulate an LRU cache",
    language: "python",
    instruction:
      'Simulate a least-recently-used cache holding at most `capacity` (>= 1) entries. Each operation is ["put", key, value] or ["get", key]. A get returns the value (or -1 when the key is absent) and makes the key most recently used; a put stores the value, makes the key most recently used and, when a new key would exceed the capacity, first evicts the least recently used key. Return the results of the gets in order. Do not use functools.lru_cache or collections.OrderedDict.',
    signature: "def lru_simulate(capacity: int, operations: list[list[str | int]]) -> list[int]",
    name: "lru_simulate",
    params: 2,
    returns: "list[int]",
    forbidden: ["lru_cache", "OrderedDict"],
    examples: [
      [
        [
          2,
          [
            ["put", "a", 1],
            ["put", "b", 2],
            ["get", "a"],
            ["put", "c", 3],
            ["get", "b"],
            ["get", "a"],
            ["get", "c"],
          ],
        ],
        [1, -1, 1, 3],
      ],
      [
        [
          1,
          [
            ["put", "x", 1],
            ["put", "y", 2],
            ["get", "x"],
            ["get", "y"],
          ],
        ],
        [-1, 2],
      ],
      [[2, [["get", "missing"]]], [-1]],
      [
        [
          2,
          [
            ["put", "a", 1],
            ["put", "b", 2],
            ["put", "a", 10],
            ["put", "c", 3],
            ["get", "a"],
            ["get", "b"],
          ],
        ],
        [10, -1],
      ],
    ],
    solution: code`
def lru_simulate(capacity: int, operations: list[list[str | int]]) -> list[int]:
    cache: dict[str | int, int] = {}
    results: list[int] = []
    for operation in operations:
        key = operation[1]
        if operation[0] == "get":
            if key in cache:
                cache[key] = cache.pop(key)
                results.append(cache[key])
            else:
                results.append(-1)
            continue
        if key in cache:
            del cache[key]
        elif len(cache) >= capacity:
            del cache[next(iter(cache))]
        cache[key] = int(operation[2])
    return results
`,
  }),
  functionTask({
    id: "py/build-order",
    tier: 3,
    title: "Deterministic build order",
    language: "python",
    instruction:
      "`deps` maps a target to the targets it needs built first; a needed target that is not a key has no needs. Return an order that builds every target after its needs, choosing the alphabetically smallest ready target at each step. If a cycle makes that impossible, return [].",
    signature: "def build_order(deps: dict[str, list[str]]) -> list[str]",
    name: "build_order",
    params: 1,
    returns: "list[str]",
    examples: [
      [[{ app: ["lib", "utils"], lib: ["utils"], utils: [] }], ["utils", "lib", "app"]],
      [[{}], []],
      [[{ b: ["a"], c: ["a"], d: ["c", "b"] }], ["a", "b", "c", "d"]],
      [[{ x: ["y"], y: ["x"] }], []],
      [[{ z: [], a: ["z"], m: [] }], ["m", "z", "a"]],
      [[{ a: ["a"] }], []],
    ],
    solution: code`
def build_order(deps: dict[str, list[str]]) -> list[str]:
    nodes = set(deps)
    for needs in deps.values():
        nodes.update(needs)
    remaining = {node: set(deps.get(node, [])) for node in nodes}
    order: list[str] = []
    while remaining:
        ready = sorted(node for node, needs in remaining.items() if not needs)
        if not ready:
            return []
        node = ready[0]
        order.append(node)
        del remaining[node]
        for needs in remaining.values():
            needs.discard(node)
    return order
`,
  }),
];
