import { describe, expect, it } from "vitest";
import { applyTagTemplate } from "../index.js";
import { parseContextList, parseModelList, parseQuantList } from "./sweep-args.js";

describe("sweep list arguments", () => {
  it("parse quant tags, context sizes and quant=ref pairs in the order given", () => {
    expect(parseQuantList(" q8_0, q6_K ,IQ4_XS,bf16")).toEqual(["q8_0", "q6_K", "IQ4_XS", "bf16"]);
    expect(parseContextList("8192,2048")).toEqual([8192, 2048]);
    expect(parseModelList("q8_0=ollama/x:q8, q4=gguf/./a=b.gguf")).toEqual([
      { quant: "q8_0", ref: "ollama/x:q8" },
      { quant: "q4", ref: "gguf/./a=b.gguf" },
    ]);
    expect(applyTagTemplate("{family}-instruct-{quant}", "qwen2.5-coder:7b", "q4_K_M")).toBe(
      "qwen2.5-coder:7b-instruct-q4_K_M",
    );
  });

  it("reject bad lists with a message naming the flag", () => {
    expect(() => parseQuantList("")).toThrow(/^--quants is empty/);
    expect(() => parseQuantList("q8_0,")).toThrow(/--quants: empty item/);
    expect(() => parseQuantList("q8_0,Q8_0")).toThrow(/--quants: "q8_0" is listed twice/);
    expect(() => parseQuantList("q4/K")).toThrow(/--quants: "q4\/K" is not a quantization tag/);
    expect(() => parseContextList("4096,4k")).toThrow(/--contexts: "4k" is not a context size/);
    expect(() => parseContextList("8")).toThrow(/--contexts: "8"/);
    expect(() => parseContextList("2048,2048")).toThrow(/listed twice/);
    expect(() => parseModelList("q8_0=")).toThrow(/--models: "q8_0=" is not quant=provider\/model/);
    expect(() => parseModelList("a=ollama/x,A=ollama/y")).toThrow(/--models: "a" is listed twice/);
    expect(() => applyTagTemplate("{family}", "x", "q4")).toThrow(
      /--tag-template "\{family\}" has no \{quant\}/,
    );
  });
});
