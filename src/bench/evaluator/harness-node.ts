/**
 * The Node side of the sandbox, written into each evaluation's temp dirs (JavaScript and transpiled
 * TypeScript alike). As in the Python harness, nothing the candidate's process says is trusted: the
 * **server** loads the solution and answers calls read from fd 4 with the packed value the function
 * returned (or resolved to) on fd 3, and the verdict is reached elsewhere: by the parent against the
 * bank's examples (`function` tasks), or by the **checker** (`test_program` tasks), a second process
 * with no candidate code, where each of the solution's functions is a global that forwards the call to
 * the server and waits for its answer synchronously.
 *
 * A promise is awaited under the example's wall time in the server; a synchronous loop cannot be
 * interrupted from inside, so there the parent's deadline kills the process and the evaluator starts a
 * fresh one at the next example.
 */
import { CANDIDATE_SYMBOL } from "./candidate-source.js";

export const NODE_SERVER_FILE = "orket-server.cjs";
export const NODE_CHECKER_FILE = "orket-check.cjs";
export const NODE_PRELOAD_FILE = "orket-preload.cjs";

/** Loaded with `--require` before a program (cli tasks): says `ready` on fd 3 and closes it. */
export const NODE_PRELOAD = String.raw`"use strict";
try {
  const fs = require("node:fs");
  fs.writeSync(3, '{"event":"ready"}\n');
  fs.closeSync(3);
} catch {}
`;

const SEND = String.raw`
function send(message) {
  const data = Buffer.from(JSON.stringify(message) + "\n");
  for (let offset = 0; offset < data.length; ) offset += require("node:fs").writeSync(3, data, offset);
}
`;

const PACK = String.raw`
class Unpackable extends Error {}

function pack(value, depth = 0) {
  if (depth > 200) throw new Unpackable("a value nested more than 200 levels deep");
  if (value === undefined) return { u: 1 };
  if (value === null) return null;
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      return { f: Object.is(value, -0) ? "-0" : String(value) };
    case "bigint":
      return { i: value.toString() };
    case "function":
    case "symbol":
      throw new Unpackable("a " + typeof value);
  }
  if (Array.isArray(value)) {
    const items = [];
    for (let index = 0; index < value.length; index++) items.push(pack(value[index], depth + 1));
    return { l: items };
  }
  if (value instanceof Map) return { m: [...value].map(([key, item]) => [pack(key, depth + 1), pack(item, depth + 1)]) };
  if (value instanceof Set) return { s: [...value].map((item) => pack(item, depth + 1)) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return { l: Array.from(value, (item) => pack(item, depth + 1)) };
  if (typeof value.toJSON === "function") return pack(value.toJSON(), depth + 1);
  const entries = [];
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (typeof item === "function" || typeof item === "symbol") continue;
    entries.push([key, pack(item, depth + 1)]);
  }
  return { o: entries };
}

function unpack(packed, depth = 0) {
  if (depth > 200) throw new RangeError("nested too deeply");
  if (packed === null || typeof packed === "boolean" || typeof packed === "string") return packed;
  const [[tag, inner]] = Object.entries(packed);
  switch (tag) {
    case "u":
      return undefined;
    case "f":
      return Number(inner);
    case "i":
      return BigInt(inner);
    case "b":
      return Buffer.from(inner, "hex");
    case "l":
    case "t":
      return inner.map((item) => unpack(item, depth + 1));
    case "s":
    case "fs":
      return new Set(inner.map((item) => unpack(item, depth + 1)));
    case "m":
    case "d":
      return new Map(inner.map(([key, item]) => [unpack(key, depth + 1), unpack(item, depth + 1)]));
    case "o":
      return Object.fromEntries(inner.map(([key, item]) => [key, unpack(item, depth + 1)]));
  }
  throw new TypeError("unknown tag " + tag);
}
`;

/**
 * argv: solution path. CommonJS, and a CommonJS solution is `require`d: starting Node's ES module
 * loader costs about 15 ms, so it is paid only for a solution that is an ES module.
 */
export const NODE_SERVER = String.raw`"use strict";
const { Socket } = require("node:net");
const { pathToFileURL } = require("node:url");
${SEND}${PACK}
const MAX_MESSAGE_BYTES = 1024 * 1024;
const SHOWN_CHARS = 300;
const TIMEOUT = Symbol("timeout");
const BUILTIN_ERRORS = new Set(["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError"]);

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

function exceptionName(error) {
  try {
    return error instanceof Error && BUILTIN_ERRORS.has(error.name) && error.constructor === globalThis[error.name] ? error.name : null;
  } catch {
    return null;
  }
}

function show(value) {
  let text;
  try {
    text = String(value);
  } catch {
    text = "<" + typeof value + ">";
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

async function load(path) {
  if (path.endsWith(".cjs")) return { default: require(path) };
  return import(pathToFileURL(path).href);
}

function scopeOf(declared, namespace) {
  const found = [];
  const names = new Set([...Object.keys(declared), ...Object.keys(namespace).filter((name) => name !== "default")]);
  for (const name of names) {
    const value = declared[name] !== undefined ? declared[name] : namespace[name];
    if (typeof value === "function") found.push({ name, kind: "callable" });
    else if (value !== undefined) {
      try {
        found.push({ name, kind: "value", value: pack(value) });
      } catch {}
    }
  }
  return found;
}

function resolver(declared, namespace) {
  const pick = (value) => (typeof value === "function" ? value : undefined);
  const fallback = namespace.default;
  return (name) =>
    pick(declared[name]) ??
    pick(namespace[name]) ??
    pick(fallback?.[name]) ??
    (typeof fallback === "function" && fallback.name === name ? fallback : undefined);
}

async function serve(find, call, reportLines) {
  const id = call.id;
  const candidate = find(call.name);
  if (candidate === undefined) {
    send({ event: "result", id, error: "ReferenceError: " + call.name + " is not defined", exception: "ReferenceError" });
    return;
  }
  let args;
  try {
    args = call.args.map((arg) => unpack(arg));
  } catch (error) {
    send({ event: "result", id, error: "the arguments could not be read: " + String(error) });
    return;
  }
  let got;
  try {
    got = candidate(...args);
    if (got !== null && (typeof got === "object" || typeof got === "function") && typeof got.then === "function") {
      got = await withTimeout(got, call.wall_ms);
    }
  } catch (error) {
    if (error === TIMEOUT) send({ event: "result", id, timed_out: true });
    else send({ event: "result", id, error: describe(error, reportLines), exception: exceptionName(error) });
    return;
  }
  let message;
  try {
    message = JSON.stringify({ event: "result", id, value: pack(got) });
  } catch (error) {
    const what = error instanceof Unpackable ? error.message : "a value that cannot be packed";
    send({ event: "result", id, error: "returned " + what + ", which cannot leave the candidate's process: " + show(got) });
    return;
  }
  if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
    send({ event: "result", id, error: "the returned value takes " + Buffer.byteLength(message) + " bytes; the limit is " + MAX_MESSAGE_BYTES });
    return;
  }
  const data = Buffer.from(message + "\n");
  for (let offset = 0; offset < data.length; ) offset += require("node:fs").writeSync(3, data, offset);
}

async function main() {
  const modulePath = process.argv[2];
  const reportLines = process.argv[3] === "1";
  const requests = new Socket({ fd: 4, readable: true, writable: false });
  requests.pause();
  send({ event: "ready" });
  let find;
  let scope;
  try {
    const namespace = await load(modulePath);
    const declared = globalThis[Symbol.for(${JSON.stringify(CANDIDATE_SYMBOL)})] ?? {};
    find = resolver(declared, namespace);
    scope = scopeOf(declared, namespace);
  } catch (error) {
    send({ event: "load_error", error: describe(error, reportLines) });
    return;
  }
  send({ event: "loaded", globals: scope });
  let pending = "";
  requests.setEncoding("utf8");
  for await (const chunk of requests) {
    pending += chunk;
    for (let newline = pending.indexOf("\n"); newline !== -1; newline = pending.indexOf("\n")) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      await serve(find, JSON.parse(line), reportLines);
    }
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

/**
 * Loaded with `--require` before the test program, in a process that holds no candidate code: reads
 * the solution's scope from fd 4 and makes each of its functions a global stand-in.
 */
export const NODE_CHECKER = String.raw`"use strict";
const { readSync } = require("node:fs");
${SEND}${PACK}
let pending = Buffer.alloc(0);
let nextId = 0;
const chunk = Buffer.alloc(65536);
const nap = new Int32Array(new SharedArrayBuffer(4));

function readMessage() {
  while (pending.indexOf(10) === -1) {
    let count;
    try {
      count = readSync(4, chunk, 0, chunk.length, null);
    } catch (error) {
      if (error.code === "EAGAIN") {
        Atomics.wait(nap, 0, 0, 1);
        continue;
      }
      throw error;
    }
    if (count === 0) throw new Error("the candidate's process ended");
    pending = Buffer.concat([pending, chunk.subarray(0, count)]);
  }
  const newline = pending.indexOf(10);
  const line = pending.subarray(0, newline).toString("utf8");
  pending = pending.subarray(newline + 1);
  return JSON.parse(line);
}

const ERRORS = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, Error };

function standIn(name) {
  return function (...args) {
    const id = ++nextId;
    send({ event: "call", id, name, args: args.map((arg) => pack(arg)) });
    const reply = readMessage();
    if (reply.id !== id) throw new Error("the candidate's process answered out of turn");
    if (reply.timed_out === true) throw new Error(name + "() timed out");
    if (reply.error !== undefined) {
      const Kind = ERRORS[reply.exception] ?? Error;
      throw new Kind(reply.error);
    }
    return unpack(reply.value);
  };
}

send({ event: "ready" });
for (const entry of readMessage().globals) {
  if (entry.name.startsWith("__") || entry.name in globalThis) continue;
  globalThis[entry.name] = entry.kind === "callable" ? standIn(entry.name) : unpack(entry.value);
}
`;
