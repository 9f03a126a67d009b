import { afterEach, describe, expect, it } from "vitest";
import {
  addObserver,
  exportCarrier,
  hasObservers,
  notifyCall,
  type Observer,
  startScope,
} from "./observers.js";
import { evaluationAttributes, otelRequested, otlpEndpoint, serverOf } from "./otel-export.js";

const removers: Array<() => void> = [];
afterEach(() => {
  for (const remove of removers.splice(0)) remove();
});

function watch(observer: Observer): void {
  removers.push(addObserver(observer));
}

describe("observers", () => {
  it("are told each scope's start and end once, in order, and removed cleanly", () => {
    const seen: string[] = [];
    watch({
      onScopeStart: (s) => seen.push(`start ${s.kind} ${s.name}`),
      onScopeEnd: (s, e) => seen.push(`end ${s.kind} ${e.status}`),
    });
    const bench = startScope("bench", "m");
    const run = startScope("test_run", "t#0");
    run.end({ status: "pass", failed: false });
    run.end({ status: "fail", failed: true });
    bench.end({ status: "done", failed: false });
    expect(seen).toEqual(["start bench m", "start test_run t#0", "end test_run pass", "end bench done"]);
    for (const remove of removers.splice(0)) remove();
    expect(hasObservers()).toBe(false);
    startScope("bench", "unseen").end({ status: "done", failed: false });
    expect(seen).toHaveLength(4);
  });

  it("never let an observer's fault reach the work it observes", () => {
    const told: string[] = [];
    watch({
      onCall: () => {
        throw new Error("exporter broke");
      },
      onScopeStart: () => {
        throw new Error("exporter broke");
      },
    });
    watch({ onCall: (o) => told.push(o.requestModel) });
    expect(() =>
      notifyCall({
        // biome-ignore lint/suspicious/noExplicitAny: only the model name is read here
        telemetry: {} as any,
        requestModel: "m",
        responseModel: null,
        endpoint: null,
        chunkGapsSeconds: [],
      }),
    ).not.toThrow();
    expect(() => startScope("bench", "x").end({ status: "done", failed: false })).not.toThrow();
    expect(told).toEqual(["m"]);
  });

  it("give a child process the first carrier an observer offers", () => {
    expect(exportCarrier()).toBeNull();
    watch({ carrier: () => null });
    watch({ carrier: () => ({ traceparent: "00-aa-bb-01", endpoint: "http://x:4318" }) });
    expect(exportCarrier()).toEqual({ traceparent: "00-aa-bb-01", endpoint: "http://x:4318" });
  });
});

describe("OpenTelemetry settings", () => {
  it("turn on with the flag or the standard endpoint variable, and off with OTEL_SDK_DISABLED", () => {
    expect(otelRequested(undefined, {})).toBe(false);
    expect(otelRequested(true, {})).toBe(true);
    expect(otelRequested(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(true);
    expect(otelRequested(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "  " })).toBe(false);
    expect(otelRequested(true, { OTEL_SDK_DISABLED: "TRUE" })).toBe(false);
    expect(otlpEndpoint({ env: {} })).toBe("http://localhost:4318");
    expect(otlpEndpoint({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" } })).toBe("http://c:4318");
    expect(otlpEndpoint({ endpoint: "http://d:1//", env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" } })).toBe(
      "http://d:1",
    );
  });

  it("name the server of a base URL, with the scheme's port when it names none", () => {
    expect(serverOf("http://127.0.0.1:8080/v1")).toEqual({ address: "127.0.0.1", port: 8080 });
    expect(serverOf("https://models.example")).toEqual({ address: "models.example", port: 443 });
    expect(serverOf("http://[::1]:11434")).toEqual({ address: "::1", port: 11434 });
    expect(serverOf("http://ollama")).toEqual({ address: "ollama", port: 80 });
    expect(serverOf(null)).toBeNull();
    expect(serverOf("not a url")).toBeNull();
  });

  it("score a test run by its examples, else its adherence, and explain it", () => {
    expect(
      evaluationAttributes({
        outcome: "fail",
        adherenceScore: 0.5,
        examplesPassed: 3,
        examplesTotal: 4,
        errorCode: null,
      }),
    ).toEqual({
      "gen_ai.evaluation.name": "orket.test_run",
      "gen_ai.evaluation.score.label": "fail",
      "gen_ai.evaluation.score.value": 0.75,
      "gen_ai.evaluation.explanation": "3/4 examples passed; adherence 0.5",
      "orket.adherence_score": 0.5,
      "orket.examples.passed": 3,
      "orket.examples.total": 4,
    });
    const noExamples = evaluationAttributes({
      outcome: "error",
      adherenceScore: 0.25,
      examplesPassed: null,
      examplesTotal: null,
      errorCode: "EXTRACTION_FAILED",
    });
    expect(noExamples["gen_ai.evaluation.score.value"]).toBe(0.25);
    expect(noExamples["error.type"]).toBe("EXTRACTION_FAILED");
    expect(noExamples["gen_ai.evaluation.explanation"]).toBe("adherence 0.25; error EXTRACTION_FAILED");
    const nothing = evaluationAttributes({
      outcome: "error",
      adherenceScore: null,
      examplesPassed: null,
      examplesTotal: null,
      errorCode: null,
    });
    expect(nothing).not.toHaveProperty("gen_ai.evaluation.score.value");
    expect(nothing["gen_ai.evaluation.explanation"]).toBe("nothing was scored");
  });
});
