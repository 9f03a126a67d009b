/**
 * Values as they leave a candidate's process: a tagged JSON form that keeps what plain JSON would lose
 * (Python's tuples, sets, exact integers and dict keys; JavaScript's `undefined`, `-0`, `NaN`, BigInt,
 * Map and Set), so that the verdict can be reached outside the candidate's process without guessing.
 *
 * - `null`, booleans and strings stand for themselves;
 * - `{"i": "123"}` an integer (Python `int`, JavaScript `bigint`), `{"f": "0.5"}` a float or a JavaScript
 *   number in its own spelling (`"NaN"`, `"-0"`, `"inf"`), `{"u": 1}` JavaScript's `undefined`;
 * - `{"l": [...]}` a list or array, `{"t": [...]}` a tuple, `{"s": [...]}` / `{"fs": [...]}` a set or
 *   frozenset, `{"d": [[key, value], ...]}` a Python dict, `{"o": [[key, value], ...]}` a JavaScript object
 *   (string keys), `{"m": [[key, value], ...]}` a Map, `{"b": "hex"}` bytes.
 *
 * `sameAsJson` compares such a value with a bank's expected JSON value by JSON semantics, the rules the
 * bank's examples are written in: a tuple equals a list, `True` is not `1`, dict keys are compared as
 * JSON would write them, `undefined` equals `null`, and two numbers that are not both integers are equal
 * within a relative tolerance of 1e-9. What JSON cannot hold (a set, bytes, a Map, NaN) equals nothing.
 */
import type { RuntimeKind } from "./runtimes.js";

export type Packed =
  | null
  | boolean
  | string
  | { i: string }
  | { f: string }
  | { u: 1 }
  | { l: Packed[] }
  | { t: Packed[] }
  | { s: Packed[] }
  | { fs: Packed[] }
  | { d: [Packed, Packed][] }
  | { o: [string, Packed][] }
  | { m: [Packed, Packed][] }
  | { b: string };

const MAX_DEPTH = 202;
const INTEGER = /^-?\d+$/;
const HEX = /^(?:[0-9a-f]{2})*$/;

/** True when `value` (parsed JSON from a candidate's process) is a well-formed packed value. */
export function isPacked(value: unknown, depth = 0): value is Packed {
  if (depth > MAX_DEPTH) return false;
  if (value === null || typeof value === "boolean" || typeof value === "string") return true;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  if (entries.length !== 1) return false;
  const [tag, inner] = entries[0] as [string, unknown];
  switch (tag) {
    case "i":
      return typeof inner === "string" && INTEGER.test(inner);
    case "f":
      return typeof inner === "string" && inner.length <= 64;
    case "u":
      return inner === 1;
    case "b":
      return typeof inner === "string" && HEX.test(inner);
    case "l":
    case "t":
    case "s":
    case "fs":
      return Array.isArray(inner) && inner.every((item) => isPacked(item, depth + 1));
    case "d":
    case "m":
      return Array.isArray(inner) && inner.every((pair) => isPair(pair, depth, isPacked));
    case "o":
      return (
        Array.isArray(inner) && inner.every((pair) => isPair(pair, depth, (key) => typeof key === "string"))
      );
    default:
      return false;
  }
}

function isPair(pair: unknown, depth: number, key: (value: unknown, depth: number) => boolean): boolean {
  return Array.isArray(pair) && pair.length === 2 && key(pair[0], depth + 1) && isPacked(pair[1], depth + 1);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A number as the candidate's runtime spelled it; `null` when it is not one. */
function floatOf(text: string): number | null {
  switch (text) {
    case "nan":
    case "NaN":
      return Number.NaN;
    case "inf":
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
  }
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}

function closeEnough(got: number, want: number, bothIntegers: boolean): boolean {
  if (got === want) return true;
  if (!Number.isFinite(got) || !Number.isFinite(want) || bothIntegers) return false;
  return Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(got), Math.abs(want));
}

function sameNumber(got: Packed, want: number, runtime: RuntimeKind): boolean {
  if (got === null || typeof got !== "object") return false;
  if ("i" in got) {
    // A JavaScript BigInt is not a number; a Python int is, and is exact.
    if (runtime === "node") return false;
    if (Number.isInteger(want)) {
      return Number.isSafeInteger(want) ? BigInt(got.i) === BigInt(want) : Number(got.i) === want;
    }
    return closeEnough(Number(got.i), want, false);
  }
  if ("f" in got) {
    const value = floatOf(got.f);
    if (value === null) return false;
    // Python's float is never an integer for the exactness rule; a JavaScript number is when integral.
    const integral = runtime === "node" && Number.isInteger(value) && Number.isInteger(want);
    return closeEnough(value, want, integral);
  }
  return false;
}

/** A Python dict key as `json.dumps` writes it; `null` when JSON has no key for it. */
function jsonKey(key: Packed): string | null {
  if (typeof key === "string") return key;
  if (key === null) return "null";
  if (typeof key === "boolean") return key ? "true" : "false";
  if ("i" in key) return key.i;
  if ("f" in key) {
    const value = floatOf(key.f);
    if (value === null) return null;
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return key.f;
  }
  return null;
}

function isUndefined(value: Packed): boolean {
  return value !== null && typeof value === "object" && "u" in value;
}

/** Whether a packed value equals the bank's expected JSON value, by JSON semantics. */
export function sameAsJson(got: Packed, want: unknown, runtime: RuntimeKind, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const expected = (want ?? null) as Json;
  if (expected === null) return got === null || isUndefined(got);
  if (typeof expected === "boolean" || typeof expected === "string") return got === expected;
  if (typeof expected === "number") return sameNumber(got, expected, runtime);
  if (got === null || typeof got !== "object") return false;
  if (Array.isArray(expected)) {
    const items = "l" in got ? got.l : "t" in got ? got.t : null;
    return (
      items !== null &&
      items.length === expected.length &&
      items.every((item, index) => sameAsJson(item, expected[index], runtime, depth + 1))
    );
  }
  let pairs: [string, Packed][];
  if ("o" in got) {
    pairs = got.o.filter(([, item]) => !isUndefined(item));
  } else if ("d" in got) {
    pairs = [];
    for (const [key, item] of got.d) {
      const name = jsonKey(key);
      if (name === null) return false;
      pairs.push([name, item]);
    }
  } else {
    return false;
  }
  const keys = Object.keys(expected);
  const seen = new Map(pairs);
  return (
    seen.size === pairs.length &&
    seen.size === keys.length &&
    keys.every(
      (key) => seen.has(key) && sameAsJson(seen.get(key) as Packed, expected[key], runtime, depth + 1),
    )
  );
}

const SHOWN_CHARS = 200;

/**
 * The value for a result line, cut to a couple of hundred characters: compact JSON where JSON can hold
 * it (as the examples are written), the runtime's own notation for what it cannot (a set, a BigInt).
 */
export function showPacked(value: Packed, runtime: RuntimeKind): string {
  const text = render(value, runtime, 0);
  return text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}...`;
}

function render(value: Packed, runtime: RuntimeKind, depth: number): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (depth > 20) return "...";
  const list = (items: Packed[]) => items.map((item) => render(item, runtime, depth + 1)).join(",");
  const python = runtime === "python";
  if ("i" in value) return python ? value.i : `${value.i}n`;
  if ("f" in value) return value.f;
  if ("u" in value) return "undefined";
  if ("l" in value) return `[${list(value.l)}]`;
  if ("t" in value) return `[${list(value.t)}]`;
  if ("s" in value)
    return value.s.length === 0 ? (python ? "set()" : "Set {}") : `${python ? "" : "Set "}{${list(value.s)}}`;
  if ("fs" in value) return `frozenset({${list(value.fs)}})`;
  if ("d" in value) {
    const pairs = value.d.map(([key, item]) => {
      const name = jsonKey(key);
      return `${name === null ? render(key, runtime, depth + 1) : JSON.stringify(name)}:${render(item, runtime, depth + 1)}`;
    });
    return `{${pairs.join(",")}}`;
  }
  if ("m" in value) {
    return `Map {${value.m.map(([key, item]) => `${render(key, runtime, depth + 1)} => ${render(item, runtime, depth + 1)}`).join(", ")}}`;
  }
  if ("o" in value) {
    const pairs = value.o.filter(([, item]) => !isUndefined(item));
    return `{${pairs.map(([key, item]) => `${JSON.stringify(key)}:${render(item, runtime, depth + 1)}`).join(",")}}`;
  }
  return python ? `b'<${value.b.length / 2} bytes>'` : `Buffer <${value.b}>`;
}

/** A JSON value packed as the candidate's runtime would pack it: the arguments of a call. */
export function packJson(value: unknown, runtime: RuntimeKind): Packed {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (runtime === "python" && Number.isInteger(value)) return { i: BigInt(value).toString() };
    return { f: runtime === "python" ? pythonFloat(value) : Object.is(value, -0) ? "-0" : String(value) };
  }
  if (Array.isArray(value)) return { l: value.map((item) => packJson(item, runtime)) };
  const entries = Object.entries(value as Record<string, unknown>);
  if (runtime === "python") return { d: entries.map(([key, item]) => [key, packJson(item, runtime)]) };
  return { o: entries.map(([key, item]) => [key, packJson(item, runtime)]) };
}

/** Python's `float()` reads any spelling JavaScript writes, except that it wants `inf` for Infinity. */
function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return String(value);
}
