/**
 * `GET /api/ps`: the models an Ollama server holds in memory right now, with how many of their bytes sit
 * in VRAM (`size_vram`). A model whose `size_vram` is below its `size` runs partly on the CPU, which
 * makes its timings those of a different machine; the lab reads this after a run to say so.
 */
import { z } from "zod";
import { getOllamaJson, type OllamaSettings } from "./ollama.js";

const PS_PATH = "/api/ps";

const bytes = z.number().int().nonnegative();

/**
 * One `/api/ps` entry. Loose, as Ollama adds fields (`context_length` came in 0.6); `size_vram` is absent
 * on servers older than 0.1.3x, where the split was not reported.
 */
const runningEntrySchema = z.looseObject({
  name: z.string(),
  model: z.string().optional(),
  size: bytes,
  size_vram: bytes.optional(),
  digest: z.string().optional(),
  expires_at: z.string().optional(),
  context_length: z.number().int().positive().optional(),
});

export const psResponseSchema = z.looseObject({ models: z.array(runningEntrySchema) });

/** One loaded model. Sizes in bytes; `size_vram` null when the server did not report it. */
export interface OllamaRunningModel {
  name: string;
  model: string;
  size: number;
  size_vram: number | null;
  expires_at: string | null;
  context_length: number | null;
}

/**
 * Lists the models loaded on an Ollama server (`GET /api/ps`). Throws `ModelCallError`: the HTTP errors of
 * any call, or `MalformedStreamError` naming the offending field when the answer has the wrong shape.
 */
export async function listOllamaRunning(
  settings: OllamaSettings,
  signal?: AbortSignal,
): Promise<OllamaRunningModel[]> {
  const parsed = await getOllamaJson(settings, PS_PATH, psResponseSchema, signal);
  return parsed.models.map((entry) => ({
    name: entry.name,
    model: entry.model ?? entry.name,
    size: entry.size,
    size_vram: entry.size_vram ?? null,
    expires_at: entry.expires_at ?? null,
    context_length: entry.context_length ?? null,
  }));
}

/** The loaded entry for `modelId` (`qwen2.5-coder:7b`; a bare name means its `:latest`), if any. */
export function findRunning(
  models: readonly OllamaRunningModel[],
  modelId: string,
): OllamaRunningModel | undefined {
  const wanted = withTag(modelId);
  return models.find((m) => withTag(m.name) === wanted || withTag(m.model) === wanted);
}

/** Ollama names a model without a tag as its `:latest`. */
export function withTag(name: string): string {
  const slash = name.lastIndexOf("/");
  return name.slice(slash + 1).includes(":") ? name : `${name}:latest`;
}
