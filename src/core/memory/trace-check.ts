/**
 * `checkTraces`: the rules a determinism trace and its retrieval trace must keep (docs/memory.md,
 * "Traces"), each broken rule reported with the path where it breaks. Pure: it
 * takes parsed JSON and the file sizes, so the same checks run on files, in tests and in the recorder.
 */
import {
  DEFAULT_MAX_TRACE_BYTES,
  DETERMINISM_TRACE_VERSION,
  DeterminismTraceSchema,
  RETRIEVAL_TRACE_VERSION,
  RetrievalTraceSchema,
} from "../../spec/memory.js";

export const TRACE_RULES = [
  "size_cap",
  "schema_version",
  "required",
  "schema",
  "index_contiguous",
  "event_id_unique",
  "rank_contiguous",
  "retrieval_event_id_unique",
  "run_id",
  "link_event",
  "link_back",
  "link_retrieval",
  "truncation",
] as const;
export type TraceRule = (typeof TRACE_RULES)[number];

export interface TraceCheckError {
  /** Which of the two documents the path is in. */
  trace: "determinism" | "retrieval";
  rule: TraceRule;
  /** Where in that document: `$` for the whole file, else e.g. `events[3].index`. */
  path: string;
  message: string;
}

export interface TraceCheckInput {
  trace: unknown;
  /** Size of the determinism trace file in bytes. */
  traceBytes: number;
  retrieval?: unknown;
  retrievalBytes?: number;
  maxTraceBytes?: number;
}

export interface TraceCheckSummary {
  events: number;
  tool_calls: number;
  retrieval_events: number;
  selected_records: number;
  /** Links checked between the two traces (both directions). */
  links: number;
  /** Links to events a truncated trace dropped: allowed, counted here. */
  dropped_links: number;
  truncated: { trace: boolean; retrieval: boolean | null };
}

export interface TraceCheckResult {
  ok: boolean;
  /** Sorted: determinism trace first, then by path (numbers in numeric order), rule, message. */
  errors: TraceCheckError[];
  summary: TraceCheckSummary;
}

type Doc = Record<string, unknown>;
type Report = (rule: TraceRule, path: string, message: string) => void;

interface Checked {
  doc: Doc | null;
  events: Doc[];
  truncated: boolean;
}

/**
 * Checks a determinism trace (and, when given, its retrieval trace) against every rule in
 * `TRACE_RULES`. A truncated trace may link to events it dropped; anything else broken is an error.
 */
export function checkTraces(input: TraceCheckInput): TraceCheckResult {
  const max = input.maxTraceBytes ?? DEFAULT_MAX_TRACE_BYTES;
  const errors: TraceCheckError[] = [];
  const reporter =
    (trace: TraceCheckError["trace"]): Report =>
    (rule, path, message) =>
      errors.push({ trace, rule, path, message });
  const reportD = reporter("determinism");
  const reportR = reporter("retrieval");

  const det = checkDocument(input.trace, input.traceBytes, max, "determinism", reportD);
  const hasRetrieval = input.retrieval !== undefined;
  const ret = hasRetrieval
    ? checkDocument(input.retrieval, input.retrievalBytes ?? 0, max, "retrieval", reportR)
    : null;

  const summary: TraceCheckSummary = {
    events: det.events.length,
    tool_calls: det.events.reduce((n, e) => n + (Array.isArray(e.tool_calls) ? e.tool_calls.length : 0), 0),
    retrieval_events: ret?.events.length ?? 0,
    selected_records:
      ret?.events.reduce(
        (n, e) => n + (Array.isArray(e.selected_records) ? e.selected_records.length : 0),
        0,
      ) ?? 0,
    links: 0,
    dropped_links: 0,
    truncated: { trace: det.truncated, retrieval: ret ? ret.truncated : null },
  };

  const eventIds = uniqueIds(det.events, "event_id", "event_id_unique", reportD);
  if (ret) {
    const retrievalIds = uniqueIds(ret.events, "retrieval_event_id", "retrieval_event_id_unique", reportR);
    checkRanks(ret.events, reportR);
    checkRunIds(det.doc, ret, reportR);
    checkLinks(det, ret, eventIds, retrievalIds, summary, reportD, reportR);
  }

  errors.sort(compareErrors);
  return { ok: errors.length === 0, errors, summary };
}

const VERSIONS = {
  determinism: { field: "determinism_trace_schema_version", version: DETERMINISM_TRACE_VERSION },
  retrieval: { field: "retrieval_trace_schema_version", version: RETRIEVAL_TRACE_VERSION },
} as const;

/** Size, version, schema, indices and the truncation marker of one document. */
function checkDocument(
  value: unknown,
  bytes: number,
  max: number,
  kind: "determinism" | "retrieval",
  report: Report,
): Checked {
  if (bytes > max) report("size_cap", "$", `the file is ${bytes} bytes, over the cap of ${max}`);
  const doc = asDoc(value);
  if (!doc) {
    report("schema", "$", "not a JSON object");
    return { doc: null, events: [], truncated: false };
  }
  const { field, version } = VERSIONS[kind];
  if (doc[field] !== version) {
    report(
      "schema_version",
      field,
      doc[field] === undefined
        ? `missing (expected "${version}")`
        : `is ${JSON.stringify(doc[field])}, expected "${version}"`,
    );
    // Another version's fields mean other things: checking them against this one would only add noise.
    if (doc[field] !== undefined) return { doc, events: [], truncated: false };
  }

  const schema = kind === "determinism" ? DeterminismTraceSchema : RetrievalTraceSchema;
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.path.length === 1 && issue.path[0] === field) continue;
      const missing = lookup(doc, issue.path) === undefined;
      report(missing ? "required" : "schema", formatPath(issue.path), missing ? "missing" : issue.message);
    }
  }

  const events = (Array.isArray(doc.events) ? doc.events : []).map((e) => asDoc(e) ?? {});
  if (kind === "determinism") {
    events.forEach((event, i) => {
      if (typeof event.index === "number" && event.index !== i) {
        report("index_contiguous", `events[${i}].index`, `is ${event.index}, expected ${i}`);
      }
    });
  }
  const truncated = checkTruncation(asDoc(doc.metadata), bytes, events.length, report);
  return { doc, events, truncated };
}

function checkTruncation(metadata: Doc | null, bytes: number, events: number, report: Report): boolean {
  if (!metadata) return false;
  const marker = metadata.truncation;
  if (metadata.truncated === false && marker !== undefined) {
    report("truncation", "metadata.truncation", "present while metadata.truncated is false");
  }
  if (metadata.truncated !== true) return false;
  const truncation = asDoc(marker);
  if (!truncation) {
    report("truncation", "metadata.truncation", "metadata.truncated is true but the marker is missing");
    return true;
  }
  if (typeof truncation.kept_events === "number" && truncation.kept_events !== events) {
    report(
      "truncation",
      "metadata.truncation.kept_events",
      `is ${truncation.kept_events}, but the trace keeps ${events} events`,
    );
  }
  if (typeof truncation.original_bytes === "number" && truncation.original_bytes <= bytes) {
    report(
      "truncation",
      "metadata.truncation.original_bytes",
      `is ${truncation.original_bytes}, not more than the ${bytes} bytes kept`,
    );
  }
  return true;
}

/** Map of id to the first event index that has it; later duplicates are errors. */
function uniqueIds(events: Doc[], field: string, rule: TraceRule, report: Report): Map<string, number> {
  const seen = new Map<string, number>();
  events.forEach((event, i) => {
    const id = event[field];
    if (typeof id !== "string") return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else report(rule, `events[${i}].${field}`, `duplicates events[${first}].${field} ${JSON.stringify(id)}`);
  });
  return seen;
}

function checkRanks(events: Doc[], report: Report): void {
  events.forEach((event, i) => {
    const records = Array.isArray(event.selected_records) ? event.selected_records : [];
    records.forEach((record, k) => {
      const rank = asDoc(record)?.rank;
      if (typeof rank === "number" && rank !== k + 1) {
        report(
          "rank_contiguous",
          `events[${i}].selected_records[${k}].rank`,
          `is ${rank}, expected ${k + 1}`,
        );
      }
    });
  });
}

function checkRunIds(trace: Doc | null, ret: Checked, report: Report): void {
  const runId = ret.doc?.run_id;
  if (typeof runId !== "string") return;
  if (typeof trace?.run_id === "string" && trace.run_id !== runId) {
    report(
      "run_id",
      "run_id",
      `is ${JSON.stringify(runId)}, the determinism trace's is ${JSON.stringify(trace.run_id)}`,
    );
  }
  ret.events.forEach((event, i) => {
    if (typeof event.run_id === "string" && event.run_id !== runId) {
      report(
        "run_id",
        `events[${i}].run_id`,
        `is ${JSON.stringify(event.run_id)}, the trace's is ${JSON.stringify(runId)}`,
      );
    }
  });
}

/** Every link resolves both ways, except into the part of a truncated trace that was dropped. */
function checkLinks(
  det: Checked,
  ret: Checked,
  eventIds: Map<string, number>,
  retrievalIds: Map<string, number>,
  summary: TraceCheckSummary,
  reportD: Report,
  reportR: Report,
): void {
  ret.events.forEach((retrieval, j) => {
    const rid = retrieval.retrieval_event_id;
    const eid = retrieval.event_id;
    if (typeof rid !== "string" || typeof eid !== "string") return;
    summary.links++;
    const i = eventIds.get(eid);
    if (i === undefined) {
      if (det.truncated) summary.dropped_links++;
      else
        reportR("link_event", `events[${j}].event_id`, `${JSON.stringify(eid)} names no determinism event`);
      return;
    }
    const listed = det.events[i]?.retrieval_event_ids;
    if (!Array.isArray(listed) || !listed.includes(rid)) {
      reportR(
        "link_back",
        `events[${j}].event_id`,
        `determinism events[${i}] does not list ${JSON.stringify(rid)} in retrieval_event_ids`,
      );
    }
  });
  det.events.forEach((event, i) => {
    const listed = Array.isArray(event.retrieval_event_ids) ? event.retrieval_event_ids : [];
    listed.forEach((rid, k) => {
      if (typeof rid !== "string") return;
      summary.links++;
      const path = `events[${i}].retrieval_event_ids[${k}]`;
      const j = retrievalIds.get(rid);
      if (j === undefined) {
        if (ret.truncated) summary.dropped_links++;
        else reportD("link_retrieval", path, `${JSON.stringify(rid)} names no retrieval event`);
        return;
      }
      const owner = ret.events[j]?.event_id;
      if (typeof owner === "string" && owner !== event.event_id) {
        reportD(
          "link_retrieval",
          path,
          `retrieval events[${j}] belongs to event ${JSON.stringify(owner)}, not ${JSON.stringify(event.event_id)}`,
        );
      }
    });
  });
}

function asDoc(value: unknown): Doc | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Doc) : null;
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "$";
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
    .join("");
}

function compareErrors(a: TraceCheckError, b: TraceCheckError): number {
  if (a.trace !== b.trace) return a.trace === "determinism" ? -1 : 1;
  return comparePaths(a.path, b.path) || cmp(a.rule, b.rule) || cmp(a.message, b.message);
}

/** Orders `events[2]` before `events[10]`: runs of digits compare as numbers. */
export function comparePaths(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const numeric = /^\d/.test(x) && /^\d/.test(y);
    return numeric ? Number(x) - Number(y) || cmp(x, y) : cmp(x, y);
  }
  return pa.length - pb.length;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
