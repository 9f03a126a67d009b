/**
 * The parts of a test run around the model call: the unmeasured warm-up before the first run, the
 * Ollama spill check after each, the largest context a run's calls filled, and where agent-mode traces
 * are kept.
 */
import { cp, rm } from "node:fs/promises";
import { round3 } from "../core/rounding.js";
import { DEFAULT_OLLAMA_HOST, normalizeOllamaHost } from "../providers/index.js";
import { findRunning, listOllamaRunning } from "../providers/ollama-ps.js";
import type { ModelAdapter } from "../spec/model.js";
import type { CallTelemetry } from "../spec/telemetry.js";

/** What these helpers read of the benchmark's options. */
export interface RunExtrasOptions {
  warmup?: boolean | undefined;
  signal?: AbortSignal | undefined;
  providers?: { contextSize?: number | undefined; ollamaHost?: string | undefined } | undefined;
}

/**
 * Loads the model before the first test run (one 1-token call, not measured), so the first run does not
 * pay the load and come out COLD_MODEL_LOAD. A replayed cassette has nothing to load. A failed warm-up
 * is recorded, not fatal: the test runs will meet the same error and record it.
 */
export async function warmUp(
  adapter: ModelAdapter,
  options: RunExtrasOptions,
): Promise<{ seconds: number | null; reason: string }> {
  if (adapter.provider === "replay" || options.warmup === false) {
    return {
      seconds: null,
      reason: adapter.provider === "replay" ? "a replayed cassette has no model to load" : "--no-warmup",
    };
  }
  const started = performance.now();
  try {
    await adapter.generate({
      messages: [{ role: "user", content: "Reply with OK." }],
      maxOutputTokens: 1,
      temperature: 0,
      ...(options.providers?.contextSize ? { contextSize: options.providers.contextSize } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      seconds: round3((performance.now() - started) / 1000),
      reason: "one 1-token call before the first run",
    };
  } catch (error) {
    return {
      seconds: null,
      reason: `warm-up failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * Ollama only: whether `/api/ps` shows the model partly outside VRAM (`size_vram < size`) right after the
 * run. Unknown (the server did not say, or could not be asked) is not a spill.
 */
export async function spilledToCpu(adapter: ModelAdapter, options: RunExtrasOptions): Promise<boolean> {
  if (adapter.provider !== "ollama") return false;
  try {
    const running = await listOllamaRunning({
      host: normalizeOllamaHost(options.providers?.ollamaHost ?? DEFAULT_OLLAMA_HOST),
    });
    const entry = findRunning(running, adapter.ref.replace(/^ollama\//, ""));
    return entry?.size_vram != null && entry.size_vram < entry.size;
  } catch {
    return false;
  }
}

/** The most tokens one call of the run held in its context (prompt + output); null when none counted. */
export function largestCall(calls: readonly CallTelemetry[]): number | null {
  const sizes = calls.flatMap((c) => {
    const { prompt_tokens, output_tokens } = c.token_metrics.counts;
    return prompt_tokens === null ? [] : [prompt_tokens + (output_tokens ?? 0)];
  });
  return sizes.length ? Math.max(...sizes) : null;
}

/** A task id as one path segment. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** Copies the memory traces of a run's turns (only the trace files) to where the report keeps them. */
export async function keepTraces(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await cp(from, to, {
    recursive: true,
    filter: (source) => !/\.(txt|json)$/.test(source) || /memory(_retrieval)?_trace\.json$/.test(source),
  });
}
