import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, describeAdapterConformance } from "../../test/support/conformance.js";
import { ndjson, startWireServer, type WireServer } from "../../test/support/wire-server.js";
import type { ModelRequest } from "../spec/model.js";
import { callModel } from "../telemetry/model-call.js";
import { recordCassette } from "./cassette.js";
import { createOllamaAdapter } from "./ollama.js";
import { createReplayAdapter } from "./replay.js";

const MODEL = "qwen2.5-coder:7b";
const delta = (content: string) => ({
  model: MODEL,
  created_at: "2025-03-04T09:12:41Z",
  message: { role: "assistant", content },
  done: false,
});
const done = (content = "") => ({
  model: MODEL,
  created_at: "2025-03-04T09:12:42Z",
  message: { role: "assistant", content },
  done: true,
  done_reason: "stop",
  load_duration: 1_000_000,
  prompt_eval_count: 9,
  prompt_eval_duration: 20_000_000,
  eval_count: 2,
  eval_duration: 40_000_000,
});
const ask = (content: string): ModelRequest => ({ messages: [{ role: "user", content }], seed: 3 });

let server: WireServer;
let dir: string;
let cassette: string;

/** Records a real cassette through the Ollama adapter against the wire server. */
async function recordFixture(): Promise<void> {
  server.route("POST /api/chat", (req) => {
    const body = req.body as { stream: boolean; messages: Array<{ content: string }> };
    const prompt = body.messages.at(-1)?.content ?? "";
    if (prompt === "broken") return { status: 500, chunks: [{ data: '{"error":"runner crashed"}' }] };
    const words = prompt === "second" ? ["two"] : ["one", " more"];
    if (!body.stream) return { chunks: [{ data: JSON.stringify(done(words.join(""))) }] };
    return { chunks: ndjson([...words.map(delta), done()], 40) };
  });
  const recorder = recordCassette(createOllamaAdapter(MODEL, { host: server.baseUrl }), cassette);
  await collect(recorder.stream(ask("first")));
  await collect(recorder.stream(ask("second")));
  await recorder.generate(ask("whole"));
  await recorder.generate(ask("broken")).catch(() => undefined);
}

beforeAll(async () => {
  server = await startWireServer();
  dir = mkdtempSync(join(tmpdir(), "orket-replay-"));
  cassette = join(dir, "calls.jsonl");
  await recordFixture();
});
afterAll(() => server.close());

describeAdapterConformance("replay", async () => {
  const path = join(dir, "conformance.jsonl");
  const recorder = recordCassette(createOllamaAdapter(MODEL, { host: server.baseUrl }), path);
  // The suite streams once and generates once; record one of each.
  await collect(recorder.stream(ask("first")));
  await recorder.generate(ask("first"));
  await collect(recorder.stream(ask("first")));
  return {
    adapter: createReplayAdapter({ path, pacing: "instant" }),
    trueStreaming: true,
    reportsUsage: true,
    request: ask("first"),
  };
});

describe("replay adapter", () => {
  it("plays back text, usage and the engine's timings exactly", async () => {
    const replay = createReplayAdapter({ path: cassette, pacing: "instant" });
    expect(replay.ref).toBe(`replay/${cassette}`);
    const parts = await collect(replay.stream(ask("first")));
    expect(
      parts.filter((p) => p.type === "text-delta").map((p) => (p.type === "text-delta" ? p.text : "")),
    ).toEqual(["one", " more"]);
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      usage: { promptTokens: 9, outputTokens: 2 },
      timings: { source: "ollama", loadSeconds: 0.001, prefillSeconds: 0.02, decodeSeconds: 0.04 },
    });
  });

  it("keeps the recorded gaps with recorded pacing, so client timings resemble the original", async () => {
    const replay = createReplayAdapter({ path: cassette });
    const result = await callModel(replay, ask("first"), { measureMemory: false });
    expect(result.ok).toBe(true);
    // Compare with the offsets the recording actually has (a loaded machine may have read two lines at once).
    const recorded = readFileSync(cassette, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find(
        (line) =>
          line.type === "call" && line.request.messages.at(-1).content === "first" && line.mode === "stream",
      );
    const offsets: number[] = recorded.parts
      .filter((p: { part: { type: string } }) => p.part.type === "text-delta")
      .map((p: { at_ms: number }) => p.at_ms);
    const first = offsets[0] ?? 0;
    const last = offsets.at(-1) ?? 0;
    expect(first).toBeGreaterThanOrEqual(30);
    expect((result.telemetry.init_latency ?? 0) * 1000).toBeGreaterThanOrEqual(first - 1);
    // Parts are scheduled at their recorded offsets from the start, so the last token comes no earlier
    // than recorded; the gap before it can shrink when a loaded machine delivers the first one late.
    expect((result.telemetry.client_timings.last_token_seconds ?? 0) * 1000).toBeGreaterThanOrEqual(last - 1);
  });

  it("matches by request, whatever the order, and serves a stream from a whole-answer recording", async () => {
    const replay = createReplayAdapter({ path: cassette, pacing: "instant" });
    expect((await replay.generate(ask("second"))).text).toBe("two");
    expect((await replay.generate(ask("first"))).text).toBe("one more");
    const parts = await collect(replay.stream(ask("whole")));
    expect(parts[0]).toEqual({ type: "text-delta", text: "one more" });
  });

  it("replays a recorded failure with its code", async () => {
    const replay = createReplayAdapter({ path: cassette, pacing: "instant" });
    await expect(replay.generate(ask("broken"))).rejects.toMatchObject({
      code: "HTTP_STATUS",
      statusCode: 500,
      isRetryable: true,
    });
  });

  it("says CASSETTE_MISS for an unrecorded request and for one played out", async () => {
    const replay = createReplayAdapter({ path: cassette, pacing: "instant" });
    await expect(replay.generate(ask("never recorded"))).rejects.toMatchObject({ code: "CASSETTE_MISS" });
    await replay.generate(ask("second"));
    await expect(replay.generate(ask("second"))).rejects.toThrow(/already played/);
  });

  it("a different seed is a different request", async () => {
    const replay = createReplayAdapter({ path: cassette, pacing: "instant" });
    await expect(replay.generate({ ...ask("first"), seed: 4 })).rejects.toMatchObject({
      code: "CASSETTE_MISS",
    });
  });

  it("rejects a broken cassette naming the file and line", () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(
      bad,
      '{"type":"header","cassette_version":1,"recorded_at":"x","model_ref":"ollama/x","true_streaming":true}\n{"type":"call"}\n',
    );
    const replay = createReplayAdapter({ path: bad, pacing: "instant" });
    return expect(replay.generate(ask("x"))).rejects.toThrow(
      /bad\.jsonl: line 2 is not a recorded call: index/,
    );
  });

  it("rejects a part offset past a day (at_ms 1e12) instead of arming an overflowing timer", async () => {
    const lines = readFileSync(cassette, "utf8").trim().split("\n");
    const call = JSON.parse(lines[1] ?? "{}");
    call.parts[0].at_ms = 1e12;
    const bad = join(dir, "late.jsonl");
    writeFileSync(bad, `${lines[0]}\n${JSON.stringify(call)}\n`);
    const replay = createReplayAdapter({ path: bad, pacing: "recorded" });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      await expect(replay.generate(ask("x"))).rejects.toThrow(
        /late\.jsonl: line 2 is not a recorded call: parts\.0\.at_ms: at most 86400000 ms \(one day\) into the call/,
      );
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("TimeoutOverflowWarning");
  });

  it("rejects a file that is not a cassette at once", () => {
    const notJson = join(dir, "not.jsonl");
    writeFileSync(notJson, "hello\n");
    expect(() => createReplayAdapter({ path: notJson })).toThrow(/line 1 is not JSON/);
    expect(() => createReplayAdapter({ path: join(dir, "none.jsonl") })).toThrow(/no such cassette file/);
  });
});
