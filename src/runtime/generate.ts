/**
 * `generate`: one prompt to one model, streamed, with its telemetry record. The library function behind
 * `orket generate`; with no model named it picks one (Ollama when it answers, else the embedded engine
 * on the generated smoke model) and says why.
 */
import { existsSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeTinyModel } from "../providers/gguf/tiny-model.js";
import {
  createModelAdapter,
  DEFAULT_OLLAMA_HOST,
  normalizeOllamaHost,
  type ProviderSettings,
} from "../providers/index.js";
import { listOllamaModels } from "../providers/ollama.js";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import type { CallSettings, ModelMessage } from "../spec/model.js";
import { type CallResult, callModel, type RetryPolicy } from "../telemetry/model-call.js";

export interface GenerateOptions extends CallSettings {
  prompt: string;
  system?: string | undefined;
  /** A `provider/model` reference; omitted → `resolveDefaultModel`. */
  model?: string | undefined;
  stream?: boolean;
  providers?: ProviderSettings;
  /** Orket's durable state folder (`.orket`), where the smoke model and the call log live. */
  home: string;
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal | undefined;
  onTextDelta?: (text: string) => void;
  /** Told which model was chosen and why, and when the smoke model is being generated. */
  onNotice?: (message: string) => void;
  lane?: ExecutionLane;
  vramProfile?: VramProfile;
}

export interface GenerateOutcome {
  modelRef: string;
  /** Why this model: named by the caller, or how the default was found. */
  chosenBecause: string;
  result: CallResult;
}

export const SMOKE_MODEL_FILE = "orket-tiny.gguf";
/** Tokens the smoke model generates when the caller sets no limit. */
export const SMOKE_MAX_TOKENS = 64;

export async function generate(options: GenerateOptions): Promise<GenerateOutcome> {
  const chosen = options.model
    ? { ref: options.model, because: "named with --model" }
    : await resolveDefaultModel(options);
  options.onNotice?.(`model: ${chosen.ref} (${chosen.because})`);
  // Noise has no natural end: without a limit the smoke model would fill its whole context.
  const maxOutputTokens =
    options.maxOutputTokens ?? ("smoke" in chosen && chosen.smoke ? SMOKE_MAX_TOKENS : undefined);

  const adapter = createModelAdapter(chosen.ref, options.providers);
  const messages: ModelMessage[] = [
    ...(options.system ? [{ role: "system" as const, content: options.system }] : []),
    { role: "user", content: options.prompt },
  ];
  try {
    const result = await callModel(
      adapter,
      {
        messages,
        maxOutputTokens,
        temperature: options.temperature,
        topP: options.topP,
        seed: options.seed,
        stop: options.stop,
        contextSize: options.contextSize,
      },
      {
        stream: options.stream ?? true,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        signal: options.signal,
        onTextDelta: options.onTextDelta,
        lane: options.lane,
        vramProfile: options.vramProfile,
      },
    );
    await appendCallLog(options.home, result);
    return { modelRef: chosen.ref, chosenBecause: chosen.because, result };
  } finally {
    await adapter.close?.();
  }
}

/**
 * Ollama at the configured host when it answers and has a model; otherwise the embedded engine on the
 * smoke model, written under `<home>/models/` the first time it is needed. The smoke model has random
 * weights: its output is noise, useful only to prove the whole path works.
 */
export async function resolveDefaultModel(
  options: Pick<GenerateOptions, "home" | "providers" | "onNotice">,
): Promise<{ ref: string; because: string; smoke: boolean }> {
  const host = normalizeOllamaHost(options.providers?.ollamaHost ?? DEFAULT_OLLAMA_HOST);
  try {
    const models = await listOllamaModels(
      { host, fetch: options.providers?.fetch },
      AbortSignal.timeout(750),
    );
    const first = models[0];
    if (first) {
      return {
        ref: `ollama/${first.name}`,
        because: `Ollama answered at ${host}; its first listed model`,
        smoke: false,
      };
    }
    options.onNotice?.(`Ollama answered at ${host} but has no models; using the embedded engine`);
  } catch {
    // Ollama is not running there: the embedded engine needs no server.
  }
  const path = join(options.home, "models", SMOKE_MODEL_FILE);
  if (!existsSync(path)) {
    options.onNotice?.(`writing the smoke model to ${path} (random weights: its output is noise)`);
    await mkdir(dirname(path), { recursive: true });
    await writeTinyModel(path);
  }
  return {
    ref: `gguf/${path}`,
    because: `no Ollama at ${host}; embedded llama.cpp on the smoke model (random weights: output is noise; ${SMOKE_MAX_TOKENS} tokens unless --max-tokens)`,
    smoke: true,
  };
}

async function appendCallLog(home: string, result: CallResult): Promise<void> {
  const dir = join(home, "telemetry");
  await mkdir(dir, { recursive: true });
  await appendFile(join(dir, "calls.jsonl"), `${JSON.stringify(result.telemetry)}\n`);
}
