import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Llama, LlamaModel, Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToUnicode, trainByteBpe } from "./byte-bpe.js";
import { buildTinyModel, TINY_MODEL, writeTinyModel } from "./tiny-model.js";

describe("byte-level BPE", () => {
  it("maps all 256 bytes to distinct printable characters, GPT-2 style", () => {
    const map = bytesToUnicode();
    expect(new Set(map).size).toBe(256);
    expect(map[0x41]).toBe("A");
    expect(map[0x20]).toBe("Ġ");
    expect(map[0x0a]).toBe("Ċ");
  });

  it("learns the most frequent pairs first, ties to the pair that sorts first", () => {
    const { tokens, merges } = trainByteBpe("the cat the hat the bat", 3);
    // "a t", "h e" and "t h" all occur 3 times; after "h e", "t he" does.
    expect(merges).toEqual(["a t", "h e", "t he"]);
    expect(tokens.slice(256)).toEqual(merges.map((merge) => merge.replace(" ", "")));
    expect(trainByteBpe("the cat the hat the bat", 3)).toEqual({ tokens, merges });
  });
});

describe("tiny model file (random weights: its output is noise)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "orket-tiny-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is byte-identical for a seed and differs for another seed", async () => {
    const first = await writeTinyModel(join(dir, "a.gguf"), { seed: 7 });
    const second = await writeTinyModel(join(dir, "b.gguf"), { seed: 7 });
    const other = buildTinyModel({ seed: 8 });
    expect(second.sha256).toBe(first.sha256);
    expect(createHash("sha256").update(other.data).digest("hex")).not.toBe(first.sha256);
    const bytes = await readFile(first.path);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(first.sha256);
    expect(bytes.byteLength).toBe(first.bytes);
  });

  it("is a GGUF v3 file of a few hundred KB with a vocabulary of bytes, merges and special tokens", async () => {
    const file = await writeTinyModel(join(dir, "tiny.gguf"));
    const bytes = await readFile(file.path);
    expect(bytes.toString("latin1", 0, 4)).toBe("GGUF");
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(file.bytes).toBeGreaterThan(100_000);
    expect(file.bytes).toBeLessThan(1_000_000);
    expect(file.vocabSize).toBeGreaterThan(256 + 200 + 4);
  });
});

describe("tiny model in node-llama-cpp (random weights: its output is noise)", () => {
  let dir: string;
  let llama: Llama;
  let model: LlamaModel;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "orket-tiny-"));
    const file = await writeTinyModel(join(dir, "tiny.gguf"));
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    llama = await getLlama({
      gpu: false,
      build: "never",
      skipDownload: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => logs.push(`${level}: ${message}`),
    });
    model = await llama.loadModel({ modelPath: file.path });
  });
  afterAll(async () => {
    await model?.dispose();
    await llama?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("loads without a warning and reports its metadata", () => {
    expect(logs).toEqual([]);
    expect(model.fileInfo.metadata.general.architecture).toBe("llama");
    expect(model.fileInfo.metadata.general.name).toBe(TINY_MODEL.name);
    expect(model.trainContextSize).toBe(TINY_MODEL.contextLength);
  });

  it("round-trips text through its BPE tokenizer, using the learned merges", () => {
    const tokens = model.tokenize("hello world");
    expect(model.detokenize(tokens)).toBe("hello world");
    const code = "export function createTask(id: string): Task {\n  return { id, done: false };\n}\n";
    const codeTokens = model.tokenize(code);
    expect(model.detokenize(codeTokens)).toBe(code);
    expect(codeTokens.length).toBeLessThan(code.length / 2);
  });

  it("parses its ChatML special tokens and ends generation on them", () => {
    const tokens = model.tokenize("<|im_start|>user\nhi<|im_end|>", true);
    expect(tokens[0]).toBe(model.tokenize(TINY_MODEL.specialTokens.imStart, true)[0]);
    expect(model.isEogToken(tokens.at(-1))).toBe(true);
  });

  it("generates tokens", async () => {
    const context = await model.createContext({ contextSize: 256, threads: 1 });
    try {
      const generated: Token[] = [];
      for await (const token of context.getSequence().evaluate(model.tokenize("The quick brown fox"))) {
        generated.push(token);
        if (generated.length === 12) break;
      }
      expect(generated).toHaveLength(12);
      expect(model.detokenize(generated).length).toBeGreaterThan(0);
    } finally {
      await context.dispose();
    }
  });
});
