import { describe, expect, it } from "vitest";
import { quantizationTag } from "./quantization-tag.js";

describe("quantizationTag", () => {
  it("gives one spelling for llama-server's, the GGUF header's and Ollama's names", () => {
    expect(quantizationTag("Q4_K - Medium")).toBe("Q4_K_M");
    expect(quantizationTag("Q3_K - Small")).toBe("Q3_K_S");
    expect(quantizationTag("Q3_K - Large")).toBe("Q3_K_L");
    expect(quantizationTag("IQ2_XXS - 2.0625 bpw")).toBe("IQ2_XXS");
    expect(quantizationTag("Q4_K_M")).toBe("Q4_K_M");
    expect(quantizationTag("q8_0")).toBe("Q8_0");
    expect(quantizationTag("F16")).toBe("F16");
  });

  it("keeps unknown as unknown", () => {
    expect(quantizationTag(null)).toBeNull();
    expect(quantizationTag("  ")).toBeNull();
  });
});
