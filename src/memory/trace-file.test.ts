/** Writing traces under the size cap (exact cut, marker, UTF-8 bytes) and reading them back with clear errors. */
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonBytes, makeTraces } from "../../test/support/trace-fixtures.js";
import { checkTraces } from "../core/memory/trace-check.js";
import {
  loadDeterminismTrace,
  loadRetrievalTrace,
  readTraceFile,
  serializeCapped,
  TraceFileError,
  writeTrace,
} from "./trace-file.js";

/** What the cut must equal: the first `kept` events with the marker, serialized the plain way. */
function naive(trace: { events: unknown[] }, kept: number, originalBytes: number): string {
  const doc = {
    ...trace,
    events: trace.events.slice(0, kept),
    metadata: { truncated: true, truncation: { original_bytes: originalBytes, kept_events: kept } },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

describe("serializeCapped", () => {
  it("writes a trace under the cap unchanged, as 2-space JSON with a trailing newline", () => {
    const { trace } = makeTraces();
    const out = serializeCapped(trace, 1_000_000);
    expect(out).toMatchObject({ truncated: false, keptEvents: 8, withinCap: true });
    expect(out.text).toBe(`${JSON.stringify(trace, null, 2)}\n`);
    expect(out.originalBytes).toBe(jsonBytes(trace));
  });

  it("keeps exactly the longest prefix that fits, for every cap, with the marker", () => {
    const { trace } = makeTraces({ events: 24 });
    const full = jsonBytes(trace);
    for (let cap = full - 1; cap > 200; cap -= 97) {
      const out = serializeCapped(trace, cap);
      expect(out.truncated).toBe(true);
      if (out.withinCap) expect(bytes(out.text)).toBeLessThanOrEqual(cap);
      else expect(out.keptEvents).toBe(0);
      expect(out.text).toBe(naive(trace, out.keptEvents, full));
      const parsed = JSON.parse(out.text);
      expect(parsed.events).toHaveLength(out.keptEvents);
      expect(parsed.metadata).toEqual({
        truncated: true,
        truncation: { original_bytes: full, kept_events: out.keptEvents },
      });
      if (out.keptEvents < trace.events.length) {
        expect(bytes(naive(trace, out.keptEvents + 1, full))).toBeGreaterThan(cap);
      }
    }
  });

  it("counts the marker's digits: the cut between 9 and 10 kept events is exact", () => {
    const { trace } = makeTraces({ events: 24 });
    const full = jsonBytes(trace);
    const ten = bytes(naive(trace, 10, full));
    expect(serializeCapped(trace, ten).keptEvents).toBe(10);
    expect(serializeCapped(trace, ten - 1).keptEvents).toBe(9);
  });

  it("keeps zero events when only the envelope fits, and says when not even that fits", () => {
    const { trace } = makeTraces();
    const full = jsonBytes(trace);
    const empty = bytes(naive(trace, 0, full));
    const zero = serializeCapped(trace, empty);
    expect(zero).toMatchObject({ truncated: true, keptEvents: 0, withinCap: true });
    expect(JSON.parse(zero.text).events).toEqual([]);
    expect(bytes(zero.text)).toBe(empty);

    const tooSmall = serializeCapped(trace, 50);
    expect(tooSmall).toMatchObject({ truncated: true, keptEvents: 0, withinCap: false });
    expect(JSON.parse(tooSmall.text).metadata.truncation.kept_events).toBe(0);
  });

  it("measures the cap in UTF-8 bytes, not characters", () => {
    const { trace } = makeTraces({ events: 16 });
    for (const event of trace.events) {
      for (const call of event.tool_calls) call.normalized_args = { content: "é漢字😀".repeat(40) };
    }
    const full = jsonBytes(trace);
    const cap = Math.floor(full / 2);
    const out = serializeCapped(trace, cap);
    expect(out.text.length).toBeLessThan(bytes(out.text));
    expect(bytes(out.text)).toBeLessThanOrEqual(cap);
    expect(out.text).toBe(naive(trace, out.keptEvents, full));
    expect(JSON.parse(out.text).events[1].tool_calls[0].normalized_args.content).toContain("😀");
  });

  it("cuts a 10 MiB trace in well under a second", () => {
    const { trace } = makeTraces({ events: 20_000 });
    const started = performance.now();
    const out = serializeCapped(trace, 5 * 1024 * 1024);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(bytes(out.text)).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(out.keptEvents).toBeGreaterThan(0);
  });
});

describe("writeTrace and reading traces back", () => {
  const dir = mkdtempSync(join(tmpdir(), "orket-trace-file-"));

  it("writes atomically and the truncated file passes the checker", async () => {
    const { trace, retrieval } = makeTraces({ events: 40 });
    const path = join(dir, "a", "memory_trace.json");
    const cap = Math.floor(jsonBytes(trace) / 3);
    const info = await writeTrace(path, trace, cap);
    expect(info.truncated).toBe(true);
    expect(statSync(path).size).toBe(bytes(info.text));
    const retrievalPath = join(dir, "a", "memory_retrieval_trace.json");
    const retrievalInfo = await writeTrace(retrievalPath, retrieval, Math.floor(jsonBytes(retrieval) * 0.8));
    expect(retrievalInfo.truncated).toBe(true);
    const file = await readTraceFile(path);
    expect(file.bytes).toBe(statSync(path).size);
    const retrievalFile = await readTraceFile(retrievalPath, "retrieval");
    const result = checkTraces({
      trace: file.value,
      traceBytes: file.bytes,
      retrieval: retrievalFile.value,
      retrievalBytes: retrievalFile.bytes,
      maxTraceBytes: cap,
    });
    expect(result.errors).toEqual([]);
    expect(result.summary.dropped_links).toBeGreaterThan(0);
  });

  it("loads and validates both kinds", async () => {
    const { trace, retrieval } = makeTraces();
    await writeTrace(join(dir, "ok", "t.json"), trace);
    await writeTrace(join(dir, "ok", "r.json"), retrieval);
    expect((await loadDeterminismTrace(join(dir, "ok", "t.json"))).trace.events).toHaveLength(8);
    expect((await loadRetrievalTrace(join(dir, "ok", "r.json"))).trace.events).toHaveLength(2);
  });

  const bad = async (path: string, kind: "determinism" | "retrieval" = "determinism") => {
    const error = await readTraceFile(path, kind).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TraceFileError);
    expect((error as TraceFileError).code).toBe("BAD_TRACE");
    expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
    return (error as Error).message;
  };

  it("names the file and what is wrong with it", async () => {
    expect(await bad(join(dir, "missing.json"))).toMatch(/: no such file$/);
    mkdirSync(join(dir, "folder.json"));
    expect(await bad(join(dir, "folder.json"))).toMatch(/is a folder/);
    writeFileSync(join(dir, "broken.json"), '{\n  "a": 1,\n}\n');
    expect(await bad(join(dir, "broken.json"))).toMatch(/not JSON: .* at line 3 column 1$/);
    writeFileSync(join(dir, "cut.json"), '{"a": ');
    expect(await bad(join(dir, "cut.json"))).toMatch(
      /not JSON: Unexpected end of JSON input at line 1 column 7$/,
    );
    writeFileSync(join(dir, "comma.json"), "[1,]");
    expect(await bad(join(dir, "comma.json"))).toMatch(
      /: not JSON: Unexpected token ']' at line 1 column 4$/,
    );
    writeFileSync(join(dir, "array.json"), "[]");
    expect(await bad(join(dir, "array.json"))).toMatch(/not a JSON object/);
    const { trace, retrieval } = makeTraces();
    writeFileSync(join(dir, "v2.json"), JSON.stringify({ ...trace, determinism_trace_schema_version: "v2" }));
    expect(await bad(join(dir, "v2.json"))).toMatch(
      /determinism_trace_schema_version is "v2", expected "memory.determinism_trace.v1"/,
    );
    writeFileSync(join(dir, "retrieval.json"), JSON.stringify(retrieval));
    expect(await bad(join(dir, "retrieval.json"))).toMatch(/not a determinism trace: .* is missing/);
    expect(await readTraceFile(join(dir, "retrieval.json"), "retrieval")).toMatchObject({
      kind: "retrieval",
    });
  });

  it("rejects a schema-invalid trace on load, naming the first problem", async () => {
    const { trace } = makeTraces();
    const broken = JSON.parse(JSON.stringify(trace));
    broken.events[2].interceptor = "whenever";
    writeFileSync(join(dir, "invalid.json"), JSON.stringify(broken));
    await expect(loadDeterminismTrace(join(dir, "invalid.json"))).rejects.toThrow(
      /invalid\.json: not a valid determinism trace: events\[2\]\.interceptor: /,
    );
    expect(readFileSync(join(dir, "invalid.json"), "utf8")).toContain("whenever");
  });
});
