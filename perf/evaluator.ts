/**
 * Evaluator sandbox overhead: wall time of `evaluate()` on trivial solutions (sandbox start to result:
 * temp dir, runtime start, harness, one example, kill, clean-up), median of many evaluations after
 * warm-up, per runtime and evaluation kind. Beside it, the floor: the bare runtime start with the same
 * minimal environment. Target: under 100 ms per example.
 *
 * TypeScript's first evaluation also loads the `typescript` package (once per process); it is shown on
 * its own line and kept out of the medians. Function evaluations run all examples in one process, so
 * the per-example cost of a 10-example evaluation is shown as well.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { createEvaluator, describeIsolation, type Evaluator } from "../src/bench/evaluator/index.js";
import type { Evaluation, Language } from "../src/spec/bank.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 30);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const fn = (count: number): Evaluation => ({
  kind: "function",
  function_name: "add",
  examples: Array.from({ length: count }, (_, i) => ({ args: [i, 1], expected: i + 1 })),
});
const cli: Evaluation = {
  kind: "cli",
  examples: [{ args: [], stdin: "2 3", expected_stdout: "5", expected_exit_code: 0 }],
};

const SOURCES: Record<Language, { function: string; cli: string; test: string }> = {
  python: {
    function: "def add(a, b):\n    return a + b\n",
    cli: "print(sum(int(x) for x in input().split()))\n",
    test: "assert add(1, 2) == 3\n",
  },
  javascript: {
    function: "function add(a, b) { return a + b; }",
    cli: "const s = require('fs').readFileSync(0, 'utf8');\nconsole.log(s.split(' ').map(Number).reduce((a, b) => a + b));",
    test: "if (add(1, 2) !== 3) process.exit(1);",
  },
  typescript: {
    function: "function add(a: number, b: number): number { return a + b; }",
    cli: "import { readFileSync } from 'node:fs';\nconst s: string = readFileSync(0, 'utf8');\nconsole.log(s.split(' ').map(Number).reduce((a, b) => a + b));",
    test: "if (add(1, 2) !== 3) process.exit(1);",
  },
};

async function timeEvaluation(
  evaluator: Evaluator,
  code: string,
  language: Language,
  evaluation: Evaluation,
) {
  const started = performance.now();
  const result = await evaluator.evaluate(code, language, evaluation, { wallMs: 10_000 });
  const elapsed = performance.now() - started;
  if (!result.passed) throw new Error(`${language} ${evaluation.kind}: ${JSON.stringify(result)}`);
  return elapsed;
}

async function measure(evaluator: Evaluator, code: string, language: Language, evaluation: Evaluation) {
  for (let i = 0; i < 3; i++) await timeEvaluation(evaluator, code, language, evaluation);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeEvaluation(evaluator, code, language, evaluation));
  return median(times);
}

function floor(argv: string[]): number {
  const [file, ...args] = argv;
  if (file === undefined) return Number.NaN;
  const env = { PATH: "/usr/bin:/bin", HOME: tmpdir(), LANG: "C.UTF-8" };
  for (let i = 0; i < 3; i++) spawnSync(file, args, { env });
  return median(
    Array.from({ length: RUNS }, () => {
      const started = performance.now();
      spawnSync(file, args, { env });
      return performance.now() - started;
    }),
  );
}

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;

const evaluator = createEvaluator();
const bare = createEvaluator({ isolation: "none" });
const unshare = createEvaluator({ isolation: "unshare" });
const isolation = await evaluator.isolation();
const python = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], {
  encoding: "utf8",
}).stdout.trim();

console.log(`evaluator sandbox overhead, median of ${RUNS} evaluations after warm-up`);
console.log(`machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)} at start`);
console.log(`sandbox here: ${describeIsolation(isolation)}; prlimit ${isolation.prlimit !== null}`);
console.log(`  floor: python -c pass           ${ms(floor([python, "-c", "pass"]))}`);
console.log(`  floor: node -e 0                ${ms(floor([process.execPath, "-e", "0"]))}`);

const coldStart = performance.now();
await timeEvaluation(evaluator, SOURCES.typescript.function, "typescript", fn(1));
console.log(`  typescript, first evaluation (loads the compiler) ${ms(performance.now() - coldStart)}`);

for (const language of ["python", "javascript", "typescript"] as const) {
  const source = SOURCES[language];
  const one = await measure(evaluator, source.function, language, fn(1));
  const ten = await measure(evaluator, source.function, language, fn(10));
  const unisolated = await measure(bare, source.function, language, fn(1));
  const unshared = await measure(unshare, source.function, language, fn(1));
  const program = await measure(evaluator, source.cli, language, cli);
  const test = await measure(evaluator, `${source.function}`, language, {
    kind: "test_program",
    program: source.test,
  });
  console.log(`  ${language}`);
  console.log(
    `    function, 1 example            ${ms(one)}   (unshare: ${ms(unshared).trim()}, no sandbox: ${ms(unisolated).trim()})`,
  );
  console.log(`    function, 10 examples          ${ms(ten)}   = ${ms(ten / 10).trim()} per example`);
  console.log(`    cli, 1 example                 ${ms(program)}`);
  console.log(`    test_program                   ${ms(test)}`);
}
console.log(`load average ${loadavg()[0]?.toFixed(2)} at the end`);
