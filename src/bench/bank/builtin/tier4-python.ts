/** Tier 4, Python: small command-line programs (stdin to stdout, arguments, exit codes). */
import type { Task } from "../../../spec/bank.js";
import { cliTask, code, PY_NO_RE, PY_NO_SHELL } from "./define.js";

const MAIN = "def main(argv: list[str], text: str) -> int";

export const TIER4_PYTHON: Task[] = [
  cliTask({
    id: "py/cli-wc",
    tier: 4,
    title: "Count lines, words and characters",
    language: "python",
    instruction:
      'Write a small `wc`. Count the lines of standard input (a last line without a newline counts; empty input has 0 lines), its whitespace-separated words and its characters, and print the counts on one line separated by spaces. The options -l, -w and -c select which counts to print, always in the order lines, words, characters; with no option print all three. Any other argument: print "unknown option: ARG" to stderr and exit with 2.',
    signature: MAIN,
    params: 2,
    returns: "int",
    forbidden: PY_NO_SHELL,
    examples: [
      { stdin: "one two\nthree\n", stdout: "2 3 14" },
      { stdin: "", stdout: "0 0 0" },
      { args: ["-w"], stdin: "a b c", stdout: "3" },
      { args: ["-c", "-l"], stdin: "x\ny\n", stdout: "2 4" },
      { args: ["-z"], stdin: "x", stdout: "", exit: 2 },
    ],
    solution: code`
import sys

FLAGS = {"-l": "lines", "-w": "words", "-c": "chars"}


def main(argv: list[str], text: str) -> int:
    for arg in argv:
        if arg not in FLAGS:
            print("unknown option: " + arg, file=sys.stderr)
            return 2
    counts = {"lines": len(text.splitlines()), "words": len(text.split()), "chars": len(text)}
    chosen = [name for flag, name in FLAGS.items() if flag in argv] or list(counts)
    print(" ".join(str(counts[name]) for name in chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdin.read()))
`,
  }),
  cliTask({
    id: "py/cli-sum",
    tier: 4,
    title: "Sum integer arguments",
    language: "python",
    instruction:
      'Print the sum of the integer command-line arguments (0 when there are none); integers may be negative and of any size. If an argument is not an integer, print "not a number: ARG" to stderr, nothing to stdout, and exit with 2. Standard input is ignored.',
    signature: MAIN,
    params: 2,
    returns: "int",
    forbidden: [...PY_NO_SHELL, "\\beval\\s*\\("],
    examples: [
      { args: ["1", "2", "3"], stdout: "6" },
      { args: [], stdout: "0" },
      { args: ["-5", "5", "10"], stdout: "10" },
      { args: ["4", "four"], stdout: "", exit: 2 },
      { args: ["99999999999999999999", "1"], stdout: "100000000000000000000" },
    ],
    solution: code`
import sys


def main(argv: list[str], text: str) -> int:
    total = 0
    for arg in argv:
        try:
            total += int(arg)
        except ValueError:
            print("not a number: " + arg, file=sys.stderr)
            return 2
    print(total)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdin.read()))
`,
  }),
  cliTask({
    id: "py/cli-column",
    tier: 4,
    title: "Extract a CSV column",
    language: "python",
    instruction:
      'Standard input is comma-separated text without quoting; its first non-blank line is the header, and blank lines are ignored. The one argument names a column: print that column\'s cell of every later row, one per line, with surrounding spaces stripped (an empty line for a row too short to have it). Header names are compared after stripping spaces too. Without exactly one argument, print "usage: column NAME" to stderr and exit with 2; for a name that is not in the header, print "no column: NAME" to stderr and exit with 1.',
    signature: MAIN,
    params: 2,
    returns: "int",
    forbidden: [...PY_NO_SHELL, "\\bimport\\s+csv\\b", "\\bfrom\\s+csv\\s+import\\b"],
    examples: [
      { args: ["age"], stdin: "name,age\nAda,36\nAlan,41\n", stdout: "36\n41" },
      { args: ["name"], stdin: "name, age\n Ada , 36\n", stdout: "Ada" },
      { args: ["city"], stdin: "name,age\nAda,36\n", stdout: "", exit: 1 },
      { args: [], stdin: "a\n1\n", stdout: "", exit: 2 },
      { args: ["b"], stdin: "a,b\n1,2\n\n3\n4,5\n", stdout: "2\n\n5" },
    ],
    solution: code`
import sys


def main(argv: list[str], text: str) -> int:
    if len(argv) != 1:
        print("usage: column NAME", file=sys.stderr)
        return 2
    lines = [line for line in text.splitlines() if line.strip()]
    names = [name.strip() for name in lines[0].split(",")] if lines else []
    if argv[0] not in names:
        print("no column: " + argv[0], file=sys.stderr)
        return 1
    index = names.index(argv[0])
    for line in lines[1:]:
        cells = line.split(",")
        print(cells[index].strip() if index < len(cells) else "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdin.read()))
`,
  }),
  cliTask({
    id: "py/cli-uniq-count",
    tier: 4,
    title: "Count repeated lines",
    language: "python",
    instruction:
      'Count how often each non-empty line of standard input occurs and print "COUNT LINE" for each distinct line, by count descending and then by line. With the arguments `--top N` (N a non-negative integer) print only the first N. Any other arguments: print "usage: uniq-count [--top N]" to stderr and exit with 2.',
    signature: MAIN,
    params: 2,
    returns: "int",
    forbidden: PY_NO_SHELL,
    examples: [
      { stdin: "b\na\nb\nc\na\nb\n", stdout: "3 b\n2 a\n1 c" },
      { stdin: "", stdout: "" },
      { args: ["--top", "1"], stdin: "x\ny\nx\n", stdout: "2 x" },
      { args: ["--top", "many"], stdin: "x\n", stdout: "", exit: 2 },
      { stdin: "same\n\nsame\n", stdout: "2 same" },
    ],
    solution: code`
import sys


def main(argv: list[str], text: str) -> int:
    top = None
    if argv:
        if len(argv) != 2 or argv[0] != "--top" or not argv[1].isdigit():
            print("usage: uniq-count [--top N]", file=sys.stderr)
            return 2
        top = int(argv[1])
    counts: dict[str, int] = {}
    for line in text.splitlines():
        if line:
            counts[line] = counts.get(line, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if top is not None:
        ranked = ranked[:top]
    for line, count in ranked:
        print(str(count) + " " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdin.read()))
`,
  }),
  cliTask({
    id: "py/cli-grep",
    tier: 4,
    title: "A tiny grep",
    language: "python",
    instruction:
      'Usage: `grep [-i] PATTERN`. Print every line of standard input that contains PATTERN as a plain substring (case-insensitively with -i), prefixed with its 1-based line number and ":". Exit with 0 when a line matched and 1 when none did. With no pattern or extra arguments, print "usage: grep [-i] PATTERN" to stderr and exit with 2. Match plain text: do not use the `re` module.',
    signature: MAIN,
    params: 2,
    returns: "int",
    forbidden: [...PY_NO_SHELL, ...PY_NO_RE],
    examples: [
      { args: ["err"], stdin: "ok\nerror: disk\nwarn\nerr again\n", stdout: "2:error: disk\n4:err again" },
      { args: ["-i", "ERR"], stdin: "Error one\nfine\n", stdout: "1:Error one" },
      { args: ["zzz"], stdin: "abc\n", stdout: "", exit: 1 },
      { args: [], stdin: "abc\n", stdout: "", exit: 2 },
      { args: ["-i"], stdin: "abc\n", stdout: "", exit: 2 },
      { args: ["a.c"], stdin: "abc\na.c\n", stdout: "2:a.c" },
    ],
    solution: code`
import sys


def main(argv: list[str], text: str) -> int:
    ignore_case = bool(argv) and argv[0] == "-i"
    rest = argv[1:] if ignore_case else argv
    if len(rest) != 1:
        print("usage: grep [-i] PATTERN", file=sys.stderr)
        return 2
    pattern = rest[0].lower() if ignore_case else rest[0]
    found = False
    for number, line in enumerate(text.splitlines(), start=1):
        haystack = line.lower() if ignore_case else line
        if pattern in haystack:
            print(str(number) + ":" + line)
            found = True
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdin.read()))
`,
  }),
];
