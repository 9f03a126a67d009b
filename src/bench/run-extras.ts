/**
 * The parts of a test run around the model call: the unmeasured warm-up before the first run, the
 * Ollama spill check after each, the largest context a run's calls filled, where agent-mode traces are
 * kept, the server process to measure, and the garbage collection before an embedded run.
 */
import { cp, rm } from "node:fs/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parseModelRef } from "../core/shared/model-ref.js";
import { round3 } from "../core/shared/rounding.js";
import { DEFAULT_OLLAMA_HOST, normalizeOllamaHost, type ProviderSettings } from "../providers/index.js";
import { findRunning, listOllamaRunning } from "../providers/ollama-ps.js";
import type { ModelAdapter } from "../spec/model.js";
import type { CallTelemetry } from "../spec/telemetry.js";
import { findListeningPid, loopbackPort } from "../telemetry/listening-process.js";

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

/**
 * The process that does the inference of an OpenAI-compatible server, so that its memory is measured and
 * its CPU time is not counted as foreign load: `--server-pid`, else the process listening on the base
 * URL's port when that is on this machine. (Ollama infers in a runner process of its own, not in the
 * process that listens, so it is not looked up.)
 */
export function serverProcess(
  modelRef: string,
  providers: ProviderSettings | undefined,
): { pid: number | null; source: string } {
  if (providers?.serverPid !== undefined) return { pid: providers.serverPid, source: "--server-pid" };
  const provider = parseModelRef(modelRef).provider;
  if (provider !== "openai") return { pid: null, source: `not looked up for ${provider}/ models` };
  const port = providers?.openaiBaseURL ? loopbackPort(providers.openaiBaseURL) : null;
  if (port === null) return { pid: null, source: "the server is not on this machine's loopback address" };
  const pid = findListeningPid(port);
  return pid === null
    ? { pid: null, source: `no process this user may inspect listens on port ${port}` }
    : { pid, source: `the process listening on port ${port}` };
}

let gc: (() => void) | null | undefined;

/** A full garbage collection, where V8 lets us ask for one (it always does; the flag is set once). */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc") as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
