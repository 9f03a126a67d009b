/**
 * The Node side of the sandbox, written into each evaluation's temp dir (JavaScript and transpiled
 * TypeScript alike). The function harness imports the solution once and runs every example in one
 * process. A promise is awaited under the example's wall time in the child; a synchronous loop cannot be
 * interrupted from inside, so there the parent's deadline kills the process and the evaluator starts a
 * fresh one at the next example. Results are compared by JSON semantics, as in the Python harness:
 * `-0` equals `0`, `undefined` equals `null`, object keys holding `undefined` are absent, and two
 * numbers that are not both integers are equal within a relative tolerance of 1e-9.
 */
import { CANDIDATE_SYMBOL } from "./candidate-source.js";

export const NODE_HARNESS_FILE = "orket-harness.cjs";
export const NODE_PRELOAD_FILE = "orket-preload.cjs";

/** Loaded with `--require` before a program: says `ready` on fd 3 and closes it. */
export const NODE_PRELOAD = String.raw`"use strict";
try {
  const fs = require("node:fs");
  fs.writeSync(3, '{"event":"ready"}\n');
  fs.closeSync(3);
} catch {}
`;

/**
 * argv: config path, first example index. CommonJS, and a CommonJS solution is `require`d: starting
 * Node's ES module loader costs about 15 ms, so it is paid only for a solution that is an ES module.
 */
export const NODE_HARNESS = String.raw`"use strict";
const { readFileSync, writeSync } = require("node:fs");
const { pathToFileURL } = require("node:url");

const SHOWN_CHARS = 300;
const TIMEOUT = Symbol("timeout");

function send(message) {
  const data = Buffer.from(JSON.stringify(message) + "\n");
  for (let offset = 0; offset < data.length; ) offset += writeSync(3, data, offset);
}

function describe(error, reportLines) {
  let text;
  try {
    if (error instanceof Error) text = error.message ? error.name + ": " + error.message : error.name;
    else text = "thrown " + typeof error + ": " + String(error);
    const line = reportLines && error instanceof Error ? /solution\.[cm]js:(\d+)/.exec(String(error.stack)) : null;
    if (line) text += " (line " + line[1] + ")";
  } catch {
    text = "an exception that cannot be described";
  }
  return text.slice(0, 500);
}

function close(a, b) {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b) || (Number.isInteger(a) && Number.isInteger(b))) return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function same(got, want, depth = 0) {
  if (depth > 200) return false;
  if (want === null) return got === null || got === undefined;
  if (typeof want === "number") return typeof got === "number" && close(got, want);
  if (typeof want === "string" || typeof want === "boolean") return got === want;
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length && want.every((item, i) => same(got[i], item, depth + 1));
  }
  if (typeof want === "object") {
    if (got === null || typeof got !== "object" || Array.isArray(got)) return false;
    const keys = Object.keys(got).filter((key) => got[key] !== undefined && typeof got[key] !== "function");
    const wanted = Object.keys(want);
    return keys.length === wanted.length && wanted.every((key) => Object.hasOwn(got, key) && same(got[key], want[key], depth + 1));
  }
  return false;
}

function show(value) {
  let text;
  try {
    text = value === undefined ? "undefined" : JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v + "n" : v));
    if (text === undefined) text = String(value);
  } catch {
    try {
      text = String(value);
    } catch {
      text = "<" + typeof value + ">";
    }
  }
  return text.length <= SHOWN_CHARS ? text : text.slice(0, SHOWN_CHARS) + "...";
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(TIMEOUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function pick(value) {
  return typeof value === "function" ? value : undefined;
}

async function load(path) {
  if (path.endsWith(".cjs")) return { default: require(path) };
  return import(pathToFileURL(path).href);
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const start = Number(process.argv[3]);
  const name = config.function_name;
  send({ event: "ready" });

  let candidate;
  try {
    const namespace = await load(config.module);
    const fallback = namespace.default;
    candidate =
      pick(globalThis[Symbol.for(${JSON.stringify(CANDIDATE_SYMBOL)})]) ??
      pick(namespace[name]) ??
      pick(fallback?.[name]) ??
      (typeof fallback === "function" && fallback.name === name ? fallback : undefined);
  } catch (error) {
    send({ event: "load_error", error: describe(error, config.report_lines) });
    return;
  }

  for (let index = start; index < config.examples.length; index++) {
    const example = config.examples[index];
    send({ event: "start", index });
    if (candidate === undefined) {
      send({ event: "result", index, passed: false, error: "ReferenceError: " + name + " is not defined" });
      continue;
    }
    let got;
    try {
      got = candidate(...example.args);
      if (got !== null && (typeof got === "object" || typeof got === "function") && typeof got.then === "function") {
        got = await withTimeout(got, config.wall_ms);
      }
    } catch (error) {
      if (error === TIMEOUT) send({ event: "result", index, passed: false, timed_out: true });
      else send({ event: "result", index, passed: false, error: describe(error, config.report_lines) });
      continue;
    }
    let passed = false;
    try {
      passed = same(got, example.expected);
    } catch {}
    send({ event: "result", index, passed, got: show(got) });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write("orket harness: " + String(error && error.stack) + "\n");
    process.exit(70);
  },
);
`;
