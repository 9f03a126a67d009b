/** `compareTraces`: what counts for equivalence, what does not, and where the first divergence is named. */
import { describe, expect, it } from "vitest";
import { clone, makeTraces } from "../../../test/support/trace-fixtures.js";
import type { DeterminismTrace, RetrievalTrace } from "../../spec/memory.js";
import { compareTraces, same } from "./trace-compare.js";

type Doc = Record<string, unknown>;

/** Two runs that decided the same things: every id differs, nothing else. */
function pair(events = 12) {
  const a = makeTraces({ runId: "run-a", events });
  const b = makeTraces({ runId: "run-b", events });
  return {
    left: clone(a.trace),
    right: clone(b.trace),
    leftRet: clone(a.retrieval),
    rightRet: clone(b.retrieval),
  };
}

function compare(
  left: DeterminismTrace,
  right: DeterminismTrace,
  leftRet?: RetrievalTrace,
  rightRet?: RetrievalTrace,
) {
  return compareTraces(left, right, { leftRetrieval: leftRet, rightRetrieval: rightRet });
}

function truncate<T extends DeterminismTrace | RetrievalTrace>(trace: T, kept: number): T {
  return {
    ...trace,
    events: trace.events.slice(0, kept),
    metadata: { truncated: true, truncation: { original_bytes: 1_000_000, kept_events: kept } },
  } as T;
}

describe("compareTraces", () => {
  it("finds two runs equivalent when only run ids, event ids and retrieval ids differ", () => {
    const { left, right, leftRet, rightRet } = pair();
    expect(left.events[0]?.event_id).not.toBe(right.events[0]?.event_id);
    const result = compare(left, right, leftRet, rightRet);
    expect(result).toEqual({
      equivalent: true,
      compared_events: 12,
      compared_retrievals: 3,
      truncated: { left: false, right: false },
    });
  });

  it.each(["workflow_id", "model_config_id", "policy_set_id", "memory_snapshot_id", "issue_id", "role_id"])(
    "diverges on the envelope's %s",
    (field) => {
      const { left, right } = pair();
      (right as unknown as Doc)[field] = "other";
      expect(compare(left, right).divergence).toMatchObject({
        scope: "envelope",
        index: null,
        field,
        left: (left as unknown as Doc)[field],
        right: "other",
      });
    },
  );

  it("diverges on visibility mode, and reports the envelope before any event", () => {
    const { left, right } = pair();
    right.visibility_mode = "off";
    (right.events[0] as Doc).role = "reviewer";
    expect(compare(left, right).divergence).toMatchObject({ scope: "envelope", field: "visibility_mode" });
  });

  it.each([
    ["role", "reviewer"],
    ["interceptor", "on_turn_failure"],
    ["decision_type", "final_answer"],
  ])("diverges on an event's %s", (field, value) => {
    const { left, right } = pair();
    (right.events[6] as Doc)[field] = value;
    expect(compare(left, right)).toMatchObject({
      equivalent: false,
      compared_events: 6,
      divergence: {
        scope: "event",
        index: 6,
        left_event_id: "run-a-ev-6",
        right_event_id: "run-b-ev-6",
        interceptor: "before_tool",
        field: `events[6].${field}`,
        left: (left.events[6] as Doc)[field],
        right: value,
      },
    });
  });

  it.each(["tool_name", "tool_result_fingerprint", "side_effect_fingerprint"])(
    "diverges on a tool call's %s",
    (field) => {
      const { left, right } = pair();
      (right.events[3]?.tool_calls[0] as Doc)[field] = "changed";
      expect(compare(left, right).divergence).toMatchObject({
        index: 3,
        field: `events[3].tool_calls[0].${field}`,
        right: "changed",
      });
    },
  );

  it("compares normalized args as canonical JSON: key order, NFC and float noise do not count", () => {
    const { left, right } = pair();
    const call = right.events[1]?.tool_calls[0];
    if (!call) throw new Error("fixture");
    const args = call.normalized_args as { path: string; content: string };
    call.normalized_args = { content: args.content, path: args.path };
    expect(compare(left, right).equivalent).toBe(true);

    (left.events[5]?.tool_calls[0] as Doc).normalized_args = { name: "Jose\u0301", ratio: 0.1 + 0.2 };
    (right.events[5]?.tool_calls[0] as Doc).normalized_args = { ratio: 0.3, name: "José" };
    expect(compare(left, right).equivalent).toBe(true);

    (right.events[5]?.tool_calls[0] as Doc).normalized_args = { ratio: 0.31, name: "José" };
    expect(compare(left, right).divergence).toMatchObject({
      field: "events[5].tool_calls[0].normalized_args",
      right: { ratio: 0.31, name: "José" },
    });
  });

  it("compares tool calls element-wise, then their count", () => {
    const { left, right } = pair();
    const extra = clone(right.events[2]?.tool_calls[0]);
    if (!extra) throw new Error("fixture");
    right.events[2]?.tool_calls.push(extra);
    expect(compare(left, right).divergence).toMatchObject({
      field: "events[2].tool_calls.length",
      left: 1,
      right: 2,
    });
  });

  it("does not compare tool profile or normalization versions (not in the equivalence rule)", () => {
    const { left, right } = pair();
    (right.events[1]?.tool_calls[0] as Doc).tool_profile_version = "write_file@ffffffffffff";
    expect(compare(left, right).equivalent).toBe(true);
  });

  it("compares guardrails as sorted lists", () => {
    const { left, right } = pair();
    (left.events[2] as Doc).guardrails_triggered = ["b", "a"];
    (right.events[2] as Doc).guardrails_triggered = ["a", "b"];
    expect(compare(left, right).equivalent).toBe(true);
    (right.events[2] as Doc).guardrails_triggered = ["a"];
    expect(compare(left, right).divergence).toMatchObject({
      field: "events[2].guardrails_triggered",
      left: ["a", "b"],
      right: ["a"],
    });
  });

  it("reports an event count mismatch at the first event one side lacks", () => {
    const { left, right } = pair();
    right.events.pop();
    expect(compare(left, right)).toMatchObject({
      compared_events: 11,
      divergence: {
        scope: "event",
        index: 11,
        left_event_id: "run-a-ev-11",
        right_event_id: null,
        interceptor: "after_tool",
        field: "events.length",
        left: 12,
        right: 11,
      },
    });
    (right.events[3] as Doc).role = "x";
    expect(compare(left, right).divergence?.field).toBe("events[3].role");
  });

  it.each(["output_type", "output_shape_hash"] as const)(
    "diverges on the output's %s after the events",
    (field) => {
      const { left, right } = pair();
      right.output[field] = "other";
      expect(compare(left, right).divergence).toMatchObject({
        scope: "output",
        index: null,
        field: `output.${field}`,
      });
      right.events.pop();
      expect(compare(left, right).divergence?.scope).toBe("event");
    },
  );

  it("diverges on retrieval count, policy, query, mode and selected record order", () => {
    const base = pair();
    expect(compare(base.left, base.right, base.leftRet, base.rightRet).equivalent).toBe(true);
    const cases: Array<[(r: RetrievalTrace) => void, string]> = [
      [(r) => r.events.pop(), "retrieval.events.length"],
      [(r) => ((r.events[1] as Doc).policy_version = "2"), "retrieval.events[1].policy"],
      [(r) => ((r.events[1] as Doc).policy_id = "other"), "retrieval.events[1].policy"],
      [(r) => ((r.events[2] as Doc).query_fingerprint = "f"), "retrieval.events[2].query_fingerprint"],
      [(r) => ((r.events[0] as Doc).retrieval_mode = "vector"), "retrieval.events[0].retrieval_mode"],
      [(r) => r.events[1]?.selected_records.reverse(), "retrieval.events[1].selected_records"],
    ];
    for (const [change, field] of cases) {
      const { left, right, leftRet, rightRet } = pair();
      change(rightRet);
      const result = compare(left, right, leftRet, rightRet);
      expect(result.divergence, field).toMatchObject({ scope: "retrieval", field });
    }
    const { left, right, leftRet, rightRet } = pair();
    (rightRet.events[1] as Doc).retrieval_mode = "vector";
    expect(compare(left, right, leftRet, rightRet).divergence).toMatchObject({
      index: 1,
      left_event_id: "run-a-ret-4",
      right_event_id: "run-b-ret-4",
      interceptor: "before_prompt",
      decision_type: "compile_prompt",
    });
  });

  it("ignores candidate counts and scores; treats a missing retrieval trace as one without retrievals", () => {
    const { left, right, leftRet, rightRet } = pair();
    (rightRet.events[0] as Doc).candidate_count = 99;
    (rightRet.events[0]?.selected_records[0] as Doc).score = 0.1;
    expect(compare(left, right, leftRet, rightRet).equivalent).toBe(true);
    expect(compare(left, right, { ...leftRet, events: [] }, undefined).equivalent).toBe(true);
    expect(compare(left, right, leftRet, undefined).divergence).toMatchObject({
      field: "retrieval.events.length",
      left: 3,
      right: 0,
    });
  });

  it("refuses a truncated trace against a whole one, and compares kept events when both are cut", () => {
    const { left, right, leftRet, rightRet } = pair();
    const cutRight = truncate(right, 8);
    expect(compare(left, cutRight)).toMatchObject({
      equivalent: false,
      truncated: { left: false, right: true },
      divergence: { scope: "envelope", field: "metadata.truncated", left: false, right: true },
    });
    expect(compare(truncate(left, 8), cutRight, leftRet, rightRet)).toMatchObject({
      equivalent: true,
      compared_events: 8,
      truncated: { left: true, right: true },
    });
    expect(compare(truncate(left, 9), cutRight).divergence).toMatchObject({
      field: "events.length",
      index: 8,
    });
    expect(compare(left, right, truncate(leftRet, 2), rightRet).divergence).toMatchObject({
      scope: "retrieval",
      field: "retrieval.metadata.truncated",
    });
    const cutLeft = truncate(left, 8);
    (cutLeft.events[7] as Doc).decision_type = "other";
    expect(compare(cutLeft, cutRight).divergence).toMatchObject({ field: "events[7].decision_type" });
  });

  it("compares values by canonical JSON, a missing key unlike null", () => {
    expect(same({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(same(null, undefined)).toBe(false);
    expect(same({ a: null }, {})).toBe(false);
    expect(same(1, "1")).toBe(false);
  });

  it("diverges on any tool call of an event, not only its first", () => {
    const { left, right } = pair();
    for (const trace of [left, right]) {
      const first = trace.events[2]?.tool_calls[0];
      if (!first) throw new Error("fixture");
      trace.events[2]?.tool_calls.push({ ...clone(first), tool_name: "read_file" });
    }
    expect(compare(left, right).equivalent).toBe(true);
    (right.events[2]?.tool_calls[1] as Doc).tool_name = "delete_file";
    expect(compare(left, right).divergence).toMatchObject({
      index: 2,
      field: "events[2].tool_calls[1].tool_name",
      left: "read_file",
      right: "delete_file",
    });
  });

  it("reports differing guardrails sorted on both sides, whichever order each run listed them in", () => {
    const { left, right } = pair();
    (left.events[2] as Doc).guardrails_triggered = ["a", "b"];
    (right.events[2] as Doc).guardrails_triggered = ["b", "a"];
    expect(compare(left, right).equivalent).toBe(true);
    (right.events[2] as Doc).guardrails_triggered = ["c", "a"];
    expect(compare(left, right).divergence).toMatchObject({
      field: "events[2].guardrails_triggered",
      left: ["a", "b"],
      right: ["a", "c"],
    });
  });

  it("names the right side's next event when the left trace has fewer events", () => {
    const { left, right } = pair();
    left.events.pop();
    expect(compare(left, right)).toMatchObject({
      equivalent: false,
      compared_events: 11,
      divergence: {
        scope: "event",
        index: 11,
        left_event_id: null,
        right_event_id: "run-b-ev-11",
        interceptor: "after_tool",
        decision_type: "tool_result",
        field: "events.length",
        left: 11,
        right: 12,
      },
    });
    const fewerRight = pair();
    fewerRight.right.events.splice(10);
    expect(compare(fewerRight.left, fewerRight.right).divergence).toMatchObject({
      left_event_id: "run-a-ev-10",
      right_event_id: null,
      interceptor: "before_tool",
      decision_type: "allow",
    });
  });

  it("names the retrieval and its consuming event on the side that has one more retrieval", () => {
    const fewerRight = pair();
    fewerRight.rightRet.events.pop();
    expect(compare(fewerRight.left, fewerRight.right, fewerRight.leftRet, fewerRight.rightRet)).toMatchObject(
      {
        equivalent: false,
        compared_retrievals: 2,
        divergence: {
          scope: "retrieval",
          index: 2,
          left_event_id: "run-a-ret-8",
          right_event_id: null,
          interceptor: "before_prompt",
          decision_type: "compile_prompt",
          field: "retrieval.events.length",
          left: 3,
          right: 2,
        },
      },
    );
    const fewerLeft = pair();
    fewerLeft.leftRet.events.pop();
    expect(compare(fewerLeft.left, fewerLeft.right, fewerLeft.leftRet, fewerLeft.rightRet)).toMatchObject({
      compared_retrievals: 2,
      divergence: {
        scope: "retrieval",
        index: 2,
        left_event_id: null,
        right_event_id: "run-b-ret-8",
        interceptor: "before_prompt",
        decision_type: "compile_prompt",
        field: "retrieval.events.length",
        left: 2,
        right: 3,
      },
    });
  });

  it("names no consuming event for a retrieval whose event was cut from a truncated trace", () => {
    const { left, right, leftRet, rightRet } = pair();
    rightRet.events.pop();
    // Both traces keep events 0-7; the left retrieval trace still holds the retrieval consumed by event 8.
    expect(compare(truncate(left, 8), truncate(right, 8), leftRet, rightRet)).toMatchObject({
      equivalent: false,
      compared_events: 8,
      compared_retrievals: 2,
      divergence: {
        scope: "retrieval",
        index: 2,
        left_event_id: "run-a-ret-8",
        right_event_id: null,
        interceptor: null,
        decision_type: null,
        field: "retrieval.events.length",
      },
    });
  });

  it("treats an absent value as equal only to another absent value", () => {
    expect(same(undefined, undefined)).toBe(true);
    expect(same(undefined, null)).toBe(false);
    expect(same(undefined, 0)).toBe(false);
    expect(same("", undefined)).toBe(false);
  });

  it("tells apart values of different kinds and shapes", () => {
    expect(same(1, 2)).toBe(false);
    expect(same("a", "b")).toBe(false);
    expect(same(1, {})).toBe(false);
    expect(same({}, 1)).toBe(false);
    expect(same(null, {})).toBe(false);
    expect(same({}, null)).toBe(false);
    expect(same([], {})).toBe(false);
    expect(same({}, [])).toBe(false);
    // An object with a length is not an array, either way round.
    expect(same([], { length: 0 })).toBe(false);
    expect(same({ length: 0 }, [])).toBe(false);
    expect(same([1], [1, 2])).toBe(false);
    expect(same([1, 2], [1])).toBe(false);
    expect(same([1, 2], [1, 3])).toBe(false);
    expect(same({}, { a: 1 })).toBe(false);
    expect(same({ a: 1 }, {})).toBe(false);
    expect(same({ a: 1 }, { b: 1 })).toBe(false);
    // A key set to undefined is a missing key, which does not stand in for another key.
    expect(same({ a: undefined }, { b: 1 })).toBe(false);
    expect(same({ a: undefined, b: 1 }, { b: 1 })).toBe(true);
    expect(same({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] })).toBe(true);
    expect(same({ a: [1, { b: "x" }] }, { a: [1, { b: "y" }] })).toBe(false);
  });

  // Its speed is measured by `npm run perf:trace-compare`, not here: a timed test fails on a loaded machine.
  it("compares two ~10 MiB traces (20k events each) to the end", () => {
    const a = makeTraces({ runId: "run-a", events: 20_000 });
    const b = makeTraces({ runId: "run-b", events: 20_000 });
    const result = compareTraces(a.trace, b.trace, {
      leftRetrieval: a.retrieval,
      rightRetrieval: b.retrieval,
    });
    expect(result).toMatchObject({ equivalent: true, compared_events: 20_000, compared_retrievals: 5_000 });
  });
});
