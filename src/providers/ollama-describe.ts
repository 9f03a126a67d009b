/**
 * The reproducibility record of an Ollama model: its digest and quantization level (`GET /api/tags`),
 * the server's version (`GET /api/version`), and the context the loaded model runs with (`GET /api/ps`,
 * Ollama 0.6 and later). Ollama gives no file path, threads or GPU layers over its API.
 */
import { z } from "zod";
import type { EngineRecord } from "../spec/model.js";
import { getOllamaJson, listOllamaModels, type OllamaSettings } from "./ollama.js";
import { findRunning, listOllamaRunning, withTag } from "./ollama-ps.js";

const VersionSchema = z.looseObject({ version: z.string() });

export async function describeOllama(
  settings: OllamaSettings,
  modelId: string,
  signal?: AbortSignal,
): Promise<EngineRecord> {
  const nullReasons: Record<string, string> = {};
  const failed = (what: string) => (error: Error) => {
    nullReasons[what] = error.message;
    return null;
  };
  const [tags, version, running] = await Promise.all([
    listOllamaModels(settings, signal).catch(failed("tags")),
    getOllamaJson(settings, "/api/version", VersionSchema, signal).catch(failed("build")),
    listOllamaRunning(settings, signal).catch(failed("context_size")),
  ]);
  const wanted = withTag(modelId);
  const entry = tags?.find((m) => withTag(m.name) === wanted || withTag(m.model) === wanted);
  if (tags && !entry) nullReasons.digest = `${modelId} is not in the server's /api/tags`;
  const loaded = running ? findRunning(running, modelId) : undefined;
  const contextSize = loaded?.context_length ?? null;
  if (contextSize === null)
    nullReasons.context_size ??= loaded
      ? "this Ollama does not report context_length in /api/ps (0.6 and later do)"
      : "the model is not loaded";
  const digest = entry?.digest ?? null;
  const quantization = entry?.details?.quantization_level || null;
  if (digest === null) nullReasons.digest ??= nullReasons.tags ?? "no digest";
  if (quantization === null)
    nullReasons.quantization = nullReasons.tags ?? "/api/tags gives no quantization level";
  for (const field of ["file_sha256", "file_bytes"])
    nullReasons[field] =
      "Ollama keeps its models as blobs it does not name over its API; the digest stands for the file";
  nullReasons.threads = "Ollama does not report its threads over its API";
  nullReasons.gpu_layers = "Ollama does not report its GPU layers over its API";
  nullReasons.server_sampler_defaults = "not read: Ollama's defaults come from each model's Modelfile";
  delete nullReasons.tags;
  return {
    model: { file_sha256: null, file_bytes: null, digest, quantization, path: null },
    engine: { name: "ollama", build: version ? version.version : null, version: null },
    context_size: contextSize,
    threads: null,
    gpu_layers: null,
    server_sampler_defaults: null,
    server_settings: loaded ? { loaded: { size: loaded.size, size_vram: loaded.size_vram } } : null,
    null_reasons: nullReasons,
  };
}
