import { describe, expect, it } from "vitest";
import { EVENT_SCHEMA_VERSION, type OrketEvent, OrketEventSchema, type Reporter } from "../spec/events.js";
import { abortReason, EventStream, eventStreamFor } from "./event-stream.js";

function clock(start = Date.parse("2026-01-01T00:00:00Z")): () => Date {
  let t = start;
  return () => {
    t += 1000;
    return new Date(t);
  };
}

describe("EventStream", () => {
  it("numbers events from 0 by one, stamps the time, and marks run_start with the schema", () => {
    const seen: OrketEvent[] = [];
    const stream = new EventStream({ onEvent: (e) => seen.push(e) }, clock());
    expect(stream.seq).toBe(0);
    stream.emit({ type: "run_start", command: "bench", run_id: null, subject: "ollama/m", total: 2 });
    stream.emit({ type: "info", message: "hello" });
    stream.emit({ type: "progress", done: 1, total: 2, unit: "test_run", label: "t1" });
    stream.emit({ type: "run_end", status: "done", reason: null, done: 2, total: 2 });
    expect(seen.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(stream.seq).toBe(4);
    expect(seen.map((e) => e.at)).toEqual([
      "2026-01-01T00:00:01.000Z",
      "2026-01-01T00:00:02.000Z",
      "2026-01-01T00:00:03.000Z",
      "2026-01-01T00:00:04.000Z",
    ]);
    expect(seen[0]).toMatchObject({ type: "run_start", schema_version: EVENT_SCHEMA_VERSION });
    expect(seen[1]).not.toHaveProperty("schema_version");
    for (const event of seen)
      expect(OrketEventSchema.safeParse(event).success, JSON.stringify(event)).toBe(true);
  });

  it("calls each reporter's typed hook and its onEvent, in reporter order", () => {
    const calls: string[] = [];
    const first: Reporter = {
      onEvent: (e) => calls.push(`first.onEvent:${e.type}`),
      onWarning: (e) => calls.push(`first.onWarning:${e.code}`),
    };
    const second: Reporter = {
      onRunEnd: (e) => calls.push(`second.onRunEnd:${e.status}`),
      onWarning(e) {
        // Hooks are called as methods of their reporter.
        calls.push(`second.onWarning:${this === second}:${e.message}`);
      },
    };
    const stream = new EventStream([first, second]);
    stream.emit({ type: "warning", code: "W", message: "careful" });
    stream.emit({ type: "run_end", status: "interrupted", reason: "SIGINT", done: 0, total: null });
    expect(calls).toEqual([
      "first.onEvent:warning",
      "first.onWarning:W",
      "second.onWarning:true:careful",
      "first.onEvent:run_end",
      "second.onRunEnd:interrupted",
    ]);
  });

  it("is recognised by its brand, so a caller's stream is reused and a bare reporter gets a new one", () => {
    const stream = new EventStream();
    expect(EventStream.isInstance(stream)).toBe(true);
    expect(EventStream.isInstance({ emit() {} })).toBe(false);
    expect(EventStream.isInstance(null)).toBe(false);
    // A copy of the module (another bundle) sets the same global symbol.
    expect(EventStream.isInstance({ [Symbol.for("orket.event-stream")]: true })).toBe(true);
    expect(eventStreamFor(stream)).toBe(stream);

    const seen: number[] = [];
    const wrapped = eventStreamFor({ onEvent: (e) => seen.push(e.seq) });
    expect(EventStream.isInstance(wrapped)).toBe(true);
    wrapped.emit({ type: "info", message: "a" });
    wrapped.emit({ type: "info", message: "b" });
    expect(seen).toEqual([0, 1]);

    const sink = { emit: (_: unknown) => undefined };
    expect(eventStreamFor(sink)).toBe(sink);
    expect(() => eventStreamFor(undefined).emit({ type: "info", message: "nobody listens" })).not.toThrow();
  });
});

describe("abortReason", () => {
  it("reads a signal name, an Error's message, or says 'aborted'", () => {
    const named = new AbortController();
    named.abort("SIGTERM");
    expect(abortReason(named.signal)).toBe("SIGTERM");
    const error = new AbortController();
    error.abort(new Error("deadline passed"));
    expect(abortReason(error.signal)).toBe("deadline passed");
    const plain = new AbortController();
    plain.abort();
    expect(abortReason(plain.signal)).toBe("aborted");
    expect(abortReason(undefined)).toBe("aborted");
  });
});
