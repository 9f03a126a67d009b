/**
 * The embedded adapter on a real GGUF: the tiny model this project writes itself. Its weights are random,
 * so every answer below is noise; the tests check the plumbing (tokens, counts, timings, settings,
 * errors), never the meaning of the text.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, describeAdapterConformance } from "../../../test/support/conformance.js";
import type { Clock, GenerateResult, ModelAdapter, ModelRequest, StreamPart } from "../../spec/model.js";
import { createGgufAdapter } from "./gguf-adapter.js";
import { acquireLlama } from "./shared-llama.js";
import { writeTinyModel } from "./tiny-model.js";

let dir: string;
let modelPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "orket-gguf-"));
  modelPath = (await writeTinyModel(join(dir, "tiny.gguf"), { seed: 1 })).path;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ask = (content: string, settings: Omit<ModelRequest, "messages"> = {}): ModelRequest => ({
  messages: [{ role: "user", content }],
  ...settings,
});

const textOf = (parts: StreamPart[]): string =>
  parts.map((p) => (p.type === "text-delta" ? p.text : "")).join("");

describeAdapterConformance("gguf (tiny random-weight model: output is noise)", async () => ({
  adapter: createGgufAdapter({ path: modelPath, threads: 1 }),
  trueStreaming: true,
  reportsUsage: true,
  request: ask("Write a haiku about tests.", { maxOutputTokens: 16, seed: 42, temperature: 0.8 }),
}));

describe("gguf adapter on the tiny model (output is noise from random weights)", () => {
  let adapter: ModelAdapter;
  beforeAll(() => {
    adapter = createGgufAdapter({ path: modelPath, threads: 1 });
  });
  afterAll(async () => {
    await adapter.close?.();
  });

  it("names itself gguf/<path> and runs in this process", () => {
    expect(adapter.ref).toBe(`gguf/${modelPath}`);
    expect(adapter.provider).toBe("gguf");
    expect(adapter.capabilities).toEqual({ trueStreaming: true, inferenceProcess: { kind: "self" } });
  });

  it("gives the same noise twice for a seed at temperature 0, also when the prompt comes from the KV cache", async () => {
    const request = ask("Same question twice.", { maxOutputTokens: 24, seed: 3, temperature: 0 });
    const first = await adapter.generate(request);
    const second = await adapter.generate(request);
    expect(second.text).toBe(first.text);
    expect(first.usage.cachedPromptTokens).toBe(0);
    expect(second.usage.cachedPromptTokens).toBe((second.usage.promptTokens ?? 0) - 1);
  });

  it("passes seed and temperature: a seed repeats its sample, another seed samples other noise", async () => {
    const sample = (seed: number) =>
      adapter.generate(ask("Sample me.", { maxOutputTokens: 24, seed, temperature: 1 }));
    const [a, again, b] = [await sample(1), await sample(1), await sample(2)];
    expect(again.text).toBe(a.text);
    expect(b.text).not.toBe(a.text);
  });

  it("passes topP: a tiny nucleus at a high temperature leaves only the greedy choice", async () => {
    const greedy = await adapter.generate(ask("Nucleus.", { maxOutputTokens: 24, temperature: 0 }));
    const hot = await adapter.generate(ask("Nucleus.", { maxOutputTokens: 24, temperature: 1.5, seed: 9 }));
    const narrow = await adapter.generate(
      ask("Nucleus.", { maxOutputTokens: 24, temperature: 1.5, seed: 9, topP: 1e-6 }),
    );
    expect(hot.text).not.toBe(greedy.text);
    expect(narrow.text).toBe(greedy.text);
  });

  it("respects maxOutputTokens: exactly that many tokens, finish length", async () => {
    const result = await adapter.generate(ask("Count to three.", { maxOutputTokens: 5, temperature: 0 }));
    expect(result.usage.outputTokens).toBe(5);
    expect(result.finishReason).toEqual({ unified: "length", raw: "maxTokens" });
  });

  it("passes stop strings: the answer ends before the stop text, finish stop", async () => {
    const request = ask("Stop me.", { maxOutputTokens: 32, temperature: 0 });
    const full = await adapter.generate(request);
    const stop = full.text.slice(10, 13);
    const index = full.text.indexOf(stop);
    const stopped = await adapter.generate({ ...request, stop: [stop] });
    expect(stopped.text).toBe(full.text.slice(0, index));
    expect(stopped.finishReason).toEqual({ unified: "stop", raw: "customStopTrigger" });
    expect(stopped.usage.outputTokens).toBeLessThan(full.usage.outputTokens ?? 0);
  });

  it("passes contextSize: without a token limit, generation fills exactly that context", async () => {
    const result = await adapter.generate(ask("Fill the context.", { contextSize: 256, temperature: 0 }));
    expect((result.usage.promptTokens ?? 0) + (result.usage.outputTokens ?? 0)).toBe(256);
    expect(result.finishReason).toEqual({ unified: "length", raw: "contextFull" });
    expect(result.timings?.loadSeconds).toBeGreaterThan(0);
    const again = await adapter.generate(ask("Same context.", { contextSize: 256, maxOutputTokens: 2 }));
    expect(again.timings?.loadSeconds).toBe(0);
  });

  it("renders system, user and assistant messages with the model's ChatML template", async () => {
    // The process's shared engine: a second node-llama-cpp instance would disturb the adapter's (see shared-llama.ts).
    const lease = await acquireLlama(false, () => {}, modelPath);
    const model = await lease.llama.loadModel({ modelPath });
    const rendered =
      "<|bos|><|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n" +
      "<|im_start|>assistant\nHi.<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n<|im_start|>assistant\n";
    const expected = model.tokenize(rendered, true).length;
    await model.dispose();
    lease.release();
    const result = await adapter.generate({
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Hi." },
        { role: "user", content: "Again" },
      ],
      maxOutputTokens: 4,
    });
    expect(result.usage.promptTokens).toBe(expected);
  });

  it("streams text as tokens are sampled, the same text generate returns", async () => {
    const request = ask("Stream it.", { maxOutputTokens: 20, temperature: 0 });
    const parts = await collect(adapter.stream(request));
    const deltas = parts.filter((p) => p.type === "text-delta");
    expect(deltas.length).toBeGreaterThan(5);
    expect(textOf(parts)).toBe((await adapter.generate(request)).text);
    expect(parts.at(-1)).toMatchObject({ type: "finish", usage: { outputTokens: 20 } });
  });

  it("aborting mid-stream ends the stream with an ABORTED error part, and the next call still works", async () => {
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    for await (const part of adapter.stream(
      ask("Long noise.", { maxOutputTokens: 400, signal: controller.signal }),
    )) {
      parts.push(part);
      if (parts.length === 3) controller.abort();
    }
    const last = parts.at(-1);
    expect(last?.type).toBe("error");
    expect(last?.type === "error" && last.error.code).toBe("ABORTED");
    expect(parts.some((p) => p.type === "finish")).toBe(false);
    const next = await adapter.generate(ask("Still there?", { maxOutputTokens: 3 }));
    expect(next.usage.outputTokens).toBe(3);
  });

  it("a reader that leaves early stops the generation and frees the adapter", async () => {
    for await (const part of adapter.stream(ask("Leave early.", { maxOutputTokens: 400 }))) {
      if (part.type === "text-delta") break;
    }
    const next = await adapter.generate(ask("Next.", { maxOutputTokens: 3 }));
    expect(next.usage.outputTokens).toBe(3);
  });
});

describe("gguf adapter timings (noise from random weights, measured with an injected clock)", () => {
  it("reports load, prefill and decode time from the clock it was given", async () => {
    let now = 0;
    const clock: Clock = { now: () => (now += 10) };
    const adapter = createGgufAdapter({ path: modelPath, threads: 1, clock });
    try {
      const first: GenerateResult = await adapter.generate(ask("Time me.", { maxOutputTokens: 6 }));
      // One clock reading before loading and one after: 10 ms. Then one at the start of the evaluation
      // and one per sampled token: 10 ms to the first token, 10 ms between tokens.
      expect(first.timings).toEqual({
        source: "embedded",
        loadSeconds: 0.01,
        prefillSeconds: 0.01,
        decodeSeconds: 0.05,
        // Six tokens: the first opens the decode window, five decode steps fill it.
        decodeTokens: 5,
      });
      const second = await adapter.generate(ask("Time me again.", { maxOutputTokens: 6 }));
      expect(second.timings?.loadSeconds).toBe(0);
    } finally {
      await adapter.close?.();
    }
  });
});

describe("gguf adapter load failures", () => {
  const expectLoadFailure = async (path: string, detail: RegExp): Promise<void> => {
    const adapter = createGgufAdapter({ path, threads: 1 });
    const error = await adapter.generate(ask("hi")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "MODEL_LOAD_FAILED" });
    const message = (error as Error).message;
    expect(message).toContain(path);
    expect(message).toMatch(detail);
    expect(message).not.toContain("\n");
    await adapter.close?.();
  };

  it("a missing file is MODEL_LOAD_FAILED naming the path", async () => {
    await expectLoadFailure(join(dir, "missing.gguf"), /file not found/);
  });

  it("a garbage .gguf file is MODEL_LOAD_FAILED", async () => {
    const path = join(dir, "garbage.gguf");
    await writeFile(path, Buffer.from("this is not a model, just some text pretending to be one".repeat(20)));
    await expectLoadFailure(path, /not a GGUF file/);
  });

  it("a GGUF header with impossible counts is MODEL_LOAD_FAILED, not an endless read", async () => {
    const path = join(dir, "bad-header.gguf");
    await writeFile(
      path,
      Buffer.concat([
        Buffer.from("GGUF"),
        Buffer.from([3, 0, 0, 0]),
        Buffer.alloc(16, 0xff),
        Buffer.alloc(64),
      ]),
    );
    await expectLoadFailure(path, /corrupt GGUF header/);
  });

  it("a truncated model is MODEL_LOAD_FAILED with llama.cpp's reason", async () => {
    const path = join(dir, "truncated.gguf");
    const whole = await readFile(modelPath);
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));
    await expectLoadFailure(path, /not within the file bounds/);
  });
});
