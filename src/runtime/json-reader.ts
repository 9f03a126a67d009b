/**
 * A strict JSON reader for text written by models: it reads one value at a position, reports where and why
 * it stopped when the value is broken (which open containers it was in, whether a string was open), and
 * never recurses, so no input can overflow the stack. The tool-call parser builds on it.
 */

/** Deeper JSON is not a tool call; the limit also keeps every recursive step below it safe. */
export const MAX_DEPTH = 100;
/** Array elements this deep (root = 0) or less are mapped to their place in the text, for excerpts. */
export const SPAN_DEPTH = 3;
/** Strings longer than this with escapes but no raw control characters are decoded by `JSON.parse`. */
export const LONG_STRING = 256;

export type JsonObject = { [key: string]: Json };
export type Json = null | boolean | number | string | Json[] | JsonObject;
export type Container = JsonObject | Json[];

export interface Span {
  start: number;
  end: number;
}

export interface Frame {
  kind: "object" | "array";
  start: number;
  value: Container;
  /** The property whose value is being read (objects). */
  key: string | undefined;
  /** Containers inside this one that were read whole, in order. */
  children: Array<Span & { value: Container }> | undefined;
}

export type ReadResult =
  | { ok: true; value: Json; end: number }
  | {
      ok: false;
      offset: number;
      message: () => string;
      /** The text ended before the value did. */
      unterminated: boolean;
      inString: boolean;
      /** The containers open when reading stopped, outermost first. */
      frames: Frame[];
    };

// --- the JSON reader -------------------------------------------------------------------------------------

export const TAB = 0x09;
export const NEWLINE = 0x0a;
export const RETURN = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const APOSTROPHE = 0x27;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const ZERO = 0x30;
export const SLASH = 0x2f;
export const COLON = 0x3a;
export const LT = 0x3c;
export const LBRACKET = 0x5b;
export const BACKSLASH = 0x5c;
export const RBRACKET = 0x5d;
export const BACKTICK = 0x60;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;

export const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

export type Failure = Extract<ReadResult, { ok: false }>;
/** A failed read's explanation, built only when the failure is reported: most failed reads are prose. */
export type Message = () => string;

/**
 * Strict JSON (RFC 8259) read from an offset up to a bound, without recursion. One leniency, because it is
 * unambiguous: raw tabs and newlines inside strings, which small models write in file contents, are kept.
 * The elements of arrays near the root are mapped to where they stand in the text, for excerpts.
 */
export class JsonReader {
  /** Where the elements of arrays near the root stand: the entries of a list of calls. */
  readonly spans = new Map<object, Span>();
  private frames: Frame[] = [];

  constructor(private readonly text: string) {}

  read(start: number, end: number): ReadResult {
    const { text } = this;
    const frames: Frame[] = [];
    this.frames = frames;
    let i = start;
    for (;;) {
      // A value is expected at i.
      i = skipWhitespace(text, i, end);
      if (i >= end) return this.unterminated(end);
      const c = text.charCodeAt(i);
      let value: Json;
      if (c === LBRACE || c === LBRACKET) {
        if (frames.length >= MAX_DEPTH)
          return this.fail(i, () => `JSON nested deeper than ${MAX_DEPTH} levels`);
        const isObject = c === LBRACE;
        const frame: Frame = {
          kind: isObject ? "object" : "array",
          start: i,
          value: isObject ? {} : [],
          key: undefined,
          children: undefined,
        };
        frames.push(frame);
        i = skipWhitespace(text, i + 1, end);
        if (i >= end) return this.unterminated(end);
        if (text.charCodeAt(i) !== (isObject ? RBRACE : RBRACKET)) {
          if (!isObject) continue;
          const key = this.readKey(i, end);
          if (typeof key !== "number") return key;
          i = key;
          continue;
        }
        frames.pop();
        value = frame.value;
        i++;
        this.closed(frame, i, frames);
      } else {
        const read = c === QUOTE ? this.readString(i, end) : this.readScalar(i, end);
        if ("ok" in read) return read;
        value = read.value;
        i = read.end;
      }
      // After a value: attach it, then expect a separator or the end of the container.
      for (;;) {
        const top = frames.at(-1);
        if (!top) return { ok: true, value, end: i };
        if (Array.isArray(top.value)) top.value.push(value);
        else if (top.key !== undefined) setProperty(top.value, top.key, value);
        top.key = undefined;
        i = skipWhitespace(text, i, end);
        if (i >= end) return this.unterminated(end);
        const ch = text.charCodeAt(i);
        const isObject = top.kind === "object";
        const closer = isObject ? RBRACE : RBRACKET;
        if (ch === closer) {
          frames.pop();
          value = top.value;
          i++;
          this.closed(top, i, frames);
          continue;
        }
        if (ch !== COMMA) {
          if (isComment(text, i, end)) return this.fail(i, () => COMMENT);
          const what = isObject ? "',' or '}' after a property value" : "',' or ']' after an array element";
          return this.fail(i, () => `expected ${what}, found ${shown(ch)}`);
        }
        i = skipWhitespace(text, i + 1, end);
        if (i >= end) return this.unterminated(end);
        if (text.charCodeAt(i) === closer) {
          return this.fail(i, () => `trailing comma before '${isObject ? "}" : "]"}'`);
        }
        if (isObject) {
          const key = this.readKey(i, end);
          if (typeof key !== "number") return key;
          i = key;
        }
        break;
      }
    }
  }

  private fail(offset: number, message: Message, unterminated = false, inString = false): Failure {
    return { ok: false, offset, message, unterminated, inString, frames: this.frames };
  }

  private unterminated(end: number, inString = false): Failure {
    return this.fail(end, () => "", true, inString);
  }

  private closed(frame: Frame, end: number, frames: Frame[]): void {
    const parent = frames.at(-1);
    if (!parent) return;
    if (parent.kind === "array" && frames.length <= SPAN_DEPTH) {
      this.spans.set(frame.value, { start: frame.start, end });
    }
    parent.children ??= [];
    parent.children.push({ value: frame.value, start: frame.start, end });
  }

  /** A property name and its colon, at i (after `{` or `,` and white space); sets the frame's key. */
  private readKey(i: number, end: number): number | Failure {
    const { text } = this;
    const c = text.charCodeAt(i);
    if (c !== QUOTE) {
      if (isComment(text, i, end)) return this.fail(i, () => COMMENT);
      if (c === APOSTROPHE) return this.fail(i, () => `property names must be in double quotes, found "'"`);
      return this.fail(i, () => `expected a property name in double quotes, found ${shown(c)}`);
    }
    const key = this.readString(i, end);
    if ("ok" in key) return key;
    const frame = this.frames.at(-1);
    if (frame) frame.key = key.value;
    const colon = skipWhitespace(text, key.end, end);
    if (colon >= end) return this.unterminated(end);
    const found = text.charCodeAt(colon);
    if (found !== COLON) {
      return this.fail(
        colon,
        () => `expected ':' after property name ${JSON.stringify(key.value)}, found ${shown(found)}`,
      );
    }
    return colon + 1;
  }

  /** A string at `start` (its opening quote): validated in one pass, then decoded the cheapest way. */
  private readString(start: number, end: number): { value: string; end: number } | Failure {
    const { text } = this;
    let escapes = false;
    let raw = false;
    for (let i = start + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        // Native JSON.parse decodes long strings fastest; for short ones its call costs more than it saves.
        let value = text.slice(start + 1, i);
        if (escapes) {
          value =
            raw || i - start < LONG_STRING
              ? decodeString(text, start + 1, i)
              : (JSON.parse(text.slice(start, i + 1)) as string);
        }
        return { value, end: i + 1 };
      }
      if (c === BACKSLASH) {
        escapes = true;
        if (i + 1 >= end) break;
        const e = text.charAt(i + 1);
        if (e === "u") {
          if (i + 6 > end) break;
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            return this.fail(i, () => `invalid unicode escape '\\u${hex}' in a string`);
          }
          i += 5;
        } else if (ESCAPES[e] !== undefined) {
          i++;
        } else {
          return this.fail(i, () => `invalid escape '\\${e}' in a string`);
        }
      } else if (c < SPACE) {
        if (c !== TAB && c !== NEWLINE && c !== RETURN) {
          return this.fail(
            i,
            () => `control character U+${c.toString(16).toUpperCase().padStart(4, "0")} in a string`,
          );
        }
        raw = true;
      }
    }
    return this.unterminated(end, true);
  }

  private readScalar(start: number, end: number): { value: Json; end: number } | Failure {
    const { text } = this;
    for (const [word, value] of LITERALS) {
      const available = Math.min(word.length, end - start);
      if (text.startsWith(word.slice(0, available), start)) {
        return available < word.length ? this.unterminated(end) : { value, end: start + word.length };
      }
    }
    const c = text.charCodeAt(start);
    if (c === MINUS || isDigit(c)) return this.readNumber(start, end);
    if (c === APOSTROPHE) return this.fail(start, () => `strings must be in double quotes, found "'"`);
    if (isComment(text, start, end)) return this.fail(start, () => COMMENT);
    const python = /^(True|False|None)\b/.exec(text.slice(start, start + 6))?.[1];
    if (python) return this.fail(start, () => `Python's ${python} is not JSON`);
    return this.fail(start, () => `expected a JSON value, found ${shown(c)}`);
  }

  private readNumber(start: number, end: number): { value: number; end: number } | Failure {
    const { text } = this;
    let i = start;
    const digits = () => {
      const from = i;
      while (i < end && isDigit(text.charCodeAt(i))) i++;
      return i - from;
    };
    const missingDigit = (after: string) => {
      const found = text.charCodeAt(i);
      return this.fail(i, () => `invalid number: a digit must follow ${after}, found ${shown(found)}`);
    };
    if (text.charCodeAt(i) === MINUS) i++;
    if (i >= end) return this.unterminated(end);
    if (text.charCodeAt(i) === ZERO) i++;
    else if (digits() === 0) return missingDigit("'-'");
    if (i < end && text.charCodeAt(i) === DOT) {
      i++;
      if (i >= end) return this.unterminated(end);
      if (digits() === 0) return missingDigit("'.'");
    }
    const e = i < end ? text.charCodeAt(i) : Number.NaN;
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = i < end ? text.charCodeAt(i) : Number.NaN;
      if (sign === 0x2b || sign === MINUS) i++;
      if (i >= end) return this.unterminated(end);
      if (digits() === 0) return missingDigit("the exponent");
    }
    const value = Number(text.slice(start, i));
    if (!Number.isFinite(value)) return this.fail(start, () => "number out of range");
    return { value, end: i };
  }
}

export const LITERALS: Array<[string, Json]> = [
  ["true", true],
  ["false", false],
  ["null", null],
];
export const COMMENT = "comments are not allowed in JSON";

/** Decodes the validated body of a string that has both escapes and raw control characters. */
export function decodeString(text: string, from: number, to: number): string {
  const parts: string[] = [];
  let chunk = from;
  for (let i = from; i < to; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    parts.push(text.slice(chunk, i));
    const e = text.charAt(i + 1);
    if (e === "u") {
      parts.push(String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16)));
      i += 5;
    } else {
      parts.push(ESCAPES[e] ?? e);
      i++;
    }
    chunk = i + 1;
  }
  parts.push(text.slice(chunk, to));
  return parts.join("");
}

export function setProperty(target: JsonObject, key: string, value: Json): void {
  // `__proto__` from the text must become a plain property, as with JSON.parse, not a prototype.
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// --- small helpers ---------------------------------------------------------------------------------------

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function has(value: JsonObject, key: string): boolean {
  return Object.hasOwn(value, key);
}

export function describe(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

export function isComment(text: string, i: number, end: number): boolean {
  const next = i + 1 < end ? text.charCodeAt(i + 1) : Number.NaN;
  return text.charCodeAt(i) === SLASH && (next === SLASH || next === 0x2a);
}

export function skipWhitespace(text: string, i: number, end: number): number {
  let at = i;
  for (; at < end; at++) {
    const c = text.charCodeAt(at);
    if (c !== SPACE && c !== NEWLINE && c !== RETURN && c !== TAB) break;
  }
  return at;
}

export function shown(c: number): string {
  return Number.isNaN(c) ? "the end of the text" : JSON.stringify(String.fromCharCode(c));
}
