/**
 * Reads the tool calls out of one model answer: the backend's native calls first, then the calls the model
 * wrote into its text as JSON, the way local models really write them (fenced or bare, several shapes,
 * Hermes `<tool_call>` tags). Pure and deterministic: the same input gives the same result, in linear time.
 *
 * The text is read with a strict JSON reader of its own instead of `JSON.parse`, for three reasons: it finds
 * where a value ends inside prose (braces and quotes inside strings do not confuse it), it says precisely
 * where and why broken JSON is broken, and its messages do not change with the Node version.
 */
import { canonicalJson } from "../core/shared/canonical-json.js";
import type { ToolCallPart } from "../spec/model.js";
import type { ToolCall, ToolCallSource, ToolParseFailure, ToolParseResult } from "../spec/tools.js";
import {
  APOSTROPHE,
  BACKTICK,
  COMMENT,
  describe,
  type Failure,
  type Frame,
  has,
  isBlank,
  isComment,
  isObject,
  type Json,
  type JsonObject,
  JsonReader,
  LBRACE,
  LBRACKET,
  LT,
  NEWLINE,
  QUOTE,
  RETURN,
  type ReadResult,
  type Span,
  shown,
  skipWhitespace,
} from "./json-reader.js";

/**
 * The calls in `text` (the model's answer) and in `native` (the backend's own tool-call parts), and what
 * looked like a call but could not be read, with why. Native calls come first, with the backend's ids; text
 * calls follow in order of appearance, with ids `call_<n>` (n = 1-based position in `calls`) and source
 * `fenced` (in a ``` fence or a `<tool_call>` block) or `bare` (in prose). A text call equal to a native one
 * (same name, same canonical arguments) is the model echoing it and is dropped. JSON that is not a tool call
 * is ignored; sloppy JSON (trailing commas, comments) is a failure, never a guess.
 */
export function parseToolCalls(text: string, native?: ToolCallPart[]): ToolParseResult {
  const calls: ToolCall[] = [];
  const failures: ToolParseFailure[] = [];
  const usedIds = new Set<string>();
  const nativeKeys = new Map<string, number>();
  const push = (name: string, args: Record<string, unknown>, source: ToolCallSource, id?: string) => {
    let callId = id ?? `call_${calls.length + 1}`;
    for (let n = 2; id === undefined && usedIds.has(callId); n++) callId = `call_${calls.length + 1}_${n}`;
    usedIds.add(callId);
    calls.push({ id: callId, name, args, source });
  };

  for (const part of native ?? []) {
    const excerpt = clip(`${part.toolName}(${part.arguments})`);
    if (part.toolName.trim() === "") {
      failures.push({ excerpt, reason: NO_NAME });
      continue;
    }
    const args = argumentsFrom(part.arguments);
    if (typeof args === "string") {
      failures.push({ excerpt, reason: args });
      continue;
    }
    const key = callKey(part.toolName, args);
    nativeKeys.set(key, (nativeKeys.get(key) ?? 0) + 1);
    push(part.toolName, args, "native", part.toolCallId || undefined);
  }

  const scanner = new TextScanner(text);
  scanner.scanLenient(0, text.length, { fences: true, source: "bare" });
  for (const call of scanner.calls) {
    const key = nativeKeys.size > 0 ? callKey(call.name, call.args) : "";
    const echoes = nativeKeys.get(key) ?? 0;
    if (echoes > 0) {
      nativeKeys.set(key, echoes - 1);
      continue;
    }
    push(call.name, call.args, call.source);
  }
  failures.push(...scanner.failures);
  return { calls, failures };
}

const EXCERPT_LIMIT = 200;
const MAX_TOOL_CALLS_NESTING = 4;
const NO_NAME = "tool call has no name";
const ARGUMENT_KEYS = ["arguments", "args", "parameters"] as const;
/** Fence tags whose content must be JSON; the tool ones must moreover hold nothing but tool calls. */
const JSON_TAGS = new Set(["json", "jsonc", "json5"]);
const TOOL_TAGS = new Set(["tool", "tool_call", "tool_calls", "tool-call", "function_call"]);
const TAG_OPEN = "<tool_call>";
const TAG_CLOSE = "</tool_call>";

interface RegionMode {
  source: ToolCallSource;
  /** Every value in the region is meant as a tool call (```tool_call fences, `<tool_call>` tags). */
  toolIntent: boolean;
}

/** Finds the text calls and the failures, left to right, each character read a bounded number of times. */
class TextScanner {
  readonly calls: Array<{ name: string; args: Record<string, unknown>; source: ToolCallSource }> = [];
  readonly failures: ToolParseFailure[] = [];
  private readonly reader: JsonReader;
  /** Characters that fence look-ahead past a closing fence may still read, so that it stays linear. */
  private overrunBudget: number;
  private nextTagClose = -2;
  private nextTagOpen = -2;

  constructor(private readonly text: string) {
    this.reader = new JsonReader(text);
    this.overrunBudget = text.length;
  }

  /** Prose or an untagged fence: JSON values that are calls, and broken ones that clearly try to be. */
  scanLenient(start: number, end: number, options: { fences: boolean; source: ToolCallSource }): void {
    const { text } = this;
    let i = start;
    while (i < end) {
      let next = -1;
      for (let j = i; j < end && next < 0; j++) {
        const c = text.charCodeAt(j);
        if (c === LBRACE || c === LBRACKET) {
          if (startsCandidate(text, j, end)) next = this.candidate(j, end, options.source);
        } else if (c === LT && text.startsWith(TAG_OPEN, j)) {
          next = this.tag(j, end);
        } else if (c === BACKTICK && options.fences) {
          next = this.fence(j, end);
        }
      }
      if (next < 0) return;
      i = next;
    }
  }

  private candidate(start: number, end: number, source: ToolCallSource): number {
    const result = this.reader.read(start, end);
    if (result.ok) {
      this.interpret(result.value, { start, end: result.end }, { source, toolIntent: false });
      return result.end;
    }
    // Attribute the failure to the outermost open container that is trying to be a call; containers
    // read whole inside the ones around it are still looked at, as a balanced-value scan would.
    const frames = result.frames;
    let culprit = frames.findIndex((_, index) => frameLooksLikeCall(frames, index, this.text));
    if (culprit < 0) culprit = frames.length;
    for (const frame of frames.slice(0, culprit)) {
      for (const child of frame.children ?? [])
        this.interpret(child.value, child, { source, toolIntent: false });
    }
    const frame = frames[culprit];
    if (frame) this.fail(frame.start, end, readFailureReason(result, frame.start, frame.kind));
    return Math.max(result.offset, start + 1);
  }

  /** A Hermes/Qwen `<tool_call>…</tool_call>` block; one left open ends at the next one or at `end`. */
  private tag(start: number, end: number): number {
    const contentStart = start + TAG_OPEN.length;
    if (this.nextTagClose !== -1 && this.nextTagClose < contentStart) {
      this.nextTagClose = this.text.indexOf(TAG_CLOSE, contentStart);
    }
    if (this.nextTagOpen !== -1 && this.nextTagOpen < contentStart) {
      this.nextTagOpen = this.text.indexOf(TAG_OPEN, contentStart);
    }
    const close = this.nextTagClose >= 0 && this.nextTagClose < end ? this.nextTagClose : end;
    let blockEnd = this.nextTagOpen >= 0 && this.nextTagOpen < close ? this.nextTagOpen : close;
    // Some models fence the JSON inside the tags as well; the fence's own tag does not matter there.
    let from = skipWhitespace(this.text, contentStart, blockEnd);
    if (blockEnd < close && this.runsPast(from, close, blockEnd)) blockEnd = close;
    let to = blockEnd;
    const ticks = backtickRun(this.text, from, blockEnd);
    if (ticks >= 3) {
      const bodyStart = Math.min(indexOrEnd(this.text, "\n", from, blockEnd) + 1, blockEnd);
      to = findFenceCloser(this.text, bodyStart, blockEnd, ticks)?.start ?? blockEnd;
      from = bodyStart;
    }
    this.scanStrict(from, to, { source: "fenced", toolIntent: true }, undefined);
    if (blockEnd < close) return blockEnd;
    return close < end ? close + TAG_CLOSE.length : end;
  }

  /**
   * A `<tool_call>` before the closing tag means the block was left open, unless it sits inside the JSON
   * (a file's content, say): whether the value read up to the closing tag runs past it.
   */
  private runsPast(from: number, close: number, opener: number): boolean {
    if (this.overrunBudget <= 0) return false;
    const result = this.reader.read(from, close);
    const reached = result.ok ? result.end : result.offset;
    this.overrunBudget -= Math.max(0, reached - opener);
    return result.ok && result.end > opener;
  }

  /** A Markdown code fence opened at `start` (backticks at the start of a line), or -1 when it is none. */
  private fence(start: number, end: number): number {
    const { text } = this;
    let lineStart = start;
    while (lineStart > 0 && isBlank(text.charCodeAt(lineStart - 1))) lineStart--;
    if (lineStart > 0 && text.charCodeAt(lineStart - 1) !== NEWLINE) return -1;
    const ticks = backtickRun(text, start, end);
    if (ticks < 3) return -1;
    const lineEnd = indexOrEnd(text, "\n", start, end);
    const info = text.slice(start + ticks, lineEnd).trim();
    if (info.includes("`")) return -1;
    const contentStart = Math.min(lineEnd + 1, end);
    const closer = findFenceCloser(text, contentStart, end, ticks);
    const regionEnd = closer?.start ?? end;
    const after = closer?.end ?? end;
    const tag = (info.split(/\s/, 1)[0] ?? "").toLowerCase();
    if (tag === "") {
      this.scanLenient(contentStart, regionEnd, { fences: false, source: "fenced" });
      return after;
    }
    if (!JSON_TAGS.has(tag) && !TOOL_TAGS.has(tag)) return after;
    const mode = { source: "fenced", toolIntent: TOOL_TAGS.has(tag) } as const;
    return this.scanStrict(contentStart, regionEnd, mode, { ticks, end }) ?? after;
  }

  /**
   * A region that must hold JSON values only (a ```json or ```tool_call fence, a `<tool_call>` block),
   * separated by white space. Returns where scanning goes on when the fence closed elsewhere than on its
   * own line: right after the value (`}````), or after a value that ran through a ``` line inside a string.
   */
  private scanStrict(
    start: number,
    end: number,
    mode: RegionMode,
    fence: { ticks: number; end: number } | undefined,
  ): number | undefined {
    const { text } = this;
    let i = skipWhitespace(text, start, end);
    let values = 0;
    while (i < end) {
      const closeAt = fence ? closingTicksAt(text, i, fence.end, fence.ticks) : -1;
      if (closeAt >= 0) return closeAt;
      const c = text.charCodeAt(i);
      if (values > 0 && c !== LBRACE && c !== LBRACKET) {
        const detail = isComment(text, i, end)
          ? COMMENT
          : `unexpected text after the JSON value, found ${shown(c)}`;
        this.fail(i, end, `invalid JSON at offset 0: ${detail}`);
        return undefined;
      }
      let result = this.reader.read(i, end);
      if (!result.ok && result.unterminated && fence && fence.end > end) {
        const overrun = this.readPastFence(i, end, fence);
        if (overrun) result = overrun;
      }
      if (!result.ok) {
        this.fail(i, end, readFailureReason(result, i));
        return undefined;
      }
      this.interpret(result.value, { start: i, end: result.end }, mode);
      values++;
      if (fence && result.end > end) {
        // The value ran past the line we took for the closing fence; the fence closes right after it.
        const closeAt = closingTicksAt(
          text,
          skipWhitespace(text, result.end, fence.end),
          fence.end,
          fence.ticks,
        );
        return closeAt >= 0 ? closeAt : result.end;
      }
      i = skipWhitespace(text, result.end, end);
    }
    if (values === 0 && mode.toolIntent) this.fail(start, end, "empty tool call block: no JSON in it");
    return undefined;
  }

  /**
   * A value cut off by the fence's closing line may hold that line inside a string (a README written with
   * raw newlines). Read on past it; the value counts only if it then ends and a fence closes right after.
   */
  private readPastFence(
    start: number,
    end: number,
    fence: { ticks: number; end: number },
  ): ReadResult | undefined {
    if (this.overrunBudget <= 0) return undefined;
    const limit = Math.min(fence.end, end + this.overrunBudget);
    const result = this.reader.read(start, limit);
    this.overrunBudget -= (result.ok ? result.end : result.offset) - end;
    if (!result.ok) return undefined;
    const after = skipWhitespace(this.text, result.end, fence.end);
    return closingTicksAt(this.text, after, fence.end, fence.ticks) >= 0 ? result : undefined;
  }

  /** A JSON value read whole: the calls in it, if it is meant as calls. */
  private interpret(value: Json, span: Span, mode: RegionMode): void {
    if (Array.isArray(value)) {
      if (!mode.toolIntent && !value.some(isCallLike)) return;
      value.forEach((element, index) => {
        const at = this.spanOf(element, span);
        if (isObject(element)) this.call(element, at, mode, 0);
        else this.fail(at.start, at.end, `array element ${index} is not a tool call object`);
      });
    } else if (isObject(value)) {
      if (mode.toolIntent || isCallLike(value)) this.call(value, span, mode, 0);
    } else if (mode.toolIntent) {
      this.fail(span.start, span.end, `expected a tool call object, found ${describe(value)}`);
    }
  }

  private call(value: JsonObject, span: Span, mode: RegionMode, depth: number): void {
    if (!has(value, "tool_calls")) {
      const read = readCall(value, mode.toolIntent);
      if (typeof read === "string") this.fail(span.start, span.end, read);
      else if (read) this.calls.push({ name: read.name, args: read.args, source: mode.source });
      return;
    }
    const list = value.tool_calls;
    if (!Array.isArray(list)) {
      this.fail(span.start, span.end, "tool_calls is not an array");
    } else if (depth >= MAX_TOOL_CALLS_NESTING) {
      this.fail(span.start, span.end, "tool_calls nested too deeply");
    } else {
      list.forEach((entry, index) => {
        const at = this.spanOf(entry, span);
        if (isObject(entry)) this.call(entry, at, { ...mode, toolIntent: true }, depth + 1);
        else this.fail(at.start, at.end, `tool_calls entry ${index} is not an object`);
      });
    }
  }

  private spanOf(value: Json, fallback: Span): Span {
    return (typeof value === "object" && value !== null && this.reader.spans.get(value)) || fallback;
  }

  private fail(start: number, end: number, reason: string): void {
    const excerpt = clip(this.text.slice(start, Math.min(end, start + EXCERPT_LIMIT + 1)));
    this.failures.push({ excerpt, reason });
  }
}

/**
 * One call object in any of the shapes models write: its name and arguments, why it cannot be read, or
 * undefined when it is an echoed tool definition (`{name, description, parameters: schema}`) outside a block
 * meant for calls.
 */
function readCall(
  value: JsonObject,
  toolIntent: boolean,
): { name: string; args: Record<string, unknown> } | string | undefined {
  let holder = value;
  let name: Json | undefined = value.name;
  if (has(value, "function")) {
    const fn = value.function;
    if (isObject(fn)) {
      holder = fn;
      name = fn.name;
    } else {
      name = fn;
    }
  } else if (has(value, "tool")) {
    name = value.tool;
  }
  const isDefinition = has(holder, "description") && has(holder, "parameters");
  if (isDefinition && !has(holder, "arguments") && !has(holder, "args")) {
    return toolIntent ? "a tool definition (description, parameters), not a call" : undefined;
  }
  if (typeof name !== "string" || name.trim() === "") return NO_NAME;
  let argsKey: string | undefined;
  for (const key of ARGUMENT_KEYS) {
    if (!has(holder, key)) continue;
    if (argsKey !== undefined) return `ambiguous arguments: "${argsKey}" and "${key}" are both set`;
    argsKey = key;
  }
  const args = argumentsFrom(argsKey === undefined ? undefined : holder[argsKey]);
  return typeof args === "string" ? args : { name, args };
}

/** Arguments as the call gave them: an object, a JSON string of one, or nothing. A string says why not. */
function argumentsFrom(raw: Json | undefined): Record<string, unknown> | string {
  if (raw === undefined || raw === null) return {};
  let value: Json = raw;
  if (typeof raw === "string") {
    if (raw.trim() === "") return {};
    const result = new JsonReader(raw).read(0, raw.length);
    if (!result.ok) return `arguments string is not valid JSON: ${readFailureReason(result, 0)}`;
    const rest = skipWhitespace(raw, result.end, raw.length);
    if (rest < raw.length) {
      const found = shown(raw.charCodeAt(rest));
      return `arguments string is not valid JSON: invalid JSON at offset ${rest}: unexpected text after the JSON value, found ${found}`;
    }
    value = result.value;
  }
  return isObject(value) ? value : `arguments is not an object (found ${describe(value)})`;
}

/** Looks like a call at a glance: decides whether a valid JSON value outside a tool block is interpreted. */
function isCallLike(value: Json): boolean {
  if (!isObject(value)) return false;
  if (has(value, "tool_calls") || has(value, "tool") || has(value, "function")) return true;
  if (value.type === "function") return true;
  return has(value, "name") && ARGUMENT_KEYS.some((key) => has(value, key));
}

/** Whether an open (broken) container is trying to be a call, from the keys read before it broke. */
function frameLooksLikeCall(frames: Frame[], index: number, text: string): boolean {
  const frame = frames[index];
  if (!frame) return false;
  if (Array.isArray(frame.value)) {
    const first = frame.value[0];
    if (first !== undefined) return isCallLike(first);
    return frames[index + 1] !== undefined && frameLooksLikeCall(frames, index + 1, text);
  }
  const keys = Object.keys(frame.value);
  if (frame.key !== undefined) keys.push(frame.key);
  if (keys.length === 0)
    return /^\{\s*'(?:tool|tool_calls|function|name)'\s*:/.test(text.slice(frame.start, frame.start + 40));
  if (keys.some((key) => key === "tool" || key === "tool_calls" || key === "function")) return true;
  return keys.includes("name") && keys.some((key) => (ARGUMENT_KEYS as readonly string[]).includes(key));
}

/** Offsets count from `base`, the first character of the excerpt the failure is reported with. */
function readFailureReason(result: Failure, base: number, kind?: "object" | "array"): string {
  if (result.unterminated) {
    const what = kind ?? result.frames[0]?.kind ?? (result.inString ? "string" : "value");
    return `unterminated JSON ${what}${result.inString ? " (the text ends inside a string)" : ""}`;
  }
  return `invalid JSON at offset ${result.offset - base}: ${result.message()}`;
}

function callKey(name: string, args: Record<string, unknown>): string {
  return `${name}\u0000${canonicalJson(args)}`;
}

/** `{` followed by a quoted key, or `[` followed by such an object: where a JSON call may start in prose. */
function startsCandidate(text: string, at: number, end: number): boolean {
  let i = at;
  if (text.charCodeAt(i) === LBRACKET) {
    i = skipWhitespace(text, i + 1, end);
    if (text.charCodeAt(i) !== LBRACE) return false;
  }
  i = skipWhitespace(text, i + 1, end);
  const c = i < end ? text.charCodeAt(i) : Number.NaN;
  return c === QUOTE || c === APOSTROPHE;
}

function backtickRun(text: string, at: number, end: number): number {
  let i = at;
  while (i < end && text.charCodeAt(i) === BACKTICK) i++;
  return i - at;
}

/** When a fence closes at `at` (enough backticks, then only blanks to the end of the line): the end of that line. */
function closingTicksAt(text: string, at: number, end: number, ticks: number): number {
  const run = backtickRun(text, at, end);
  if (run < ticks) return -1;
  let i = at + run;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  if (i >= end) return end;
  if (text.charCodeAt(i) === RETURN) i++;
  return text.charCodeAt(i) === NEWLINE ? i + 1 : -1;
}

/** The first closing line of a fence at or after `from`: its start and the position after it. */
function findFenceCloser(text: string, from: number, end: number, ticks: number): Span | undefined {
  let line = from;
  while (line < end) {
    let i = line;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    const after = closingTicksAt(text, i, end, ticks);
    if (after >= 0) return { start: line, end: after };
    const eol = text.indexOf("\n", i);
    if (eol < 0 || eol >= end) return undefined;
    line = eol + 1;
  }
  return undefined;
}

function indexOrEnd(text: string, needle: string, from: number, end: number): number {
  const at = text.indexOf(needle, from);
  return at < 0 || at > end ? end : at;
}

function clip(text: string): string {
  if (text.length <= EXCERPT_LIMIT) return text;
  const cut = EXCERPT_LIMIT - (isHighSurrogate(text.charCodeAt(EXCERPT_LIMIT - 1)) ? 1 : 0);
  return text.slice(0, cut);
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
