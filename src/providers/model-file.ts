/**
 * A local model file's identity for the reproducibility record: its sha256 and size, and the
 * quantization its GGUF header names (`general.file_type`). Hashes are kept per process by path, size
 * and modification time, so a sweep or a long bench hashes each file once.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";

export interface ModelFileIdentity {
  sha256: string;
  bytes: number;
  realPath: string;
}

const hashes = new Map<string, Promise<ModelFileIdentity>>();

/** sha256 of the file behind `path` (links followed). Throws the file system's error. */
export async function identifyModelFile(path: string): Promise<ModelFileIdentity> {
  const real = await realpath(path);
  const info = await stat(real);
  const key = `${real}\0${info.size}\0${info.mtimeMs}`;
  let pending = hashes.get(key);
  if (!pending) {
    pending = new Promise<ModelFileIdentity>((resolve, reject) => {
      const hash = createHash("sha256");
      createReadStream(real)
        .on("data", (chunk) => hash.update(chunk))
        .on("error", reject)
        .on("end", () => resolve({ sha256: hash.digest("hex"), bytes: info.size, realPath: real }));
    });
    hashes.set(key, pending);
    pending.catch(() => hashes.delete(key));
  }
  return pending;
}

/**
 * The quantization a GGUF file's header names (`general.file_type`, e.g. `Q4_K_M`), read with
 * node-llama-cpp's GGUF reader (metadata only, no tensors, no model load). Null when the key is absent.
 */
export async function readGgufQuantization(path: string): Promise<string | null> {
  const { readGgufFileInfo, GgufFileType } = await import("node-llama-cpp");
  const info = await readGgufFileInfo(path, {
    readTensorInfo: false,
    logWarnings: false,
    sourceType: "filesystem",
    ignoreKeys: [
      "tokenizer.ggml.tokens",
      "tokenizer.ggml.merges",
      "tokenizer.ggml.token_type",
      "tokenizer.ggml.scores",
    ],
  });
  const value = info.metadata.general?.file_type;
  if (value === undefined) return null;
  const name = GgufFileType[value];
  return name ? name.replace(/^(MOSTLY|ALL)_/, "") : `file_type ${value}`;
}
