/**
 * The one conformance suite every model adapter runs. Each adapter's test file calls
 * `describeAdapterConformance` with a factory that makes a ready adapter on a working backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelCallError } from "../../src/spec/errors.js";
import {
  type ModelAdapter,
  type ModelRequest,
  type StreamPart,
  UNIFIED_FINISH_REASONS,
} from "../../src/spec/model.js";

export interface ConformanceSubject {
  adapter: ModelAdapter;
  /** Whether `capabilities.trueStreaming` must be true. */
  trueStreaming: boolean;
  /** Whether the backend is expected to report prompt and output token counts. */
  reportsUsage: boolean;
  /** A request the backend answers with non-empty text. */
  request: ModelRequest;
  close?: () => Promise<void>;
}

export async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

export function describeAdapterConformance(name: string, make: () => Promise<ConformanceSubject>): void {
  describe(`adapter conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    beforeAll(async () => {
      subject = await make();
    });
    afterAll(async () => {
      await subject?.adapter.close?.();
      await subject?.close?.();
    });

    it("names itself with a provider/model reference and declares its capabilities", () => {
      const { adapter } = subject;
      expect(adapter.ref).toBe(`${adapter.provider}/${adapter.modelId}`);
      expect(adapter.capabilities.trueStreaming).toBe(subject.trueStreaming);
      expect(["self", "pid", "unknown"]).toContain(adapter.capabilities.inferenceProcess.kind);
    });

    it("generate returns text, a {unified, raw} finish reason and counts that are numbers or undefined", async () => {
      const result = await subject.adapter.generate(subject.request);
      expect(typeof result.text).toBe("string");
      expect(result.text.length).toBeGreaterThan(0);
      // A text answer to a plain request ends for a reason the unified set names, and not as an error.
      expect(UNIFIED_FINISH_REASONS).toContain(result.finishReason.unified);
      expect(["stop", "length"]).toContain(result.finishReason.unified);
      expect(["string", "undefined"]).toContain(typeof result.finishReason.raw);
      for (const count of [result.usage.promptTokens, result.usage.outputTokens]) {
        if (count !== undefined) expect(Number.isInteger(count) && count >= 0).toBe(true);
        else expect(subject.reportsUsage).toBe(false);
      }
    });

    it("stream yields text deltas and ends with exactly one finish part, nothing after it", async () => {
      const parts = await collect(subject.adapter.stream(subject.request));
      const errors = parts.filter((p) => p.type === "error");
      expect(errors).toEqual([]);
      const finishes = parts.filter((p) => p.type === "finish");
      expect(finishes).toHaveLength(1);
      expect(parts.at(-1)?.type).toBe("finish");
      const text = parts.map((p) => (p.type === "text-delta" ? p.text : "")).join("");
      expect(text.length).toBeGreaterThan(0);
      const finish = finishes[0];
      if (finish?.type === "finish" && subject.reportsUsage) {
        expect(finish.usage.outputTokens).toBeGreaterThan(0);
      }
    });

    it("an already-aborted signal ends the call with code ABORTED", async () => {
      const controller = new AbortController();
      controller.abort();
      const request = { ...subject.request, signal: controller.signal };
      await expect(subject.adapter.generate(request)).rejects.toMatchObject({ code: "ABORTED" });
      let code: string | undefined;
      try {
        for await (const part of subject.adapter.stream(request)) {
          if (part.type === "error") code = part.error.code;
        }
      } catch (error) {
        expect(ModelCallError.is(error)).toBe(true);
        code = (error as ModelCallError).code;
      }
      expect(code).toBe("ABORTED");
    });
  });
}
