import { describe, expect, it } from "vitest";
import { ModelRefError, parseModelRef } from "./model-ref.js";

describe("parseModelRef", () => {
  it("splits at the first slash only", () => {
    expect(parseModelRef("ollama/qwen2.5-coder:7b")).toEqual({
      provider: "ollama",
      model: "qwen2.5-coder:7b",
      ref: "ollama/qwen2.5-coder:7b",
    });
    expect(parseModelRef("gguf//abs/path/m.gguf").model).toBe("/abs/path/m.gguf");
    expect(parseModelRef("openai/Qwen/Qwen2.5-7B").model).toBe("Qwen/Qwen2.5-7B");
  });
  it("rejects unknown providers, empty models and non-gguf files", () => {
    expect(() => parseModelRef("qwen2.5")).toThrow(ModelRefError);
    expect(() => parseModelRef("hf/x")).toThrow(/provider one of/);
    expect(() => parseModelRef("ollama/")).toThrow(/names no model/);
    expect(() => parseModelRef("gguf/model.bin")).toThrow(/\.gguf file/);
  });
});
