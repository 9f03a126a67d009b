/** Tier 2, Python: data transforms over lists, dicts and text records. */
import type { Task } from "../../../spec/bank.js";
import { code, functionTask, PY_NO_RE } from "./define.js";

export const TIER2_PYTHON: Task[] = [
  functionTask({
    id: "py/group-names",
    tier: 2,
    title: "Group names by department",
    language: "python",
    instruction:
      'Each record has a "name" and may have a "dept". Return a dict from each department to the names in it, sorted. Records without a "dept", or with an empty one, belong to "unknown". Do not use pandas or itertools.',
    signature: "def group_names(records: list[dict[str, str]]) -> dict[str, list[str]]",
    name: "group_names",
    params: 1,
    returns: "dict[str, list[str]]",
    forbidden: ["\\bpandas\\b", "\\bitertools\\b"],
    examples: [
      [
        [
          [
            { name: "Zoe", dept: "ops" },
            { name: "Al", dept: "dev" },
            { name: "Bo", dept: "ops" },
          ],
        ],
        { ops: ["Bo", "Zoe"], dev: ["Al"] },
      ],
      [[[]], {}],
      [
        [[{ name: "Cy" }, { name: "Di", dept: "" }, { name: "Ed", dept: "dev" }]],
        { unknown: ["Cy", "Di"], dev: ["Ed"] },
      ],
    ],
    solution: code`
def group_names(records: list[dict[str, str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for record in records:
        dept = record.get("dept") or "unknown"
        groups.setdefault(dept, []).append(record["name"])
    return {dept: sorted(names) for dept, names in groups.items()}
`,
  }),
  functionTask({
    id: "py/flatten-keys",
    tier: 2,
    title: "Flatten nested dicts to dotted keys",
    language: "python",
    instruction:
      'Flatten nested dicts: a value that is a dict is replaced by its entries, with keys joined by "." to the outer key; every other value (lists included) is kept as it is. An empty nested dict contributes no keys.',
    signature: "def flatten_keys(data: dict[str, object]) -> dict[str, object]",
    name: "flatten_keys",
    params: 1,
    returns: "dict[str, object]",
    examples: [
      [[{ a: 1, b: { c: 2, d: { e: 3 } } }], { a: 1, "b.c": 2, "b.d.e": 3 }],
      [[{}], {}],
      [[{ x: { y: [1, { z: 2 }] } }], { "x.y": [1, { z: 2 }] }],
      [[{ a: {}, b: null }], { b: null }],
    ],
    solution: code`
def flatten_keys(data: dict[str, object]) -> dict[str, object]:
    flat: dict[str, object] = {}

    def walk(node: dict[str, object], prefix: str) -> None:
        for key, value in node.items():
            path = prefix + "." + key if prefix else key
            if isinstance(value, dict):
                walk(value, path)
            else:
                flat[path] = value

    walk(data, "")
    return flat
`,
  }),
  functionTask({
    id: "py/invert-mapping",
    tier: 2,
    title: "Invert a mapping",
    language: "python",
    instruction: "Return a dict from each value of `mapping` to the sorted list of the keys that map to it.",
    signature: "def invert(mapping: dict[str, str]) -> dict[str, list[str]]",
    name: "invert",
    params: 1,
    returns: "dict[str, list[str]]",
    examples: [
      [[{ a: "x", b: "y", c: "x" }], { x: ["a", "c"], y: ["b"] }],
      [[{}], {}],
      [[{ k: "k" }], { k: ["k"] }],
    ],
    solution: code`
def invert(mapping: dict[str, str]) -> dict[str, list[str]]:
    inverted: dict[str, list[str]] = {}
    for key, value in mapping.items():
        inverted.setdefault(value, []).append(key)
    return {value: sorted(keys) for value, keys in inverted.items()}
`,
  }),
  functionTask({
    id: "py/top-words",
    tier: 2,
    title: "Most frequent words",
    language: "python",
    instruction:
      "A word is a maximal run of ASCII letters, compared in lower case. Return the `k` most frequent words of `text` as (word, count) pairs, by count descending and then alphabetically; fewer when there are fewer distinct words. Do not use the `re` module.",
    signature: "def top_words(text: str, k: int) -> list[tuple[str, int]]",
    name: "top_words",
    params: 2,
    returns: "list[tuple[str, int]]",
    forbidden: PY_NO_RE,
    examples: [
      [
        ["the cat and the hat. The end!", 2],
        [
          ["the", 3],
          ["and", 1],
        ],
      ],
      [["", 3], []],
      [
        ["b a B a c", 5],
        [
          ["a", 2],
          ["b", 2],
          ["c", 1],
        ],
      ],
      [["Hello", 0], []],
      [
        ["don't stop", 9],
        [
          ["don", 1],
          ["stop", 1],
          ["t", 1],
        ],
      ],
    ],
    solution: code`
def top_words(text: str, k: int) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    word = ""
    for char in text.lower() + " ":
        if "a" <= char <= "z":
            word += char
        elif word:
            counts[word] = counts.get(word, 0) + 1
            word = ""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:k]
`,
  }),
  functionTask({
    id: "py/parse-csv",
    tier: 2,
    title: "Parse simple CSV into records",
    language: "python",
    instruction:
      "Parse comma-separated text without quoting: the first non-blank line is the header, every later non-blank line a record. Strip spaces around cells. A short row gets empty strings for its missing cells; extra cells are dropped. Return the records as dicts from header to cell. Do not use the `csv` module.",
    signature: "def parse_csv(text: str) -> list[dict[str, str]]",
    name: "parse_csv",
    params: 1,
    returns: "list[dict[str, str]]",
    forbidden: ["\\bimport\\s+csv\\b", "\\bfrom\\s+csv\\s+import\\b"],
    examples: [
      [
        ["name, age\nAda, 36\nAlan,41\n"],
        [
          { name: "Ada", age: "36" },
          { name: "Alan", age: "41" },
        ],
      ],
      [[""], []],
      [
        ["a,b,c\n1\n\n4,5,6,7"],
        [
          { a: "1", b: "", c: "" },
          { a: "4", b: "5", c: "6" },
        ],
      ],
      [["only_header"], []],
    ],
    solution: code`
def parse_csv(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = [cell.strip() for cell in lines[0].split(",")]
    records: list[dict[str, str]] = []
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split(",")]
        cells += [""] * (len(header) - len(cells))
        records.append(dict(zip(header, cells)))
    return records
`,
  }),
  functionTask({
    id: "py/moving-average",
    tier: 2,
    title: "Moving average",
    language: "python",
    instruction:
      "Return the averages of every run of `window` consecutive values, in order. When window is not positive or longer than the list, return an empty list. Keep it linear: update a running sum instead of summing every window again.",
    signature: "def moving_average(values: list[float], window: int) -> list[float]",
    name: "moving_average",
    params: 2,
    returns: "list[float]",
    examples: [
      [
        [[1, 2, 3, 4, 5], 3],
        [2, 3, 4],
      ],
      [[[10, 20], 3], []],
      [
        [[1, 2], 1],
        [1, 2],
      ],
      [
        [[1, 2, 4], 2],
        [1.5, 3],
      ],
      [[[], 1], []],
      [[[5, 6], 0], []],
    ],
    solution: code`
def moving_average(values: list[float], window: int) -> list[float]:
    if window <= 0 or window > len(values):
        return []
    total = sum(values[:window])
    averages = [total / window]
    for i in range(window, len(values)):
        total += values[i] - values[i - window]
        averages.append(total / window)
    return averages
`,
  }),
];
