/**
 * Model references: one `provider/model` string names a model everywhere (CLI, config, reports).
 * `ollama/qwen2.5-coder:7b`, `openai/<model>`, `gguf/<path.gguf>`, `replay/<cassette.jsonl>`.
 */
import type { ProviderId } from "../../spec/model.js";
import { type ExitClass, OrketError } from "../../spec/orket-error.js";

export const PROVIDERS: readonly ProviderId[] = ["ollama", "openai", "gguf", "replay"];

export interface ModelRef {
  provider: ProviderId;
  /** The model name for servers; the file path for `gguf` and `replay`. */
  model: string;
  /** The reference as written. */
  ref: string;
}

export class ModelRefError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_MODEL_REF: "usage" };
  override readonly code = "BAD_MODEL_REF";
}

export function parseModelRef(ref: string): ModelRef {
  const slash = ref.indexOf("/");
  const provider = slash > 0 ? ref.slice(0, slash) : "";
  const model = slash > 0 ? ref.slice(slash + 1) : "";
  if (!isProvider(provider)) {
    throw new ModelRefError(
      `model reference "${ref}" must be provider/model with provider one of ${PROVIDERS.join(", ")} (e.g. ollama/qwen2.5-coder:7b, gguf/./model.gguf)`,
    );
  }
  if (model.trim() === "")
    throw new ModelRefError(`model reference "${ref}" names no model after "${provider}/"`);
  if (provider === "gguf" && !model.toLowerCase().endsWith(".gguf")) {
    throw new ModelRefError(`model reference "${ref}": a gguf/ reference names a .gguf file`);
  }
  return { provider, model, ref };
}

export function formatModelRef(provider: ProviderId, model: string): string {
  return `${provider}/${model}`;
}

function isProvider(value: string): value is ProviderId {
  return (PROVIDERS as readonly string[]).includes(value);
}
