/**
 * ConstraintValidator speed: 1,000 generated Python and 1,000 TypeScript solutions (varied names,
 * signatures, helpers, classes, and a few with syntax errors), six checks each (two required patterns,
 * one forbidden, three AST rules), validated warm. Target: under 2 s per language for the 1,000.
 */

import { mulberry32 } from "../src/core/shared/random.js";
import type { Constraints, Language } from "../src/spec/bank.js";
import { createConstraintValidator } from "../src/validation/constraint-validator.js";

const SOURCES = 1_000;
const PASSES = 5;

/** A seeded generator, so every run validates the same sources. */
const random = mulberry32;

const VERBS = ["parse", "merge", "count", "filter", "rank", "encode", "split", "score", "group", "flatten"];
const NOUNS = ["items", "tokens", "records", "lines", "scores", "pairs", "words", "events", "rows", "nodes"];
const PARAMS = ["values", "limit", "key", "offset", "factor", "width", "depth", "label", "target", "step"];

interface Sample {
  code: string;
  constraints: Constraints;
}

function pythonSample(next: () => number, index: number): Sample {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const name = `${pick(VERBS)}_${pick(NOUNS)}_${index}`;
  const arity = 1 + Math.floor(next() * 4);
  const params = PARAMS.slice(0, arity).map((param, i) =>
    i === 0 ? `${param}: list[int]` : next() < 0.5 ? `${param}: int = ${i}` : param,
  );
  if (next() < 0.3) params.push("*args");
  if (next() < 0.3) params.push("**options");
  const helpers = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, h) => {
    const helper = `_helper_${h}`;
    return `def ${helper}(x, y=0):\n    """Helper ${h}."""\n    total = 0\n    for i in range(x):\n        if i % 2 == 0:\n            total += i * y\n        else:\n            total -= i\n    return total\n`;
  });
  const klass =
    next() < 0.5
      ? `class Accumulator:\n    def __init__(self, start: int = 0) -> None:\n        self.value = start\n\n    def add(self, amount: int) -> "Accumulator":\n        self.value += amount\n        return self\n`
      : "";
  const broken = next() < 0.05;
  const body = [
    `    """Return the ${pick(NOUNS)} of ${PARAMS[0]} after processing."""`,
    `    result = [v * 2 for v in ${PARAMS[0]} if v is not None]`,
    `    seen = {v: i for i, v in enumerate(result)}`,
    `    if not seen:`,
    `        return []`,
    `    return sorted(seen, key=lambda k: (seen[k], k))${broken ? " +" : ""}`,
  ].join("\n");
  const code = [
    "import math",
    "from collections import defaultdict",
    "from typing import Iterable",
    "",
    ...helpers,
    klass,
    `def ${name}(${params.join(", ")}) -> list[int]:`,
    body,
    "",
    'if __name__ == "__main__":',
    `    print(${name}([1, 2, 3]))`,
    "",
  ].join("\n");
  return {
    code,
    constraints: {
      regex_required: [`^def ${name}\\(`, "return\\s+sorted"],
      regex_forbidden: ["\\beval\\("],
      ast_rules: [
        { rule: "required_function_name", name },
        { rule: "argument_count", function: name, count: arity },
        { rule: "return_type_annotation", function: name, type: "list[int]" },
      ],
    },
  };
}

function typescriptSample(next: () => number, index: number): Sample {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const name = `${pick(VERBS)}${pick(NOUNS).replace(/^./, (c) => c.toUpperCase())}${index}`;
  const arity = 1 + Math.floor(next() * 4);
  const params = PARAMS.slice(0, arity).map((param, i) =>
    i === 0 ? `${param}: readonly number[]` : next() < 0.5 ? `${param} = ${i}` : `${param}?: number`,
  );
  if (next() < 0.3) params.push("...rest: number[]");
  const helpers = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, h) =>
    next() < 0.5
      ? `function helper${h}(x: number, y = 0): number {\n  let total = 0;\n  for (let i = 0; i < x; i++) {\n    total += i % 2 === 0 ? i * y : -i;\n  }\n  return total;\n}\n`
      : `const helper${h} = (x: number, y = 0): number =>\n  Array.from({ length: x }, (_, i) => (i % 2 === 0 ? i * y : -i)).reduce((a, b) => a + b, 0);\n`,
  );
  const klass =
    next() < 0.5
      ? `export class Accumulator {\n  #value = 0;\n  add(amount: number): this {\n    this.#value += amount;\n    return this;\n  }\n}\n`
      : "";
  const broken = next() < 0.05;
  const signature = `(${params.join(", ")}): number[]`;
  const body = `{\n  const result = ${PARAMS[0]}.filter((v) => v !== undefined).map((v) => v * 2);\n  const seen = new Map(result.map((v, i) => [v, i] as const));\n  if (seen.size === 0) return [];\n  return [...seen.keys()].sort((a, b) => (seen.get(a) ?? 0) - (seen.get(b) ?? 0))${broken ? " +" : ""};\n}`;
  const declaration =
    next() < 0.5
      ? `export function ${name}${signature} ${body}`
      : `export const ${name} = ${signature} => ${body};`;
  const code = [
    'import { readFile } from "node:fs/promises";',
    'import type { Stats } from "node:fs";',
    "",
    "interface Options {\n  limit?: number;\n  label: string;\n}\n",
    ...helpers,
    klass,
    declaration,
    "",
  ].join("\n");
  return {
    code,
    constraints: {
      regex_required: [`\\b${name}\\b`, "\\.sort\\("],
      regex_forbidden: ["\\bany\\b"],
      ast_rules: [
        { rule: "required_function_name", name },
        { rule: "argument_count", function: name, count: arity },
        { rule: "return_type_annotation", function: name, type: "number[]" },
      ],
    },
  };
}

const validator = await createConstraintValidator();
const generators: Record<"python" | "typescript", (next: () => number, index: number) => Sample> = {
  python: pythonSample,
  typescript: typescriptSample,
};

console.log(
  `ConstraintValidator on ${SOURCES} sources per language, 6 checks each (median of ${PASSES} warm passes)`,
);
for (const [language, generate] of Object.entries(generators) as [Language, typeof pythonSample][]) {
  const next = random(language === "python" ? 1 : 2);
  const samples = Array.from({ length: SOURCES }, (_, index) => generate(next, index));
  const run = () => samples.map((sample) => validator.validate(sample.code, language, sample.constraints));
  const results = run(); // warm-up: JIT, regex cache
  // Wall time and this process's CPU time: on a busy machine the CPU figure is the steadier one.
  const passes = Array.from({ length: PASSES }, () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    run();
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
  });
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(PASSES / 2)] ?? 0;
  const wall = median(passes.map((pass) => pass.wall));
  const cpu = median(passes.map((pass) => pass.cpu));
  const lines = samples.reduce((sum, sample) => sum + sample.code.split("\n").length, 0) / SOURCES;
  const mean = results.reduce((sum, result) => sum + (result.adherence_score ?? 0), 0) / SOURCES;
  const unparseable = results.filter((result) =>
    result.checks.some((check) => check.rule === "parseable"),
  ).length;
  console.log(
    `  ${language.padEnd(11)} ${wall.toFixed(0).padStart(5)} ms wall, ${cpu.toFixed(0).padStart(5)} ms CPU ` +
      `(${((wall * 1000) / SOURCES).toFixed(0)} µs/source; ${lines.toFixed(0)} lines avg, ` +
      `mean adherence ${mean.toFixed(3)}, ${unparseable} unparseable)`,
  );
}
