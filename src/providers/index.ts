/**
 * Makes the adapter a model reference names. Settings come in from the caller (the CLI reads flags and
 * the environment once, at its edge); nothing here reads globals.
 */
import { parseModelRef } from "../core/shared/model-ref.js";
import type { ModelAdapter } from "../spec/model.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { recordCassette } from "./cassette.js";
import { createGgufAdapter } from "./gguf/gguf-adapter.js";
import type { FetchFn } from "./http.js";
import { createOllamaAdapter } from "./ollama.js";
import { describeOllama } from "./ollama-describe.js";
import { createOpenAICompatibleAdapter } from "./openai-compatible.js";
import { createReplayAdapter } from "./replay.js";

export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

export interface ProviderSettings {
  /** Ollama's address; `host:port` without a scheme is accepted, as `OLLAMA_HOST` allows. */
  ollamaHost?: string | undefined;
  /** An OpenAI-compatible server's base URL, `/v1` included. */
  openaiBaseURL?: string | undefined;
  openaiApiKey?: string | undefined;
  /** The pid of a local server process, so its peak RSS can be measured. */
  serverPid?: number | undefined;
  /** Embedded engine: use a GPU when present (default: CPU only). */
  gpu?: "auto" | false | undefined;
  contextSize?: number | undefined;
  /**
   * Reuse a cached common prompt prefix between calls. Embedded engine: default true. llama.cpp's server:
   * `false` sends `cache_prompt: false`; undefined keeps the server's default.
   */
  promptCache?: boolean | undefined;
  threads?: number | undefined;
  replayPacing?: "recorded" | "instant" | undefined;
  /** Append every call to this cassette file. */
  recordPath?: string | undefined;
  fetch?: FetchFn | undefined;
}

export class ProviderSettingsError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_PROVIDER_SETTINGS: "usage" };
  override readonly code = "BAD_PROVIDER_SETTINGS";
}

export function createModelAdapter(ref: string, settings: ProviderSettings = {}): ModelAdapter {
  const adapter = makeAdapter(ref, settings);
  return settings.recordPath ? recordCassette(adapter, settings.recordPath) : adapter;
}

function makeAdapter(ref: string, settings: ProviderSettings): ModelAdapter {
  const parsed = parseModelRef(ref);
  switch (parsed.provider) {
    case "ollama": {
      const ollama = {
        host: normalizeOllamaHost(settings.ollamaHost ?? DEFAULT_OLLAMA_HOST),
        fetch: settings.fetch,
        serverPid: settings.serverPid,
      };
      const adapter = createOllamaAdapter(parsed.model, ollama);
      return { ...adapter, describe: (signal) => describeOllama(ollama, parsed.model, signal) };
    }
    case "openai": {
      if (!settings.openaiBaseURL) {
        throw new ProviderSettingsError(
          `${ref}: an openai/ model needs the server's address: pass --base-url (e.g. http://127.0.0.1:8080/v1) or set OPENAI_BASE_URL`,
        );
      }
      return createOpenAICompatibleAdapter(parsed.model, {
        baseURL: settings.openaiBaseURL,
        apiKey: settings.openaiApiKey,
        fetch: settings.fetch,
        serverPid: settings.serverPid,
        promptCache: settings.promptCache,
      });
    }
    case "gguf":
      return createGgufAdapter({
        path: parsed.model,
        gpu: settings.gpu ?? false,
        contextSize: settings.contextSize,
        threads: settings.threads,
        promptCache: settings.promptCache,
      });
    case "replay":
      return createReplayAdapter({ path: parsed.model, pacing: settings.replayPacing });
  }
}

/** `OLLAMA_HOST` may be `0.0.0.0`, `host:port` or a URL; the client needs a URL it can connect to. */
export function normalizeOllamaHost(host: string): string {
  let value = host.trim();
  if (!/^https?:\/\//.test(value)) value = `http://${value}`;
  const url = new URL(value);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  if (!url.port && !/^https?:\/\/[^/]+:\d+/.test(value)) url.port = "11434";
  return url.toString().replace(/\/+$/, "");
}
