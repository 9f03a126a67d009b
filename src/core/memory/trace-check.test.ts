/** `checkTraces`: for every rule, a trace that keeps it and one that breaks it, and the error order. */
import { describe, expect, it } from "vitest";
import { clone, jsonBytes, makeTraces } from "../../../test/support/trace-fixtures.js";
import type { DeterminismTrace, RetrievalTrace } from "../../spec/memory.js";
import { checkTraces, comparePaths, TRACE_RULES, type TraceRule } from "./trace-check.js";

type Doc = Record<string, unknown>;

function check(
  trace: unknown,
  retrieval?: unknown,
  options: { traceBytes?: number; retrievalBytes?: number; maxTraceBytes?: number } = {},
) {
  return checkTraces({
    trace,
    traceBytes: options.traceBytes ?? jsonBytes(trace),
    retrieval,
    retrievalBytes: options.retrievalBytes ?? (retrieval === undefined ? undefined : jsonBytes(retrieval)),
    maxTraceBytes: options.maxTraceBytes,
  });
}

function fixture(): { trace: DeterminismTrace; retrieval: RetrievalTrace } {
  return clone(makeTraces({ events: 12 }));
}

const rules = (result: ReturnType<typeof check>) =>
  result.errors.map((e) => `${e.trace}:${e.path}:${e.rule}`);
const tested = new Set<TraceRule>();
function expectRule(result: ReturnType<typeof check>, rule: TraceRule, trace: string, path: string) {
  tested.add(rule);
  expect(result.ok).toBe(false);
  expect(rules(result)).toContain(`${trace}:${path}:${rule}`);
}

describe("checkTraces", () => {
  it("passes a well-formed pair and counts what it saw", () => {
    const { trace, retrieval } = fixture();
    const result = check(trace, retrieval);
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.summary).toEqual({
      events: 12,
      tool_calls: 9,
      retrieval_events: 3,
      selected_records: 6,
      links: 6,
      dropped_links: 0,
      truncated: { trace: false, retrieval: false },
    });
    expect(check(trace).ok).toBe(true);
    expect(check(trace).summary.truncated).toEqual({ trace: false, retrieval: null });
  });

  it("size_cap: a file over the cap fails; one at the cap passes", () => {
    const { trace, retrieval } = fixture();
    const bytes = jsonBytes(trace);
    expect(check(trace, undefined, { maxTraceBytes: bytes }).ok).toBe(true);
    expectRule(check(trace, undefined, { maxTraceBytes: bytes - 1 }), "size_cap", "determinism", "$");
    expectRule(
      check(trace, retrieval, { maxTraceBytes: bytes, retrievalBytes: bytes + 1 }),
      "size_cap",
      "retrieval",
      "$",
    );
  });

  it("schema_version: wrong or missing versions fail, and a wrong one stops the other checks", () => {
    const { trace, retrieval } = fixture();
    const wrong = { ...trace, determinism_trace_schema_version: "memory.determinism_trace.v2", events: "x" };
    const result = check(wrong);
    expectRule(result, "schema_version", "determinism", "determinism_trace_schema_version");
    expect(result.errors).toHaveLength(1);
    const missing: Doc = { ...retrieval };
    delete missing.retrieval_trace_schema_version;
    expectRule(check(trace, missing), "schema_version", "retrieval", "retrieval_trace_schema_version");
  });

  it("required: missing envelope and event fields are named", () => {
    const { trace, retrieval } = fixture();
    const t = trace as unknown as Doc & { events: Doc[] };
    delete t.workflow_id;
    delete t.events[1]?.decision_type;
    const r = retrieval as unknown as { events: Doc[] };
    delete r.events[0]?.query_fingerprint;
    const result = check(trace, retrieval);
    expectRule(result, "required", "determinism", "workflow_id");
    expectRule(result, "required", "determinism", "events[1].decision_type");
    expectRule(result, "required", "retrieval", "events[0].query_fingerprint");
  });

  it("schema: wrong types and values are named with zod's message", () => {
    const { trace, retrieval } = fixture();
    (trace.events[0] as Doc).interceptor = "whenever";
    (trace as Doc).visibility_mode = "sometimes";
    (retrieval.events[1] as Doc).candidate_count = -1;
    const result = check(trace, retrieval);
    expectRule(result, "schema", "determinism", "events[0].interceptor");
    expectRule(result, "schema", "determinism", "visibility_mode");
    expectRule(result, "schema", "retrieval", "events[1].candidate_count");
    expectRule(check("not a trace"), "schema", "determinism", "$");
  });

  it("index_contiguous: indices must run 0, 1, 2, ...", () => {
    const { trace } = fixture();
    expect(check(trace).ok).toBe(true);
    (trace.events[3] as Doc).index = 7;
    const result = check(trace);
    expectRule(result, "index_contiguous", "determinism", "events[3].index");
    expect(result.errors[0]?.message).toBe("is 7, expected 3");
  });

  it("event_id_unique: a repeated event id fails at the repeat", () => {
    const { trace } = fixture();
    (trace.events[5] as Doc).event_id = trace.events[2]?.event_id;
    expectRule(check(trace), "event_id_unique", "determinism", "events[5].event_id");
  });

  it("rank_contiguous: ranks run from 1 in each retrieval", () => {
    const { trace, retrieval } = fixture();
    const records = retrieval.events[2]?.selected_records ?? [];
    (records[1] as Doc).rank = 3;
    expectRule(check(trace, retrieval), "rank_contiguous", "retrieval", "events[2].selected_records[1].rank");
    const first = fixture();
    (first.retrieval.events[0]?.selected_records[0] as Doc).rank = 2;
    (first.retrieval.events[0]?.selected_records[1] as Doc).rank = 1;
    expectRule(
      check(first.trace, first.retrieval),
      "rank_contiguous",
      "retrieval",
      "events[0].selected_records[0].rank",
    );
  });

  it("retrieval_event_id_unique: a repeated retrieval id fails", () => {
    const { trace, retrieval } = fixture();
    (retrieval.events[2] as Doc).retrieval_event_id = retrieval.events[1]?.retrieval_event_id;
    expectRule(
      check(trace, retrieval),
      "retrieval_event_id_unique",
      "retrieval",
      "events[2].retrieval_event_id",
    );
  });

  it("run_id: the retrieval trace and its events belong to the trace's run", () => {
    const { trace, retrieval } = fixture();
    (retrieval.events[1] as Doc).run_id = "other";
    expectRule(check(trace, retrieval), "run_id", "retrieval", "events[1].run_id");
    const other = fixture();
    (other.retrieval as Doc).run_id = "other";
    expectRule(check(other.trace, other.retrieval), "run_id", "retrieval", "run_id");
  });

  it("link_event: a retrieval names a determinism event, unless the trace dropped it", () => {
    const { trace, retrieval } = fixture();
    (retrieval.events[1] as Doc).event_id = "nowhere";
    expectRule(check(trace, retrieval), "link_event", "retrieval", "events[1].event_id");

    const cut = fixture();
    const kept = cut.trace.events.slice(0, 6);
    const truncated = {
      ...cut.trace,
      events: kept,
      metadata: { truncated: true, truncation: { original_bytes: 1_000_000, kept_events: 6 } },
    };
    const result = check(truncated, cut.retrieval);
    expect(result.errors).toEqual([]);
    expect(result.summary.dropped_links).toBe(1);
    expect(result.summary.truncated.trace).toBe(true);
  });

  it("link_back: the consuming event must list the retrieval", () => {
    const { trace, retrieval } = fixture();
    (trace.events[4] as Doc).retrieval_event_ids = [];
    expectRule(check(trace, retrieval), "link_back", "retrieval", "events[1].event_id");
  });

  it("link_retrieval: listed ids exist and point back, unless the retrieval trace was cut", () => {
    const { trace, retrieval } = fixture();
    trace.events[0]?.retrieval_event_ids.push("ghost");
    expectRule(check(trace, retrieval), "link_retrieval", "determinism", "events[0].retrieval_event_ids[1]");
    expect(check(trace).ok).toBe(true);

    const cut = {
      ...retrieval,
      events: retrieval.events.slice(0, 2),
      metadata: { truncated: true, truncation: { original_bytes: 1_000_000, kept_events: 2 } },
    };
    const cutTrace = fixture().trace;
    const result = check(cutTrace, cut);
    expect(result.errors).toEqual([]);
    expect(result.summary.dropped_links).toBe(1);

    const stolen = fixture();
    stolen.trace.events[8]?.retrieval_event_ids.push(stolen.retrieval.events[0]?.retrieval_event_id ?? "");
    expectRule(
      check(stolen.trace, stolen.retrieval),
      "link_retrieval",
      "determinism",
      "events[8].retrieval_event_ids[1]",
    );
  });

  it("truncation: the marker is present exactly when truncated, and tells the truth", () => {
    const { trace } = fixture();
    const kept = { ...trace, events: trace.events.slice(0, 5) };
    const good = {
      ...kept,
      metadata: { truncated: true, truncation: { original_bytes: 99_999, kept_events: 5 } },
    };
    expect(check(good).ok).toBe(true);

    expectRule(
      check({ ...kept, metadata: { truncated: true } }),
      "truncation",
      "determinism",
      "metadata.truncation",
    );
    const wrongCount = {
      ...kept,
      metadata: { truncated: true, truncation: { original_bytes: 99_999, kept_events: 6 } },
    };
    expectRule(check(wrongCount), "truncation", "determinism", "metadata.truncation.kept_events");
    const small = {
      ...kept,
      metadata: { truncated: true, truncation: { original_bytes: 10, kept_events: 5 } },
    };
    expectRule(check(small), "truncation", "determinism", "metadata.truncation.original_bytes");
    const stray = {
      ...trace,
      metadata: { truncated: false, truncation: { original_bytes: 1, kept_events: 1 } },
    };
    expectRule(check(stray), "truncation", "determinism", "metadata.truncation");
  });

  it("sorts errors: determinism first, then by path with numbers in numeric order", () => {
    const { trace, retrieval } = fixture();
    (trace.events[10] as Doc).index = 0;
    (trace.events[2] as Doc).index = 0;
    (trace as Doc).workflow_id = 5;
    (retrieval.events[0] as Doc).event_id = "nowhere";
    const result = check(trace, retrieval);
    expect(rules(result)).toEqual([
      "determinism:events[0].retrieval_event_ids[0]:link_retrieval",
      "determinism:events[2].index:index_contiguous",
      "determinism:events[10].index:index_contiguous",
      "determinism:workflow_id:schema",
      "retrieval:events[0].event_id:link_event",
    ]);
    expect(check(trace, retrieval)).toEqual(result);
    expect(["b[10]", "b[2]", "a", "$"].sort(comparePaths)).toEqual(["$", "a", "b[2]", "b[10]"]);
  });

  it("has a failing case above for every rule", () => {
    expect([...tested].sort()).toEqual([...TRACE_RULES].sort());
  });
});
