/**
 * The sandbox's limits against real misbehaving processes: loops, forks, escaped grandchildren, output
 * floods, memory hogs, network use. Leftover processes are looked for with `ps` by a marker argument
 * that only the candidate's sleepers carry, both while the evaluation runs (they must have existed)
 * and after it (they must be gone).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../../spec/bank.js";
import { createEvaluator } from "./evaluator.js";

const evaluator = createEvaluator();
const isolation = await evaluator.isolation();

function processesWith(marker: string): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return table
    .split("\n")
    .filter((line) => line.includes(marker) && !line.includes("<defunct>"))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/** Runs `work` while polling for the marker; returns how many marked processes were seen at most. */
async function watchFor<T>(marker: string, work: () => Promise<T>): Promise<{ result: T; seen: number }> {
  let seen = 0;
  const poll = setInterval(() => {
    seen = Math.max(seen, processesWith(marker).length);
  }, 50);
  try {
    return { result: await work(), seen };
  } finally {
    clearInterval(poll);
  }
}

/** Marked processes left after the evaluation; a dying process gets a moment to leave the table. */
async function survivors(marker: string): Promise<number[]> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const left = processesWith(marker);
    if (left.length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const left = processesWith(marker);
  for (const pid of left) process.kill(pid, "SIGKILL"); // never leave them to the next test
  return left;
}

const newMarker = () => `${4000 + Math.floor(Math.random() * 1000)}.${process.pid}${Date.now() % 100_000}`;
const once = (expected: unknown = 1): Evaluation => ({
  kind: "function",
  function_name: "f",
  examples: [{ args: [], expected }],
});
const program = (check: string): Evaluation => ({ kind: "test_program", program: check });

describe("wall time", () => {
  it("kills an endless program at the limit and reports it as timed out", async () => {
    const started = performance.now();
    const result = await evaluator.evaluate("while True:\n    pass\n", "python", program("pass"), {
      wallMs: 1_000,
    });
    const elapsed = performance.now() - started;
    expect(result.examples[0]).toMatchObject({ passed: false, timed_out: true, signal: "SIGKILL" });
    expect(result.examples[0]?.detail).toBe("timed out loading the solution after 1000 ms");
    expect(result.examples[0]?.duration_ms).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(3_500);
  });

  it("kills a C-level loop that never returns to the interpreter (the parent's deadline)", async () => {
    const code = "def f():\n    return sum(range(10**13))\n";
    const started = performance.now();
    const result = await evaluator.evaluate(code, "python", once(), { wallMs: 800 });
    expect(result.examples[0]).toMatchObject({ timed_out: true, signal: "SIGKILL" });
    expect(performance.now() - started).toBeLessThan(3_500);
  });
});

describe("process trees", () => {
  it("kills a forking candidate with all of its children", async () => {
    const marker = newMarker();
    const code = [
      "import os, time",
      "def f():",
      "    while True:",
      "        if os.fork() == 0:",
      `            os.execvp("sleep", ["sleep", "${marker}"])`,
      "        time.sleep(0.02)",
    ].join("\n");
    const { result, seen } = await watchFor(marker, () =>
      evaluator.evaluate(code, "python", once(), { wallMs: 1_000 }),
    );
    expect(result.examples[0]).toMatchObject({ passed: false, timed_out: true });
    expect(seen).toBeGreaterThan(3);
    expect(await survivors(marker)).toEqual([]);
  });

  it("kills a sleeping grandchild when a JavaScript test program hangs", async () => {
    const marker = newMarker();
    const code = `require("node:child_process").spawn("sleep", ["${marker}"], { stdio: "ignore" });\nsetInterval(() => {}, 1000);`;
    const { result, seen } = await watchFor(marker, () =>
      evaluator.evaluate(code, "javascript", program("setInterval(() => {}, 1000);"), { wallMs: 1_000 }),
    );
    expect(result.examples[0]?.timed_out).toBe(true);
    expect(seen).toBe(1);
    expect(await survivors(marker)).toEqual([]);
  });

  it("kills what a passing function left running once the last example is done", async () => {
    const marker = newMarker();
    const code = `import subprocess, time\ndef f():\n    subprocess.Popen(["sleep", "${marker}"])\n    time.sleep(0.3)\n    return 1\n`;
    const { result, seen } = await watchFor(marker, () =>
      evaluator.evaluate(code, "python", once(), { wallMs: 2_000 }),
    );
    expect(result.passed).toBe(true);
    expect(seen).toBe(1);
    expect(await survivors(marker)).toEqual([]);
  });

  it("kills what a program that exited 0 left behind in its process group", async () => {
    const marker = newMarker();
    const code = `require("node:child_process").spawn("sleep", ["${marker}"], { stdio: "ignore" }).unref();`;
    const { result, seen } = await watchFor(marker, () =>
      evaluator.evaluate(code, "javascript", program("setTimeout(() => {}, 300);"), { wallMs: 2_000 }),
    );
    expect(result.passed).toBe(true);
    expect(seen).toBe(1);
    expect(await survivors(marker)).toEqual([]);
  });

  it.runIf(isolation.pidNamespace)(
    "kills a grandchild that left the process group with setsid (PID namespace)",
    async () => {
      const marker = newMarker();
      const code = `import subprocess, time\nsubprocess.Popen(["sleep", "${marker}"], start_new_session=True)\ntime.sleep(0.3)\n`;
      const { result, seen } = await watchFor(marker, () =>
        evaluator.evaluate(code, "python", program(""), { wallMs: 2_000 }),
      );
      expect(result.passed).toBe(true);
      expect(seen).toBe(1);
      expect(await survivors(marker)).toEqual([]);
    },
  );
});

describe("output", () => {
  it("stops a flood at the output limit, kills the process and marks the example truncated", async () => {
    const evaluation: Evaluation = {
      kind: "cli",
      examples: [{ args: [], stdin: "", expected_stdout: "", expected_exit_code: 0 }],
    };
    const started = performance.now();
    const result = await evaluator.evaluate("while True:\n    print('x' * 1000)\n", "python", evaluation, {
      wallMs: 5_000,
      outputBytes: 8 * 1024,
    });
    expect(result.examples[0]).toMatchObject({
      passed: false,
      stdout_truncated: true,
      timed_out: false,
      signal: "SIGKILL",
    });
    expect(result.examples[0]?.detail).toBe("output passed 8192 bytes; process killed");
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it("counts the output limit per example in a function evaluation", async () => {
    const code = "def f(n):\n    while n < 0:\n        print('z' * 1000)\n    print('y' * n)\n    return n\n";
    const evaluation: Evaluation = {
      kind: "function",
      function_name: "f",
      examples: [3_000, 3_000, -1, 3_000].map((n) => ({ args: [n], expected: n })),
    };
    const result = await evaluator.evaluate(code, "python", evaluation, {
      wallMs: 2_000,
      outputBytes: 4_096,
    });
    expect(result.examples.map((example) => example.passed)).toEqual([true, true, false, true]);
    expect(result.examples[2]?.stdout_truncated).toBe(true);
  });
});

describe("memory", () => {
  it("gives a Python memory hog a MemoryError", async () => {
    const code = "def f():\n    return len(bytearray(2 * 1024 ** 3))\n";
    const result = await evaluator.evaluate(code, "python", once(), { wallMs: 2_000, memoryMb: 256 });
    expect(result.examples[0]).toMatchObject({ passed: false, detail: "MemoryError (line 2)" });
  });

  it("kills a Node heap hog at the heap limit", async () => {
    const code = "function f() { const hog = []; for (;;) hog.push(new Array(1e5).fill(1.5)); }";
    const result = await evaluator.evaluate(code, "javascript", once(), { wallMs: 10_000, memoryMb: 64 });
    expect(result.examples[0]?.passed).toBe(false);
    expect(result.examples[0]?.timed_out).toBe(false);
    expect(result.examples[0]?.detail).toMatch(/^out of memory \(limit 64 MiB\)/);
  });

  it.runIf(isolation.prlimit !== null)("refuses a Node buffer past the address-space limit", async () => {
    const code = "function f() { return Buffer.alloc(3 * 1024 ** 3).length; }";
    const result = await evaluator.evaluate(code, "javascript", once(), { wallMs: 5_000, memoryMb: 64 });
    expect(result.examples[0]?.passed).toBe(false);
    expect(result.examples[0]?.detail).toMatch(/^RangeError: /);
  });
});

describe("environment", () => {
  let server: ReturnType<typeof createServer>;
  let port = 0;
  beforeAll(async () => {
    server = createServer((socket) => socket.end("hello"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    port = typeof address === "object" && address !== null ? address.port : 0;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.runIf(isolation.network)("has no network, not even the host's loopback", async () => {
    const code = `import socket\ndef f():\n    try:\n        socket.create_connection(("127.0.0.1", ${port}), timeout=1).close()\n        return "connected"\n    except OSError:\n        return "blocked"\n`;
    const result = await evaluator.evaluate(code, "python", once("blocked"), { wallMs: 3_000 });
    expect(result.examples[0]?.detail).toBe('expected "blocked", got "blocked"');
  });

  it("gets a minimal environment with HOME in its own temp dir, stdin closed", async () => {
    const code =
      "import os, sys\ndef f():\n    return [sorted(os.environ), os.environ['HOME'] == os.getcwd(), sys.stdin.read()]\n";
    const expected = [
      [
        "HOME",
        "LANG",
        "LC_ALL",
        "PATH",
        // bwrap's --chdir sets PWD (to the temp dir) after any --unsetenv
        ...(isolation.kind === "bwrap" ? ["PWD"] : []),
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONHASHSEED",
        "PYTHONIOENCODING",
        "TMPDIR",
      ],
      true,
      "",
    ];
    const result = await evaluator.evaluate(code, "python", once(expected), { wallMs: 2_000 });
    expect(result.examples[0]?.detail).toBe(
      `expected ${JSON.stringify(expected)}, got ${JSON.stringify(expected)}`,
    );
  });

  it("removes its temp dir after a pass, a timeout and a crash", async () => {
    const root = await mkdtemp(join(tmpdir(), "orket-eval-test-"));
    try {
      const local = createEvaluator({ tempRoot: root });
      await local.evaluate(
        "def f():\n    open('left.txt', 'w').write('x')\n    return 1\n",
        "python",
        once(),
        { wallMs: 2_000 },
      );
      await local.evaluate("function f() { for (;;) {} }", "javascript", once(), { wallMs: 300 });
      await local.evaluate("import os\nos.makedirs('a/b')\nos._exit(3)\n", "python", program(""), {
        wallMs: 2_000,
      });
      expect(await readdir(root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
