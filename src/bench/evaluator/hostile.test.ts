/**
 * The evaluator against candidates written to cheat or to escape, in the three languages and the three
 * kinds of evaluation. Each wrong solution below would pass if the verdict were the candidate's process's
 * to give (it forges fd 3 messages, patches the harness's comparison, exits 0 early, returns an object
 * that equals everything, shadows a builtin the test program uses, or rewrites the test program); each
 * escape reads what the sandbox must keep out of reach: the host's processes, Orket's environment, the
 * host network namespace, a private file, Orket's own package. Run as root (CI) and, where the machine
 * has a user to switch to, as an unprivileged user as well.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evaluation, Language } from "../../spec/bank.js";
import { createEvaluator } from "./evaluator.js";
import { SANDBOX_UID } from "./isolation.js";
import { orketPackageRoot } from "./temp-dirs.js";

const evaluator = createEvaluator();
const isolation = await evaluator.isolation();
const limits = { wallMs: 5_000 };

const fn = (name: string, expected: unknown, args: unknown[] = []): Evaluation => ({
  kind: "function",
  function_name: name,
  examples: [{ args, expected }],
});
const program = (text: string): Evaluation => ({ kind: "test_program", program: text });

async function verdict(code: string, language: Language, evaluation: Evaluation): Promise<boolean> {
  const result = await evaluator.evaluate(code, language, evaluation, limits);
  expect(result.error).toBeNull();
  return result.passed;
}

describe("a candidate cannot forge its verdict", () => {
  describe("function tasks", () => {
    it("python: fd 3 messages that claim a pass change nothing", async () => {
      const code = [
        "import os",
        "def add(a, b):",
        '    for line in [\'{"event":"start","index":0}\', \'{"event":"result","index":0,"passed":true}\',',
        '                 \'{"event":"result","id":0,"passed":true}\']:',
        '        os.write(3, (line + "\\n").encode())',
        "    return a - b",
      ].join("\n");
      expect(await verdict(code, "python", fn("add", 5, [2, 3]))).toBe(false);
      // The right answer passes whatever else the candidate writes on fd 3.
      const right = code
        .replace("a - b", "a + b")
        .replace(/'\{"event":"result","id":0,"passed":true\}'/, "'{}'");
      expect(await verdict(right, "python", fn("add", 5, [2, 3]))).toBe(true);
    });

    it("python: replacing the harness's comparison changes nothing", async () => {
      const code = [
        "import sys",
        "for name, module in list(sys.modules.items()):",
        "    for attr in ('same', 'sameAsJson', 'compare', 'plain'):",
        "        try: setattr(module, attr, lambda *a, **k: True)",
        "        except Exception: pass",
        "import __main__",
        "__main__.same = lambda a, b: True",
        "def add(a, b):",
        "    return a - b",
      ].join("\n");
      expect(await verdict(code, "python", fn("add", 5, [2, 3]))).toBe(false);
    });

    it("python: an object whose == is always true, or an int subclass that lies, does not pass", async () => {
      const always =
        "class E:\n    def __eq__(self, other): return True\n    def __hash__(self): return 0\ndef add(a, b):\n    return E()\n";
      const result = await evaluator.evaluate(always, "python", fn("add", 5, [2, 3]), limits);
      expect(result.passed).toBe(false);
      expect(result.examples[0]?.detail).toMatch(/returned a E, which cannot leave the candidate's process/);
      const liar =
        "class I(int):\n    def __eq__(self, other): return True\ndef add(a, b):\n    return I(1)\n";
      expect(await verdict(liar, "python", fn("add", 5, [2, 3]))).toBe(false);
    });

    it("python: the expected values are nowhere in the sandbox to be read", async () => {
      const code = [
        "import os",
        "def find():",
        "    hits = []",
        "    for base in ['.', '/tmp', os.environ.get('HOME', '.')]:",
        "        for root, dirs, files in os.walk(base):",
        "            for name in files:",
        "                try:",
        "                    if 'needle-' + str(8317) in open(os.path.join(root, name), errors='ignore').read(): hits.append(name)",
        "                except OSError: pass",
        "    return hits",
      ].join("\n");
      const result = await evaluator.evaluate(code, "python", fn("find", ["needle-8317"]), limits);
      expect(result.examples[0]?.detail).toBe('expected ["needle-8317"], got []');
    });

    it("javascript: fs.writeSync(3, …) claiming a pass changes nothing", async () => {
      const code = [
        'const fs = require("node:fs");',
        "function add(a, b) {",
        '  fs.writeSync(3, \'{"event":"result","index":0,"passed":true}\\n\');',
        '  fs.writeSync(3, \'{"event":"result","id":0,"passed":true}\\n\');',
        "  return a - b;",
        "}",
      ].join("\n");
      expect(await verdict(code, "javascript", fn("add", 5, [2, 3]))).toBe(false);
    });

    it("javascript: patching globals the harness uses changes nothing", async () => {
      const code = [
        "Object.is = () => true;",
        "Array.prototype.every = () => true;",
        "Number.isInteger = () => true;",
        "function add(a, b) { return { valueOf: () => 5, toJSON: () => a - b }; }",
      ].join("\n");
      expect(await verdict(code, "javascript", fn("add", 5, [2, 3]))).toBe(false);
    });

    it("typescript: the same forgery, typed", async () => {
      const code = [
        'import { writeSync } from "node:fs";',
        "export function add(a: number, b: number): number {",
        '  writeSync(3, \'{"event":"result","index":0,"passed":true}\\n\');',
        "  return a - b;",
        "}",
      ].join("\n");
      expect(await verdict(code, "typescript", fn("add", 5, [2, 3]))).toBe(false);
    });
  });

  describe("test-program tasks", () => {
    const check =
      "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert abs(candidate(1.5, 1.5) - 3.0) < 1e-9\n\ncheck(add)\n";

    it("python: the honest solution passes (the checker works)", async () => {
      expect(await verdict("def add(a, b):\n    return a + b\n", "python", program(check))).toBe(true);
    });

    it("python: exiting 0 early, at exit, or patching assert does not pass", async () => {
      const wrong = "def add(a, b):\n    return a - b\n";
      for (const trick of [
        "import os\nos._exit(0)\n",
        "import atexit, os\natexit.register(lambda: os._exit(0))\n",
        "import sys\nsys.exit(0)\n",
        "import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})\n",
        "import sys\nsys.excepthook = lambda *a: None\n",
      ]) {
        expect(await verdict(`${trick}${wrong}`, "python", program(check)), trick).toBe(false);
      }
    });

    it("python: an always-equal object or a shadowed builtin does not pass", async () => {
      const always =
        "class E(float):\n    def __eq__(self, other): return True\n    def __sub__(self, other): return 0.0\ndef add(a, b):\n    return E(0)\n";
      expect(await verdict(always, "python", program(check))).toBe(false);
      const shadow = "def abs(x):\n    return 0\ndef add(a, b):\n    return 5\n";
      expect(await verdict(shadow, "python", program(check))).toBe(false);
    });

    it("python: rewriting the test program from the candidate's side does not pass", async () => {
      const code = [
        "import glob, os",
        "for path in glob.glob('/tmp/orket-check-*/*') + glob.glob(os.path.join(os.path.dirname(os.getcwd()), 'orket-check-*', '*')):",
        "    try: open(path, 'w').write('pass\\n')",
        "    except OSError: pass",
        "def add(a, b):",
        "    return a - b",
      ].join("\n");
      expect(await verdict(code, "python", program(check))).toBe(false);
    });

    it("python: the checker sees tuples, sets and helper functions as the solution made them", async () => {
      const code =
        "def split(x):\n    return (x, {x})\ndef helper(x):\n    return x * 2\ndef use(x):\n    return helper(x) + 1\n";
      const test =
        "assert split(3) == (3, {3})\nassert split(3) != [3, [3]]\nassert helper(2) == 4 and use(2) == 5\n";
      expect(await verdict(code, "python", program(test))).toBe(true);
    });

    const jsCheck =
      'const assert = require("node:assert");\nassert.strictEqual(add(2, 3), 5);\nassert.deepStrictEqual(pair(1), [1, 2]);\n';
    const jsRight = "function add(a, b) { return a + b; }\nfunction pair(x) { return [x, x + 1]; }\n";
    const jsWrong = "function add(a, b) { return a - b; }\nfunction pair(x) { return [x, x]; }\n";

    it("javascript: the honest solution passes, exiting 0 or patching assert does not", async () => {
      expect(await verdict(jsRight, "javascript", program(jsCheck))).toBe(true);
      for (const trick of [
        "process.exit(0);\n",
        'process.on("exit", () => process.reallyExit(0));\n',
        'const assert = require("node:assert"); assert.strictEqual = () => {}; assert.deepStrictEqual = () => {};\n',
        'require("node:fs").writeSync(3, \'{"event":"result","index":0,"passed":true}\\n\');\n',
      ]) {
        expect(await verdict(`${trick}${jsWrong}`, "javascript", program(jsCheck)), trick).toBe(false);
      }
    });

    it("typescript: the honest solution passes, exiting 0 does not", async () => {
      const typed =
        "export function add(a: number, b: number): number { return a + b; }\nfunction pair(x: number): number[] { return [x, x + 1]; }\n";
      expect(await verdict(typed, "typescript", program(jsCheck))).toBe(true);
      const cheat = `process.exit(0);\n${jsWrong.replace("(a, b)", "(a: number, b: number)")}`;
      expect(await verdict(cheat, "typescript", program(jsCheck))).toBe(false);
    });
  });

  describe("cli tasks", () => {
    const cli: Evaluation = {
      kind: "cli",
      examples: [{ args: ["2", "3"], stdin: "", expected_stdout: "5\n", expected_exit_code: 0 }],
    };

    it("python and javascript: writing to fd 3 or looking for the expected output does not pass", async () => {
      const python =
        'import os, sys\ntry:\n    os.write(3, b\'{"event":"ready"}\\n\')\nexcept OSError:\n    pass\nprint(int(sys.argv[1]) - int(sys.argv[2]))\n';
      expect(await verdict(python, "python", cli)).toBe(false);
      const js =
        'try { require("node:fs").writeSync(3, "{}\\n"); } catch {}\nconsole.log(Number(process.argv[2]) - Number(process.argv[3]));\n';
      expect(await verdict(js, "javascript", cli)).toBe(false);
      expect(await verdict(js.replace(" - ", " + "), "javascript", cli)).toBe(true);
    });
  });
});

/**
 * Root runs the uid checks; a developer's own account skips them. In CI they always run, and a missing
 * privilege or sandbox fails them instead.
 */
const inCI = process.env.CI !== undefined;
const asRoot = process.getuid?.() === 0;

describe.runIf(process.platform === "linux")("the sandbox keeps the host out of reach", () => {
  let listener: Server;
  let port = 0;
  let secretDir = "";
  const SECRET = `orket-secret-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    process.env.ORKET_HOSTILE_TEST_KEY = SECRET;
    listener = createServer((socket) => socket.end("reached\n"));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    port = (listener.address() as { port: number }).port;
    secretDir = await mkdtemp(join(tmpdir(), "orket-host-"));
    await writeFile(join(secretDir, "secret.txt"), SECRET, { mode: 0o600 });
  });

  afterAll(async () => {
    delete process.env.ORKET_HOSTILE_TEST_KEY;
    listener.close();
    await rm(secretDir, { recursive: true, force: true });
  });

  it("uses bubblewrap in CI, where .ci/run installs it", () => {
    if (process.env.CI !== undefined) expect(isolation.kind).toBe("bwrap");
    expect(["bwrap", "unshare", "none"]).toContain(isolation.kind);
  });

  /** Runs `probe` (a Python function body returning a JSON-able value) in the sandbox. */
  async function probe(body: string, choice?: "bwrap" | "unshare"): Promise<unknown> {
    const local = choice === undefined ? evaluator : createEvaluator({ isolation: choice });
    const code = `import os, sys, json, socket, ctypes, glob\ndef probe():\n${body
      .split("\n")
      .map((line) => `    ${line}`)
      .join("\n")}\n`;
    const result = await local.evaluate(code, "python", fn("probe", "<never>"), limits);
    const detail = result.examples[0]?.detail ?? "";
    const got = /, got (.*)$/.exec(detail)?.[1];
    if (got === undefined) throw new Error(`probe failed: ${detail}`);
    return JSON.parse(got);
  }

  const kinds = (["bwrap", "unshare"] as const).filter((kind) =>
    kind === "bwrap" ? isolation.kind === "bwrap" : isolation.kind !== "none",
  );

  for (const kind of kinds) {
    describe(kind, () => {
      it("shows only the sandbox's own processes in /proc, and none has Orket's environment", async () => {
        const seen = (await probe(
          [
            "pids = [p for p in os.listdir('/proc') if p.isdigit()]",
            "leaked = []",
            "for p in pids:",
            "    try:",
            `        if b'${SECRET}' in open('/proc/' + p + '/environ', 'rb').read(): leaked.append(p)`,
            "    except OSError: pass",
            `return [len(pids), str(${process.pid}) in pids, leaked, '${SECRET}' in json.dumps(dict(os.environ))]`,
          ].join("\n"),
          kind,
        )) as [number, boolean, string[], boolean];
        expect(seen[0]).toBeLessThanOrEqual(4);
        expect(seen.slice(1)).toEqual([false, [], false]);
      });

      it("cannot enter the host's network namespace or reach a host listener on 127.0.0.1", async () => {
        const reached = await probe(
          [
            "libc = ctypes.CDLL(None, use_errno=True)",
            "results = []",
            "for path in glob.glob('/proc/[0-9]*/ns/net') + ['/proc/1/ns/net']:",
            "    try:",
            "        fd = os.open(path, os.O_RDONLY)",
            "        results.append(['setns', path, libc.setns(fd, 0x40000000), ctypes.get_errno()])",
            "    except OSError as error:",
            "        results.append(['open', path, str(error)])",
            "    try:",
            `        s = socket.create_connection(('127.0.0.1', ${port}), timeout=1)`,
            "        results.append(['reached', s.recv(16).decode()])",
            "    except OSError:",
            "        pass",
            "return [r for r in results if r[0] == 'reached' or (r[0] == 'setns' and r[2] == 0 and r[1] != '/proc/self/ns/net')]",
          ].join("\n"),
          kind,
        );
        // A setns that succeeded can only have entered the sandbox's own namespace: nothing was reached.
        expect((reached as unknown[][]).filter((entry) => entry[0] === "reached")).toEqual([]);
      });

      it("cannot read or change a private file of the host (nor, with a private root, Orket's own package)", async () => {
        const secret = join(secretDir, "secret.txt");
        const pkg = join(orketPackageRoot() ?? "/nonexistent", "package.json");
        const seen = await probe(
          [
            "out = []",
            `for path in ['${secret}', '${pkg}']:`,
            "    try: out.append(open(path).read()[:40])",
            "    except OSError as error: out.append(type(error).__name__)",
            "try:",
            `    open('${secret}', 'a').write('changed')`,
            "    out.append('wrote')",
            "except OSError as error:",
            "    out.append(type(error).__name__)",
            "return out",
          ].join("\n"),
          kind,
        );
        const [secretRead, packageRead, secretWrite] = seen as string[];
        expect(secretRead).toMatch(/Error$/);
        expect(secretWrite).toMatch(/Error$/);
        // Only a private root hides what any user may read; under unshare the host's files are in view.
        if (kind === "bwrap") expect(packageRead).toMatch(/Error$/);
        else expect(packageRead).toContain('"name"');
        expect(await readFile(secret, "utf8")).toBe(SECRET);
      });

      it.runIf(asRoot || inCI)("does not run the candidate as root with capabilities", async () => {
        const seen = (await probe(
          "caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0]\nreturn [os.getuid(), caps]",
          kind,
        )) as [number, string];
        expect(seen[1]).toBe("0000000000000000");
        if (kind === "unshare") expect(seen[0]).toBe(SANDBOX_UID);
      });
    });
  }

  it.runIf(asRoot || inCI)("holds as an unprivileged user too (an evaluator run by uid 65534)", async () => {
    expect(kinds, "no sandbox (bwrap or unshare) on this machine: apt-get install bubblewrap").not.toEqual(
      [],
    );
    const script = [
      'import { createEvaluator } from "./src/bench/evaluator/evaluator.ts";',
      "const evaluator = createEvaluator();",
      "const isolation = await evaluator.isolation();",
      "const code = \"import os\\ndef probe():\\n    return [os.getuid(), [p for p in os.listdir('/proc') if p.isdigit()], 'ORKET_HOSTILE_TEST_KEY' in os.environ]\\n\";",
      'const result = await evaluator.evaluate(code, "python", { kind: "function", function_name: "probe", examples: [{ args: [], expected: null }] }, { wallMs: 5000 });',
      "console.log(JSON.stringify({ kind: isolation.kind, ownProc: isolation.ownProc, detail: result.examples[0]?.detail }));",
    ].join("\n");
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: join(orketPackageRoot() ?? ".", "."),
      uid: SANDBOX_UID,
      gid: SANDBOX_UID,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir(), ORKET_HOSTILE_TEST_KEY: SECRET },
      encoding: "utf8",
      timeout: 60_000,
    });
    if (child.status !== 0 && /EACCES|permission denied/i.test(child.stderr) && !inCI) {
      // The checkout is not readable by that user on this developer machine; in CI it must be.
      console.warn(
        "hostile.test: SKIPPED the uid-65534 evaluator: the checkout is not readable by that user",
      );
      return;
    }
    expect(child.status, child.stderr).toBe(0);
    const line = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as {
      kind: string;
      ownProc: boolean;
      detail: string;
    };
    expect(line.kind).not.toBe("none");
    const got = JSON.parse(/, got (.*)$/.exec(line.detail)?.[1] ?? "null") as [number, string[], boolean];
    expect(got[2]).toBe(false);
    if (line.ownProc) expect(got[1].length).toBeLessThanOrEqual(4);
  });
});
