/**
 * Traces by turn: finds a run's `turns/<issue>/<NNN>-<seat>/memory_trace.json` files (and the retrieval
 * trace beside each), then checks them or compares two runs turn by turn. The library side of
 * `orket memory check` and `orket memory compare`; a single trace file or turn folder works too.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { checkTraces, type TraceCheckResult } from "../core/memory/trace-check.js";
import { compareTraces, type DivergenceScope, type TraceDivergence } from "../core/memory/trace-compare.js";
import { loadDeterminismTrace, loadRetrievalTrace, readTraceFile, TraceFileError } from "./trace-file.js";

export const MEMORY_TRACE_FILE = "memory_trace.json";
export const RETRIEVAL_TRACE_FILE = "memory_retrieval_trace.json";

export interface TurnTraceRef {
  /** The turn's path below `turns/` (`greet/001-coder`), or the file name for a trace elsewhere. */
  key: string;
  trace: string;
  retrieval: string | null;
}

export interface TraceSet {
  /** `file` and `turn` hold one trace; `run` holds every turn of a run that has one. */
  kind: "file" | "turn" | "run";
  turns: TurnTraceRef[];
}

/**
 * The traces under a path: a trace file, a turn folder holding `memory_trace.json`, a run folder
 * (`workspace/<epic>/runs/<run>`, holding `turns/`) or its `turns/` folder. Sorted by key. Throws
 * `TraceFileError` when the path is missing or holds no trace.
 */
export async function listTurnTraces(path: string): Promise<TraceSet> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new TraceFileError(path, "no such file or folder");
  if (info.isFile()) return { kind: "file", turns: [await turnRef(path)] };
  const direct = join(path, MEMORY_TRACE_FILE);
  if (await isFile(direct)) return { kind: "turn", turns: [await turnRef(direct)] };

  const turnsDir = basename(resolve(path)) === "turns" ? path : join(path, "turns");
  if (!(await isDirectory(turnsDir))) {
    throw new TraceFileError(
      path,
      `not a trace file, a turn folder or a run folder (no ${MEMORY_TRACE_FILE}, no turns/)`,
    );
  }
  const turns: TurnTraceRef[] = [];
  for (const issue of await subfolders(turnsDir)) {
    for (const turn of await subfolders(join(turnsDir, issue))) {
      const trace = join(turnsDir, issue, turn, MEMORY_TRACE_FILE);
      if (!(await isFile(trace))) continue;
      const retrieval = join(turnsDir, issue, turn, RETRIEVAL_TRACE_FILE);
      turns.push({ key: `${issue}/${turn}`, trace, retrieval: (await isFile(retrieval)) ? retrieval : null });
    }
  }
  if (turns.length === 0) throw new TraceFileError(turnsDir, `no turn has a ${MEMORY_TRACE_FILE}`);
  turns.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { kind: "run", turns };
}

async function turnRef(trace: string): Promise<TurnTraceRef> {
  const parts = resolve(trace).split(sep);
  const [turnsDir, issue, turn, name] = parts.slice(-4);
  const inRun = parts.length >= 4 && turnsDir === "turns" && name === MEMORY_TRACE_FILE;
  const beside = join(dirname(trace), RETRIEVAL_TRACE_FILE);
  return {
    key: inRun ? `${issue}/${turn}` : basename(trace),
    trace,
    retrieval: basename(trace) === MEMORY_TRACE_FILE && (await isFile(beside)) ? beside : null,
  };
}

export interface TurnCheck {
  turn: string;
  trace: string;
  retrieval: string | null;
  result: TraceCheckResult;
}

export interface TraceSetCheck {
  ok: boolean;
  turns: TurnCheck[];
}

/**
 * Checks every trace under `trace` (see `listTurnTraces`). An explicit `retrieval` file replaces the one
 * found beside a single trace; with a run folder the retrieval traces are always the ones beside.
 */
export async function checkTracePath(options: {
  trace: string;
  retrieval?: string;
  maxTraceBytes?: number;
}): Promise<TraceSetCheck> {
  const set = await listTurnTraces(options.trace);
  const single = set.turns.length === 1 && set.kind !== "run";
  if (options.retrieval !== undefined && !single) {
    throw new TraceFileError(
      options.retrieval,
      "a retrieval trace file goes with a single trace, not a run folder",
    );
  }
  const turns: TurnCheck[] = [];
  for (const ref of set.turns) {
    const retrievalPath = options.retrieval ?? ref.retrieval;
    const trace = await readTraceFile(ref.trace, "determinism");
    const retrieval = retrievalPath === null ? undefined : await readTraceFile(retrievalPath, "retrieval");
    const result = checkTraces({
      trace: trace.value,
      traceBytes: trace.bytes,
      retrieval: retrieval?.value,
      retrievalBytes: retrieval?.bytes,
      maxTraceBytes: options.maxTraceBytes,
    });
    turns.push({ turn: ref.key, trace: ref.trace, retrieval: retrievalPath, result });
  }
  return { ok: turns.every((t) => t.result.ok), turns };
}

export interface SetDivergence extends Omit<TraceDivergence, "scope"> {
  /** `turn`: a turn only one run has (left/right: its key or null). */
  scope: DivergenceScope | "turn";
  turn: string;
}

export interface TraceSetComparison {
  equivalent: boolean;
  /** Turns compared, the divergent one included. */
  turns: number;
  events: number;
  retrievals: number;
  /** Turns where either side's determinism trace was cut to the cap: only kept events were compared. */
  truncated_turns: Array<{ turn: string; left: boolean; right: boolean }>;
  divergence?: SetDivergence;
}

/**
 * Compares two trace sets turn by turn, stopping at the first divergence in key order. Two single traces
 * (files or turn folders) are compared whatever their keys; otherwise turns match by key and a turn on
 * one side only diverges (scope `turn`). Explicit retrieval files go with single traces only.
 */
export async function compareTracePaths(options: {
  left: string;
  right: string;
  leftRetrieval?: string;
  rightRetrieval?: string;
}): Promise<TraceSetComparison> {
  const [leftSet, rightSet] = await Promise.all([
    listTurnTraces(options.left),
    listTurnTraces(options.right),
  ]);
  const single = (set: TraceSet) => set.kind !== "run" && set.turns.length === 1;
  const pairs: Array<{ key: string; left?: TurnTraceRef; right?: TurnTraceRef }> = [];
  if (single(leftSet) && single(rightSet)) {
    pairs.push({ key: leftSet.turns[0]?.key ?? "trace", left: leftSet.turns[0], right: rightSet.turns[0] });
  } else {
    for (const [flag, path] of [
      ["left", options.leftRetrieval],
      ["right", options.rightRetrieval],
    ] as const) {
      if (path !== undefined) {
        throw new TraceFileError(path, `--${flag}-retrieval goes with a single trace, not a run folder`);
      }
    }
    const byKey = new Map<string, { key: string; left?: TurnTraceRef; right?: TurnTraceRef }>();
    for (const ref of leftSet.turns) byKey.set(ref.key, { key: ref.key, left: ref });
    for (const ref of rightSet.turns) byKey.set(ref.key, { ...byKey.get(ref.key), key: ref.key, right: ref });
    pairs.push(...[...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }

  const out: TraceSetComparison = {
    equivalent: true,
    turns: 0,
    events: 0,
    retrievals: 0,
    truncated_turns: [],
  };
  for (const pair of pairs) {
    out.turns++;
    if (!pair.left || !pair.right) {
      out.equivalent = false;
      out.divergence = {
        turn: pair.key,
        scope: "turn",
        index: null,
        left_event_id: null,
        right_event_id: null,
        interceptor: null,
        decision_type: null,
        field: "turns",
        left: pair.left ? pair.key : null,
        right: pair.right ? pair.key : null,
      };
      return out;
    }
    const leftRetrievalPath = single(leftSet)
      ? (options.leftRetrieval ?? pair.left.retrieval)
      : pair.left.retrieval;
    const rightRetrievalPath = single(rightSet)
      ? (options.rightRetrieval ?? pair.right.retrieval)
      : pair.right.retrieval;
    const [left, right, leftRetrieval, rightRetrieval] = await Promise.all([
      loadDeterminismTrace(pair.left.trace),
      loadDeterminismTrace(pair.right.trace),
      leftRetrievalPath === null ? undefined : loadRetrievalTrace(leftRetrievalPath),
      rightRetrievalPath === null ? undefined : loadRetrievalTrace(rightRetrievalPath),
    ]);
    const result = compareTraces(left.trace, right.trace, {
      leftRetrieval: leftRetrieval?.trace,
      rightRetrieval: rightRetrieval?.trace,
    });
    out.events += result.compared_events;
    out.retrievals += result.compared_retrievals;
    if (result.truncated.left || result.truncated.right) {
      out.truncated_turns.push({ turn: pair.key, ...result.truncated });
    }
    if (result.divergence) {
      out.equivalent = false;
      out.divergence = { turn: pair.key, ...result.divergence };
      return out;
    }
  }
  return out;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}
