/**
 * OpenTelemetry export end to end: a real `orket bench --otel` process on the embedded engine with the
 * code-writing fixture model exports over OTLP/HTTP to a receiver this test starts, and every span,
 * metric and evaluation event is checked, name, unit and value, against the bench's own report.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Report, ReportSchema } from "../src/spec/report.js";
import { DURATION_BUCKETS, TOKEN_BUCKETS } from "../src/telemetry/otel-export.js";
import { MEMORIZER_F32 } from "./support/llama-cpp.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./support/otlp-receiver.js";
import { runCli } from "./support/run-cli.js";
import { answer, call, writeScript } from "./support/script-cassette.js";

const SPAN_KIND_INTERNAL = 1;
const STATUS_ERROR = 2;

describe("orket bench --otel", () => {
  let receiver: OtlpReceiver;
  let report: Report;
  let spans: ReceivedSpan[];
  let stderr: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const dir = mkdtempSync(join(tmpdir(), "orket-otel-"));
    const run = await runCli(
      ["bench", "--model", `gguf/${MEMORIZER_F32}`, "--tasks", "1-3", "--out", join(dir, "out"), "--otel"],
      { cwd: dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "orket-under-test" } },
    );
    stderr = run.stderr;
    expect(run.code, run.stderr).toBe(0);
    report = ReportSchema.parse(JSON.parse(readFileSync(join(dir, "out", "orket_report.json"), "utf8")));
    spans = receiver.spans();
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
  });

  it("says where it exports, sends OTLP JSON, and names the service from the environment", () => {
    expect(stderr).toContain(`exporting OpenTelemetry to ${receiver.url}`);
    expect(stderr).not.toContain("export to");
    expect(new Set(receiver.contentTypes)).toEqual(new Set(["application/json"]));
    for (const span of spans) {
      expect(span.resource["service.name"]).toBe("orket-under-test");
      expect(span.resource["service.version"]).toEqual(expect.any(String));
    }
  });

  it("nests each call under its test run and each test run under the bench, in one trace", () => {
    const bench = spans.filter((s) => s.attributes["orket.scope"] === "bench");
    expect(bench).toHaveLength(1);
    const root = bench[0] as ReceivedSpan;
    expect(root.name).toBe(`bench ${report.settings.model_ref}`);
    expect(root.parentSpanId).toBe("");
    expect(root.attributes["orket.bank.sha256"]).toBe(report.settings.bank.sha256);
    const testRuns = spans.filter((s) => s.attributes["orket.scope"] === "test_run");
    expect(testRuns.map((s) => s.attributes["orket.test_id"])).toEqual(
      report.test_runs.map((r) => r.test_id),
    );
    for (const t of testRuns) {
      expect(t.parentSpanId).toBe(root.spanId);
      expect(t.traceId).toBe(root.traceId);
      expect(t.startNs >= root.startNs && t.endNs <= root.endNs).toBe(true);
    }
    const chats = spans.filter((s) => s.name.startsWith("chat "));
    expect(chats).toHaveLength(report.test_runs.reduce((n, r) => n + r.telemetry.model_calls, 0));
    for (const chat of chats) {
      const parent = testRuns.find((t) => t.spanId === chat.parentSpanId);
      expect(parent, chat.name).toBeDefined();
      expect(chat.startNs >= (parent as ReceivedSpan).startNs).toBe(true);
      expect(chat.endNs <= (parent as ReceivedSpan).endNs).toBe(true);
    }
  });

  it("gives every chat span the GenAI attributes, equal to the test run's telemetry", () => {
    for (const run of report.test_runs) {
      const testSpan = spans.find((s) => s.attributes["orket.test_id"] === run.test_id) as ReceivedSpan;
      const [chat, ...more] = spans.filter((s) => s.parentSpanId === testSpan.spanId);
      expect(more).toEqual([]);
      const t = run.telemetry;
      expect(chat?.name).toBe("chat orket-builtin-memorizer-f32.gguf");
      expect(chat?.kind).toBe(SPAN_KIND_INTERNAL);
      expect(chat?.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "llama.cpp",
        "gen_ai.request.model": "orket-builtin-memorizer-f32.gguf",
        "gen_ai.request.stream": true,
        "gen_ai.usage.input_tokens": t.token_metrics.counts.prompt_tokens,
        "gen_ai.usage.output_tokens": t.token_metrics.counts.output_tokens,
        "gen_ai.response.time_to_first_chunk": t.client_timings?.first_token_seconds,
        "orket.model_ref": report.settings.model_ref,
      });
      expect(chat?.attributes["gen_ai.response.finish_reasons"]).toEqual([
        expect.stringMatching(/^(stop|length)$/),
      ]);
      expect(chat?.attributes).not.toHaveProperty("server.address");
      expect(chat?.attributes).not.toHaveProperty("error.type");
      // The span lasts the call's total latency (the record's, to its millisecond rounding).
      const seconds = Number((chat?.endNs ?? 0n) - (chat?.startNs ?? 0n)) / 1e9;
      expect(Math.abs(seconds - t.internal_model_seconds)).toBeLessThan(0.0015);
    }
  });

  it("records the four GenAI client histograms with the conventions' units and buckets", () => {
    const points = receiver.histograms();
    const byName = (name: string) => points.filter((p) => p.metric === name);
    const runs = report.test_runs.map((r) => r.telemetry);
    const base = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "llama.cpp",
      "gen_ai.request.model": "orket-builtin-memorizer-f32.gguf",
    };

    const [duration, ...moreDurations] = byName("gen_ai.client.operation.duration");
    expect(moreDurations).toEqual([]);
    expect(duration).toMatchObject({
      unit: "s",
      count: runs.length,
      bounds: [...DURATION_BUCKETS],
      attributes: base,
    });
    expect(duration?.sum).toBeCloseTo(
      runs.reduce((s, t) => s + t.internal_model_seconds, 0),
      6,
    );

    const usage = byName("gen_ai.client.token.usage");
    const input = usage.find((p) => p.attributes["gen_ai.token.type"] === "input");
    const output = usage.find((p) => p.attributes["gen_ai.token.type"] === "output");
    expect(usage).toHaveLength(2);
    expect(input).toMatchObject({ unit: "{token}", count: runs.length, bounds: [...TOKEN_BUCKETS] });
    expect(input?.sum).toBe(runs.reduce((s, t) => s + (t.token_metrics.counts.prompt_tokens ?? 0), 0));
    expect(output?.sum).toBe(runs.reduce((s, t) => s + (t.token_metrics.counts.output_tokens ?? 0), 0));

    const [ttfc] = byName("gen_ai.client.operation.time_to_first_chunk");
    expect(ttfc).toMatchObject({ unit: "s", count: runs.length, bounds: [...DURATION_BUCKETS] });
    expect(ttfc?.sum).toBeCloseTo(
      runs.reduce((s, t) => s + (t.client_timings?.first_token_seconds ?? 0), 0),
      6,
    );

    // One sample per streamed chunk after the first, adding up to the time from first to last chunk.
    const [perChunk] = byName("gen_ai.client.operation.time_per_output_chunk");
    const deltas = runs.reduce((s, t) => s + (t.client_timings?.text_deltas ?? 0) - 1, 0);
    expect(perChunk).toMatchObject({ unit: "s", count: deltas, bounds: [...DURATION_BUCKETS] });
    const streamed = runs.reduce((s, t) => s + (t.client_timings?.stream_seconds ?? 0), 0);
    expect(Math.abs((perChunk?.sum ?? 0) - streamed)).toBeLessThan(0.001 * runs.length);
    for (const point of points) expect(point.bucketCounts.reduce((a, b) => a + b, 0)).toBe(point.count);
  });

  it("files each scored test run as a gen_ai.evaluation.result event on its test run's span", () => {
    const events = receiver.logs().filter((l) => l.eventName === "gen_ai.evaluation.result");
    expect(events).toHaveLength(report.test_runs.length);
    for (const run of report.test_runs) {
      const span = spans.find((s) => s.attributes["orket.test_id"] === run.test_id) as ReceivedSpan;
      const event = events.find((e) => e.spanId === span.spanId);
      expect(event?.traceId).toBe(span.traceId);
      const evaluation = run.telemetry.evaluation;
      expect(event?.attributes).toMatchObject({
        "gen_ai.evaluation.name": "orket.test_run",
        "gen_ai.evaluation.score.label": run.outcome,
        "orket.adherence_score": run.telemetry.adherence_score,
      });
      if (evaluation && evaluation.total_examples > 0) {
        expect(event?.attributes["gen_ai.evaluation.score.value"]).toBe(
          evaluation.passed_examples / evaluation.total_examples,
        );
      }
      expect(span.status.code === STATUS_ERROR).toBe(run.outcome === "error");
    }
  });
});

describe("orket run --otel", () => {
  it("nests each turn's calls under the turn, and every turn under the run", async () => {
    const receiver = await startOtlpReceiver();
    const dir = mkdtempSync(join(tmpdir(), "orket-otel-run-"));
    const env = { ORKET_HOME: join(dir, ".orket"), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const cassette = writeScript(join(dir, "script.jsonl"), [
      answer(
        call("write_file", { path: "greet.py", content: "def greet(name):\n    return name\n" }),
        call("update_issue_status", { status: "code_review" }),
      ),
      answer(
        call("add_issue_comment", { body: "meets the requirements" }),
        call("update_issue_status", { status: "awaiting_guard_review" }),
      ),
      answer(call("update_issue_status", { status: "done" })),
    ]);
    expect((await runCli(["init", dir, "--model", `replay/${cassette}`], { env })).code).toBe(0);
    const run = await runCli(["run", "--epic", "hello-python", "--project", dir, "--pacing", "instant"], {
      env,
    });
    await receiver.close();
    expect(run.code, run.stderr).toBe(0);
    const spans = receiver.spans();
    const [root, ...moreRoots] = spans.filter((s) => s.attributes["orket.scope"] === "run");
    expect(moreRoots).toEqual([]);
    expect(root?.name).toMatch(/^run hello-python on replay\//);
    expect(root?.attributes["orket.status"]).toBe("done");
    const turns = spans.filter((s) => s.attributes["orket.scope"] === "turn");
    expect(turns).toHaveLength(3);
    for (const turn of turns) {
      expect(turn.parentSpanId).toBe(root?.spanId);
      expect(turn.attributes["orket.issue_id"]).toBe("greet");
      const calls = spans.filter((s) => s.parentSpanId === turn.spanId);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      for (const c of calls) expect(c.attributes["gen_ai.provider.name"]).toBe("orket.replay");
    }
    const allCalls = spans.filter((s) => s.name.startsWith("chat "));
    expect(allCalls.every((c) => turns.some((t) => t.spanId === c.parentSpanId))).toBe(true);
  }, 60_000);
});

describe("orket sweep --otel", () => {
  it("nests each row's bench, benchmarked in a process of its own, under the sweep's span", async () => {
    const receiver = await startOtlpReceiver();
    const dir = mkdtempSync(join(tmpdir(), "orket-otel-sweep-"));
    const models = `a=gguf/${MEMORIZER_F32},b=gguf/${MEMORIZER_F32}`;
    const run = await runCli(
      [
        "sweep",
        "quant",
        "--models",
        models,
        "--tasks",
        "1",
        "--skip-canary",
        "--out",
        join(dir, "out"),
        "--otel",
      ],
      { cwd: dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } },
    );
    await receiver.close();
    expect(run.code, run.stderr).toBe(0);
    const spans = receiver.spans();
    const [sweep, ...more] = spans.filter((s) => s.attributes["orket.scope"] === "sweep");
    expect(more).toEqual([]);
    const benches = spans.filter((s) => s.attributes["orket.scope"] === "bench");
    expect(benches).toHaveLength(2);
    for (const bench of benches) {
      expect(bench.parentSpanId).toBe(sweep?.spanId);
      expect(bench.traceId).toBe(sweep?.traceId);
      const [testRun] = spans.filter((s) => s.parentSpanId === bench.spanId);
      expect(testRun?.attributes["orket.scope"]).toBe("test_run");
      expect(spans.filter((s) => s.parentSpanId === testRun?.spanId).map((s) => s.name)).toEqual([
        "chat orket-builtin-memorizer-f32.gguf",
      ]);
    }
  }, 120_000);
});

describe("export failures and switches", () => {
  it("warns in one line, and still exits 0, when nothing listens at the endpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-otel-down-"));
    const run = await runCli(["generate", "--max-tokens", "4", "--otel", "hello"], {
      cwd: dir,
      env: { ORKET_HOME: join(dir, "home"), OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /warning: OpenTelemetry export to http:\/\/127\.0\.0\.1:9 failed \(traces: .+\)/,
    );
  }, 60_000);

  it("exports nothing when OTEL_SDK_DISABLED is true, even with the endpoint set", async () => {
    const receiver = await startOtlpReceiver();
    const dir = mkdtempSync(join(tmpdir(), "orket-otel-off-"));
    const run = await runCli(["generate", "--max-tokens", "4", "hello"], {
      cwd: dir,
      env: {
        ORKET_HOME: join(dir, "home"),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SDK_DISABLED: "true",
      },
    });
    await receiver.close();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("OpenTelemetry");
    expect(receiver.bodies.traces).toEqual([]);
  }, 60_000);
});
