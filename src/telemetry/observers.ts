/**
 * Who else hears about Orket's work as it happens: each model call, once its telemetry record is final,
 * and the scopes the calls belong to (a bench, a sweep, an epic run, a test run, a turn), as they open
 * and close. The OpenTelemetry export is the observer today; with none registered a call costs one
 * length check and a scope is a shared no-op.
 *
 * Orket works one thing at a time in a process (one test run, one turn), so an observer may nest each
 * scope and call under the innermost scope still open, the way the events of docs/events.md nest.
 */
import type { CallTelemetry } from "../spec/telemetry.js";

export interface CallObservation {
  telemetry: CallTelemetry;
  /** The model id the request named (`gen_ai.request.model`). */
  requestModel: string;
  /** The model the backend said answered; null when it did not say (the embedded engine never does). */
  responseModel: string | null;
  /** The server's base URL; null for the embedded engine and recordings. */
  endpoint: string | null;
  /** Seconds from the end of each streamed chunk to the end of the next, one per chunk after the first. */
  chunkGapsSeconds: readonly number[];
}

export const SCOPE_KINDS = ["bench", "sweep", "run", "test_run", "turn"] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];
export type ScopeAttributes = Record<string, string | number | boolean | null | undefined>;

export interface ScopeStart {
  /** Unique in the process; what `onScopeEnd` names. */
  id: number;
  kind: ScopeKind;
  /** What is worked: the model reference, the test id, `issue · seat`. */
  name: string;
  attributes: ScopeAttributes;
}

/** How a test run scored, as its scope closes (the OpenTelemetry export files it as an evaluation). */
export interface ScopeScore {
  outcome: string;
  adherenceScore: number | null;
  examplesPassed: number | null;
  examplesTotal: number | null;
  errorCode: string | null;
}

export interface ScopeEnd {
  /** `ok`, or what went wrong (`error`, `interrupted`, a run's final status). */
  status: string;
  /** True when the scope failed (a test run in error, a run that did not finish). */
  failed: boolean;
  attributes?: ScopeAttributes;
  score?: ScopeScore | undefined;
}

/** What a child process needs to carry an export on under the parent's open span. */
export interface ExportCarrier {
  traceparent: string;
  endpoint: string;
}

export interface Observer {
  onCall?(observation: CallObservation): void;
  /** The export a child process should carry on, nested under the innermost open scope; null: none. */
  carrier?(): ExportCarrier | null;
  onScopeStart?(scope: ScopeStart): void;
  onScopeEnd?(scope: ScopeStart, end: ScopeEnd): void;
}

export interface Scope {
  /** Closes the scope; a second call does nothing. */
  end(end: ScopeEnd): void;
}

const observers: Observer[] = [];
let nextScopeId = 1;
const NO_SCOPE: Scope = { end: () => undefined };

/** Registers an observer; the returned function removes it. */
export function addObserver(observer: Observer): () => void {
  observers.push(observer);
  return () => {
    const at = observers.indexOf(observer);
    if (at >= 0) observers.splice(at, 1);
  };
}

export function hasObservers(): boolean {
  return observers.length > 0;
}

/** Tells every observer about a finished call; an observer that throws is skipped, never the call. */
export function notifyCall(observation: CallObservation): void {
  for (const observer of [...observers]) safely(() => observer.onCall?.(observation));
}

/** The first observer's carrier for a child process (a sweep row's benchmark); null when none exports. */
export function exportCarrier(): ExportCarrier | null {
  for (const observer of observers) {
    const carrier = observer.carrier?.();
    if (carrier) return carrier;
  }
  return null;
}

/** Opens a scope that calls and inner scopes nest under until it ends. */
export function startScope(kind: ScopeKind, name: string, attributes: ScopeAttributes = {}): Scope {
  if (observers.length === 0) return NO_SCOPE;
  const start: ScopeStart = { id: nextScopeId++, kind, name, attributes };
  const told = [...observers];
  for (const observer of told) safely(() => observer.onScopeStart?.(start));
  let ended = false;
  return {
    end(end) {
      if (ended) return;
      ended = true;
      for (const observer of told) safely(() => observer.onScopeEnd?.(start, end));
    },
  };
}

/** The `error.type` of a thrown error: its Orket code, else its class name. */
export function errorType(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string")
    return error.code;
  return error instanceof Error ? error.name : "Error";
}

function safely(action: () => void): void {
  try {
    action();
  } catch {
    // An exporter's fault must not fail the work it was told about.
  }
}
