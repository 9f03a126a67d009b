import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { matchQuantFile, resolveQuantTargets, safeSegment } from "./sweep-models.js";

describe("quant targets", () => {
  const files = ["m.Q4_K.gguf", "m.Q4_K_M.gguf", "m.Q4_K_S.gguf", "m.Q8_0.gguf"];

  it("match a quant to the one file whose name holds it, preferring the tag standing alone", () => {
    expect(matchQuantFile(files, "q8_0", "d")).toBe("m.Q8_0.gguf");
    expect(matchQuantFile(files, "q4_K_M", "d")).toBe("m.Q4_K_M.gguf");
    expect(matchQuantFile(files, "Q4_K", "d")).toBe("m.Q4_K.gguf");
    expect(() => matchQuantFile(files, "q6_K", "d")).toThrow(
      /d has no \.gguf file whose name contains "q6_K"/,
    );
    expect(() => matchQuantFile(["a-q4_0.gguf", "b-q4_0.gguf"], "q4_0", "d")).toThrow(
      /2 files match "q4_0" \(a-q4_0\.gguf, b-q4_0\.gguf\)/,
    );
  });

  it("resolve a GGUF folder to absolute gguf/ references with their sizes, without Ollama", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-sweep-models-"));
    writeFileSync(join(dir, "x-q8_0.gguf"), Buffer.alloc(300));
    writeFileSync(join(dir, "x-q4_0.gguf"), Buffer.alloc(100));
    writeFileSync(join(dir, "notes-q4_0.txt"), "not a model");
    const targets = await resolveQuantTargets({ ggufDir: dir, quants: ["q4_0", "q8_0"] });
    expect(targets).toEqual([
      { quant: "q4_0", modelRef: `gguf/${join(dir, "x-q4_0.gguf")}`, sizeBytes: 100 },
      { quant: "q8_0", modelRef: `gguf/${join(dir, "x-q8_0.gguf")}`, sizeBytes: 300 },
    ]);
    await expect(resolveQuantTargets({ ggufDir: dir, quants: ["q4_0"], models: [] })).rejects.toThrow(
      /give one of --models, --gguf-dir and --tag-template/,
    );
    await expect(resolveQuantTargets({ quants: ["q4_0"] })).rejects.toThrow(/--model-family is needed/);
    await expect(resolveQuantTargets({ modelFamily: "gguf/x", quants: ["q4_0"] })).rejects.toThrow(
      /gguf\/ models are files/,
    );
    const replay = await resolveQuantTargets({ models: [{ quant: "a", ref: "replay/x.jsonl" }] });
    expect(replay[0]).toMatchObject({ sizeBytes: null, sizeReason: "a replayed cassette has no model file" });
  });

  it("follow symbolic links to model files (the Hugging Face cache keeps models as links)", async () => {
    const blobs = mkdtempSync(join(tmpdir(), "orket-sweep-blobs-"));
    const dir = mkdtempSync(join(tmpdir(), "orket-sweep-links-"));
    writeFileSync(join(blobs, "sha256-aaaa"), Buffer.alloc(200));
    symlinkSync(join(blobs, "sha256-aaaa"), join(dir, "x-q4_0.gguf"));
    symlinkSync(join(blobs, "missing"), join(dir, "x-q8_0.gguf"));
    mkdirSync(join(blobs, "folder.gguf"));
    symlinkSync(join(blobs, "folder.gguf"), join(dir, "y-q8_0.gguf"));
    const targets = await resolveQuantTargets({ ggufDir: dir, quants: ["q4_0"] });
    expect(targets).toEqual([
      { quant: "q4_0", modelRef: `gguf/${join(dir, "x-q4_0.gguf")}`, sizeBytes: 200 },
    ]);
    // A dangling link, or one to a folder, is not a model file.
    await expect(resolveQuantTargets({ ggufDir: dir, quants: ["q8_0"] })).rejects.toThrow(
      /has no \.gguf file whose name contains "q8_0" \(its \.gguf files: x-q4_0\.gguf\)/,
    );
  });

  it("make labels safe as one path segment", () => {
    expect(safeSegment("qwen2.5-coder:7b")).toBe("qwen2.5-coder_7b");
    expect(safeSegment("..")).toBe("_");
    expect(safeSegment("a/../b")).toBe("a_.._b");
  });
});
