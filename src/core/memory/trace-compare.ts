/**
 * `compareTraces`: whether two determinism traces (and their retrieval traces) record the same decisions,
 * by the equivalence rule of docs/memory.md ("Traces"), and if not, the first difference. Ids that
 * name one run (run id, event ids, retrieval ids) and times are not compared; values compare by their
 * canonical JSON, so key order, Unicode form and float noise past 6 decimals do not count.
 */
import type { DeterminismEvent, DeterminismTrace, RetrievalTrace } from "../../spec/memory.js";
import { canonicalJson } from "../shared/canonical-json.js";

export type DivergenceScope = "envelope" | "event" | "output" | "retrieval";

export interface TraceDivergence {
  scope: DivergenceScope;
  /** The event's index (scope `event`), the retrieval's index (scope `retrieval`), else null. */
  index: number | null;
  left_event_id: string | null;
  right_event_id: string | null;
  /** The determinism event's interceptor and decision type (for a retrieval, the consuming event's). */
  interceptor: string | null;
  decision_type: string | null;
  /** e.g. `events[3].tool_calls[0].normalized_args`; retrieval fields start with `retrieval.`. */
  field: string;
  left: unknown;
  right: unknown;
}

export interface TraceComparison {
  equivalent: boolean;
  /** Events compared up to the divergence (all of the shorter trace's when none). */
  compared_events: number;
  compared_retrievals: number;
  /** A truncated trace is compared on its kept events only. */
  truncated: { left: boolean; right: boolean };
  divergence?: TraceDivergence;
}

export interface CompareOptions {
  leftRetrieval?: RetrievalTrace;
  rightRetrieval?: RetrievalTrace;
}

/** Envelope ids that identify what was run; `run_id` is the run itself and is not compared. */
const ENVELOPE_FIELDS = [
  "workflow_id",
  "model_config_id",
  "policy_set_id",
  "memory_snapshot_id",
  "visibility_mode",
  "issue_id",
  "role_id",
] as const;

/**
 * Compares two traces: envelope, then events by index, then output, then retrievals; the first
 * difference found ends the comparison. When exactly one side was truncated they are not equivalent
 * (`metadata.truncated`); when both were, their kept events are compared.
 */
export function compareTraces(
  left: DeterminismTrace,
  right: DeterminismTrace,
  options: CompareOptions = {},
): TraceComparison {
  const truncated = { left: left.metadata.truncated, right: right.metadata.truncated };
  const result = (compared: number, retrievals: number, divergence?: TraceDivergence): TraceComparison => ({
    equivalent: divergence === undefined,
    compared_events: compared,
    compared_retrievals: retrievals,
    truncated,
    ...(divergence ? { divergence } : {}),
  });
  for (const field of ENVELOPE_FIELDS) {
    if (!same(left[field], right[field]))
      return result(0, 0, whole("envelope", field, left[field], right[field]));
  }
  if (truncated.left !== truncated.right) {
    return result(0, 0, whole("envelope", "metadata.truncated", truncated.left, truncated.right));
  }

  const common = Math.min(left.events.length, right.events.length);
  for (let i = 0; i < common; i++) {
    const l = left.events[i] as DeterminismEvent;
    const r = right.events[i] as DeterminismEvent;
    const found = compareEvent(l, r, i);
    if (found) return result(i, 0, found);
  }
  if (left.events.length !== right.events.length) {
    const l = left.events[common];
    const r = right.events[common];
    const present = l ?? r;
    return result(common, 0, {
      scope: "event",
      index: common,
      left_event_id: l?.event_id ?? null,
      right_event_id: r?.event_id ?? null,
      interceptor: present?.interceptor ?? null,
      decision_type: present?.decision_type ?? null,
      field: "events.length",
      left: left.events.length,
      right: right.events.length,
    });
  }

  for (const field of ["output_type", "output_shape_hash"] as const) {
    if (!same(left.output[field], right.output[field])) {
      return result(common, 0, whole("output", `output.${field}`, left.output[field], right.output[field]));
    }
  }

  const retrievals = compareRetrievals(left, right, options);
  return result(common, retrievals.compared, retrievals.divergence);
}

/** A difference in the trace as a whole, not in one event. */
function whole(scope: DivergenceScope, field: string, left: unknown, right: unknown): TraceDivergence {
  return {
    scope,
    index: null,
    left_event_id: null,
    right_event_id: null,
    interceptor: null,
    decision_type: null,
    field,
    left,
    right,
  };
}

const EVENT_FIELDS = ["role", "interceptor", "decision_type"] as const;
const TOOL_CALL_FIELDS = [
  "tool_name",
  "normalized_args",
  "tool_result_fingerprint",
  "side_effect_fingerprint",
] as const;

/** The first difference between two events at index `i`; allocates nothing while they agree. */
function compareEvent(l: DeterminismEvent, r: DeterminismEvent, i: number): TraceDivergence | undefined {
  for (const field of EVENT_FIELDS) {
    if (!same(l[field], r[field])) return eventDivergence(l, r, i, field, l[field], r[field]);
  }
  const common = Math.min(l.tool_calls.length, r.tool_calls.length);
  for (let k = 0; k < common; k++) {
    const lc = l.tool_calls[k];
    const rc = r.tool_calls[k];
    if (!lc || !rc) break;
    for (const field of TOOL_CALL_FIELDS) {
      if (!same(lc[field], rc[field])) {
        return eventDivergence(l, r, i, `tool_calls[${k}].${field}`, lc[field], rc[field]);
      }
    }
  }
  if (l.tool_calls.length !== r.tool_calls.length) {
    return eventDivergence(l, r, i, "tool_calls.length", l.tool_calls.length, r.tool_calls.length);
  }
  if (!deepEqual(l.guardrails_triggered, r.guardrails_triggered)) {
    const lg = [...l.guardrails_triggered].sort();
    const rg = [...r.guardrails_triggered].sort();
    if (!same(lg, rg)) return eventDivergence(l, r, i, "guardrails_triggered", lg, rg);
  }
  return undefined;
}

function eventDivergence(
  l: DeterminismEvent,
  r: DeterminismEvent,
  i: number,
  field: string,
  left: unknown,
  right: unknown,
): TraceDivergence {
  return {
    scope: "event",
    index: i,
    left_event_id: l.event_id,
    right_event_id: r.event_id,
    interceptor: l.interceptor,
    decision_type: l.decision_type,
    field: `events[${i}].${field}`,
    left,
    right,
  };
}

function compareRetrievals(
  leftTrace: DeterminismTrace,
  rightTrace: DeterminismTrace,
  options: CompareOptions,
): { compared: number; divergence?: TraceDivergence } {
  // A missing retrieval trace is the same as one without retrievals.
  const left = options.leftRetrieval;
  const right = options.rightRetrieval;
  const leftEvents = left?.events ?? [];
  const rightEvents = right?.events ?? [];
  const consumers = (trace: DeterminismTrace) => {
    const byId = new Map<string, DeterminismEvent>();
    for (const event of trace.events) byId.set(event.event_id, event);
    return byId;
  };
  let leftConsumers: Map<string, DeterminismEvent> | undefined;
  let rightConsumers: Map<string, DeterminismEvent> | undefined;
  const at = (j: number, field: string, lv: unknown, rv: unknown): TraceDivergence => {
    const l = leftEvents[j];
    const r = rightEvents[j];
    leftConsumers ??= consumers(leftTrace);
    rightConsumers ??= consumers(rightTrace);
    const consumer =
      (l && leftConsumers.get(l.event_id)) ?? (r && rightConsumers.get(r.event_id)) ?? undefined;
    return {
      scope: "retrieval",
      index: j,
      left_event_id: l?.retrieval_event_id ?? null,
      right_event_id: r?.retrieval_event_id ?? null,
      interceptor: consumer?.interceptor ?? null,
      decision_type: consumer?.decision_type ?? null,
      field: `retrieval.${field}`,
      left: lv,
      right: rv,
    };
  };

  const leftTruncated = left?.metadata.truncated ?? false;
  const rightTruncated = right?.metadata.truncated ?? false;
  if (leftTruncated !== rightTruncated) {
    return {
      compared: 0,
      divergence: whole("retrieval", "retrieval.metadata.truncated", leftTruncated, rightTruncated),
    };
  }
  const common = Math.min(leftEvents.length, rightEvents.length);
  for (let j = 0; j < common; j++) {
    const l = leftEvents[j];
    const r = rightEvents[j];
    if (!l || !r) break;
    const policyL = { policy_id: l.policy_id, policy_version: l.policy_version };
    const policyR = { policy_id: r.policy_id, policy_version: r.policy_version };
    if (!same(policyL, policyR))
      return { compared: j, divergence: at(j, `events[${j}].policy`, policyL, policyR) };
    for (const field of ["query_fingerprint", "retrieval_mode"] as const) {
      if (!same(l[field], r[field])) {
        return { compared: j, divergence: at(j, `events[${j}].${field}`, l[field], r[field]) };
      }
    }
    const recordsL = l.selected_records.map((s) => s.record_id);
    const recordsR = r.selected_records.map((s) => s.record_id);
    if (!same(recordsL, recordsR)) {
      return { compared: j, divergence: at(j, `events[${j}].selected_records`, recordsL, recordsR) };
    }
  }
  if (leftEvents.length !== rightEvents.length) {
    return {
      compared: common,
      divergence: at(common, "events.length", leftEvents.length, rightEvents.length),
    };
  }
  return { compared: common };
}

/**
 * Equal as canonical JSON. A plain deep equality answers first (the common case, and ~10x cheaper than
 * serializing both sides); only values it calls different are serialized, so NFC, key order and float
 * noise past 6 decimals still compare as the contract says.
 */
export function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return deepEqual(a, b) || canonicalJson(a) === canonicalJson(b);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const key of ka) {
    if (!Object.hasOwn(b, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
