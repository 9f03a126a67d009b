/**
 * Trace files on disk: writing a determinism or retrieval trace under its size cap (cut at an event
 * boundary, with a `metadata.truncation` marker), and reading one back with errors that name the file
 * and what is wrong with it (`BAD_TRACE`), so the CLI can print one line and exit 2.
 */
import { readFile } from "node:fs/promises";
import { formatPath } from "../core/memory/trace-check.js";
import {
  DEFAULT_MAX_TRACE_BYTES,
  DETERMINISM_TRACE_VERSION,
  type DeterminismTrace,
  DeterminismTraceSchema,
  RETRIEVAL_TRACE_VERSION,
  type RetrievalTrace,
  RetrievalTraceSchema,
} from "../spec/memory.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { writeFileAtomic } from "../store/atomic-file.js";

export type TraceKind = "determinism" | "retrieval";

/** A trace file that cannot be read, is not JSON, or is not the trace it should be. */
export class TraceFileError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_TRACE: "usage" };
  override readonly code = "BAD_TRACE";
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

export interface CappedTrace {
  /** The document: JSON, 2-space indent, trailing newline. */
  text: string;
  truncated: boolean;
  /** Size of the whole trace before any cut, in UTF-8 bytes. */
  originalBytes: number;
  keptEvents: number;
  /** False only when even the trace without events is over the cap (then no events are kept). */
  withinCap: boolean;
}

/** Any trace: an envelope with `events` and `metadata` (determinism and retrieval traces both are). */
export interface TraceDocument {
  events: readonly unknown[];
  metadata?: unknown;
}

const SEPARATOR = Buffer.from(",\n    "); // between elements of the top-level `events` array
const SPACE = 0x20;
const HOLE = JSON.stringify("\u0000orket-events\u0000");

/**
 * The trace as JSON, no bigger than `maxBytes` (UTF-8). Over the cap, keeps the longest prefix of events
 * that fits with the marker `metadata: {truncated: true, truncation: {original_bytes, kept_events}}`; the
 * bytes are exactly `JSON.stringify(doc, null, 2)` of that document.
 *
 * Fast for big traces: the whole trace is serialized once, and the events are cut out of those bytes
 * rather than serialized one by one. In 2-space JSON an element of the top-level `events` array follows
 * `,\n` and exactly four spaces; anything nested inside an event is indented further, and strings hold
 * no raw newlines, so those separators are the event boundaries.
 */
export function serializeCapped(trace: TraceDocument, maxBytes = DEFAULT_MAX_TRACE_BYTES): CappedTrace {
  const full = `${JSON.stringify(trace, null, 2)}\n`;
  const originalBytes = Buffer.byteLength(full, "utf8");
  if (originalBytes <= maxBytes) {
    return { text: full, truncated: false, originalBytes, keptEvents: trace.events.length, withinCap: true };
  }
  const bytes = Buffer.from(full, "utf8");
  // The same document with a placeholder for the events serializes identically up to them.
  const probe = `${JSON.stringify({ ...trace, events: JSON.parse(HOLE) }, null, 2)}\n`;
  const holeAt = probe.indexOf(HOLE);
  const start = Buffer.byteLength(probe.slice(0, holeAt), "utf8");
  const end = start + originalBytes - Buffer.byteLength(probe, "utf8") + HOLE.length; // just past "]"
  const ends = eventEnds(bytes, start, end, trace.events.length);

  const envelope = (kept: number) =>
    `${JSON.stringify(
      {
        ...trace,
        events: JSON.parse(HOLE),
        metadata: { truncated: true, truncation: { original_bytes: originalBytes, kept_events: kept } },
      },
      null,
      2,
    )}\n`;
  const base = Buffer.byteLength(envelope(0), "utf8") - HOLE.length;
  // The array keeping k events is "[]", or its own bytes up to the k-th event's end plus "\n  ]"; the
  // marker's kept_events grows by a byte with each digit.
  const sizeWith = (k: number) =>
    base + String(k).length - 1 + (k === 0 ? 2 : (ends[k - 1] as number) - start + 4);
  let kept = 0;
  while (kept < ends.length && sizeWith(kept + 1) <= maxBytes) kept++;
  const array = kept === 0 ? "[]" : `${bytes.toString("utf8", start, ends[kept - 1])}\n  ]`;
  return {
    text: envelope(kept).replace(HOLE, () => array),
    truncated: true,
    originalBytes,
    keptEvents: kept,
    withinCap: sizeWith(kept) <= maxBytes,
  };
}

/** Byte offset where each event's text ends, in the serialized `events` array spanning [start, end). */
function eventEnds(bytes: Buffer, start: number, end: number, count: number): number[] {
  if (count === 0) return [];
  const ends: number[] = [];
  let at = start + 6; // after "[\n    "
  for (;;) {
    const sep = bytes.indexOf(SEPARATOR, at);
    if (sep === -1 || sep >= end) break;
    if (bytes[sep + SEPARATOR.length] !== SPACE) ends.push(sep);
    at = sep + SEPARATOR.length;
  }
  ends.push(end - 4); // before "\n  ]"
  if (ends.length !== count)
    throw new Error(`trace cut: found ${ends.length} event boundaries for ${count} events`);
  return ends;
}

/** Writes the trace atomically under its cap; returns what was written and whether it was cut. */
export async function writeTrace(
  path: string,
  trace: TraceDocument,
  maxBytes = DEFAULT_MAX_TRACE_BYTES,
): Promise<CappedTrace> {
  const capped = serializeCapped(trace, maxBytes);
  await writeFileAtomic(path, capped.text, { durable: false });
  return capped;
}

export interface TraceFile {
  path: string;
  kind: TraceKind;
  /** Size of the file in bytes. */
  bytes: number;
  /** The parsed JSON, its schema version checked and nothing else. */
  value: Record<string, unknown>;
}

const VERSION_FIELD: Record<TraceKind, { field: string; version: string }> = {
  determinism: { field: "determinism_trace_schema_version", version: DETERMINISM_TRACE_VERSION },
  retrieval: { field: "retrieval_trace_schema_version", version: RETRIEVAL_TRACE_VERSION },
};

/**
 * Reads a trace file and parses it as JSON. Throws `TraceFileError` (`BAD_TRACE`) when the file is
 * missing or unreadable, is not JSON (naming line and column), or is not a trace of this kind and
 * schema version. The rest of the document is not validated: `checkTraces` reports on that.
 */
export async function readTraceFile(path: string, kind: TraceKind = "determinism"): Promise<TraceFile> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TraceFileError(
      path,
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a folder, not a trace file"
          : (error as Error).message,
    );
  }
  const text = data.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TraceFileError(path, `not JSON: ${describeJsonError(text, (error as Error).message)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TraceFileError(path, `not a ${kind} trace: the document is not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  const { field, version } = VERSION_FIELD[kind];
  const found = record[field];
  if (found === undefined) {
    throw new TraceFileError(path, `not a ${kind} trace: ${field} is missing (expected "${version}")`);
  }
  if (found !== version) {
    throw new TraceFileError(path, `${field} is ${JSON.stringify(found)}, expected "${version}"`);
  }
  return { path, kind, bytes: data.length, value: record };
}

/** A trace file read and validated against its schema. */
export interface LoadedTrace<T> {
  path: string;
  bytes: number;
  trace: T;
}

/** Reads a determinism trace and validates it against the schema (first problem named in the error). */
export async function loadDeterminismTrace(path: string): Promise<LoadedTrace<DeterminismTrace>> {
  const file = await readTraceFile(path, "determinism");
  const parsed = DeterminismTraceSchema.safeParse(file.value);
  if (!parsed.success) throw new TraceFileError(path, `not a valid determinism trace: ${firstIssue(parsed)}`);
  return { path, bytes: file.bytes, trace: parsed.data };
}

/** Reads a retrieval trace and validates it against the schema. */
export async function loadRetrievalTrace(path: string): Promise<LoadedTrace<RetrievalTrace>> {
  const file = await readTraceFile(path, "retrieval");
  const parsed = RetrievalTraceSchema.safeParse(file.value);
  if (!parsed.success) throw new TraceFileError(path, `not a valid retrieval trace: ${firstIssue(parsed)}`);
  return { path, bytes: file.bytes, trace: parsed.data };
}

function firstIssue(result: { error: { issues: Array<{ path: PropertyKey[]; message: string }> } }): string {
  const issue = result.error.issues[0];
  return issue ? `${formatPath(issue.path)}: ${issue.message}` : "invalid";
}

/** V8's message on one line, without its copy of the source, and where the error is (line, column). */
function describeJsonError(text: string, message: string): string {
  const what = message
    .replace(/^(Unexpected token .+?), ".*" is not valid JSON$/s, "$1")
    .replace(/ at position \d+.*$/s, "")
    .replace(/ in JSON$/, "")
    .replace(/\s+/g, " ");
  const at = syntaxErrorOffset(text);
  if (at < 0) return what;
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return `${what} at line ${line} column ${at - before.lastIndexOf("\n")}`;
}

class SyntaxAt {
  constructor(readonly offset: number) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Offset of the first character that cannot continue a JSON text (the end, for a cut-off one): V8 leaves
 * it out of some messages ("Unexpected token"). Only run on text that failed to parse.
 */
function syntaxErrorOffset(text: string): number {
  let i = 0;
  const space = () => {
    for (
      let c = text.charCodeAt(i);
      c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
      c = text.charCodeAt(++i)
    );
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) throw new SyntaxAt(i);
      i++;
    }
  };
  const string = () => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || c.charCodeAt(0) < 0x20) throw new SyntaxAt(i);
      i++;
      if (c === '"') return;
      if (c !== "\\") continue;
      if (text[i] === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new SyntaxAt(i);
        i += 5;
      } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i] as string)) i++;
      else throw new SyntaxAt(i);
    }
  };
  const list = (close: string, item: () => void) => {
    i++;
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      space();
      if (text[i] === close) break;
      if (text[i] !== ",") throw new SyntaxAt(i);
      i++;
    }
    i++;
  };
  const member = () => {
    space();
    if (text[i] !== '"') throw new SyntaxAt(i);
    string();
    space();
    if (text[i] !== ":") throw new SyntaxAt(i);
    i++;
    value();
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") list("}", member);
    else if (c === "[") list("]", value);
    else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) throw new SyntaxAt(i);
      i = NUMBER.lastIndex;
    }
  };
  try {
    value();
    space();
    return i < text.length ? i : -1;
  } catch (error) {
    if (error instanceof SyntaxAt) return error.offset;
    return -1; // nested too deep to scan: no position
  }
}
