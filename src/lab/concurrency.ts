/**
 * `orket sweep concurrency`: one OpenAI-compatible or Ollama server under 1, 2, 4 … concurrent clients,
 * in the manner of GuideLLM's concurrent profile and `vllm bench serve --max-concurrency`. Each level
 * keeps that many requests in flight (a client sends its next request when its last one ends), cycling
 * the bank's direct prompts, for a duration or a number of requests. Every request is streamed and
 * timed on the client: TTFT, the gap before each content chunk, end-to-end; token counts come from each
 * response's usage. Beside them, the server's own counters (llama-server `/metrics`, read before and
 * after each level and polled during it, and its `/slots`).
 */
import { mkdir } from "node:fs/promises";
import { arch, cpus, platform } from "node:os";
import { join, resolve } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { bankSha256, loadBank, selectTasks } from "../bench/bank/bank-loader.js";
import { directPrompt } from "../bench/runner.js";
import { findKnee, levelFigures, type RequestSample, type Slo } from "../core/lab/concurrency.js";
import { parseModelRef } from "../core/shared/model-ref.js";
import { createModelAdapter, type ProviderSettings } from "../providers/index.js";
import {
  CONCURRENCY_SWEEP_SCHEMA_VERSION,
  type ConcurrencyRow,
  type ConcurrencySweep,
  ConcurrencySweepSchema,
} from "../spec/concurrency.js";
import type { Reporter } from "../spec/events.js";
import type { ModelAdapter, ModelMessage } from "../spec/model.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { writeFileAtomic } from "../store/atomic-file.js";
import { type EventSink, eventStreamFor } from "../telemetry/event-stream.js";
import { ORKET_VERSION } from "../version.js";
import { renderConcurrencyHtml } from "./concurrency-report.js";

export class ConcurrencySweepError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_CONCURRENCY_SWEEP: "usage" };
  override readonly code = "BAD_CONCURRENCY_SWEEP";
}

export interface ConcurrencySweepOptions {
  /** `openai/<model>` (with `providers.openaiBaseURL`) or `ollama/<model>`. */
  model: string;
  providers: ProviderSettings;
  levels: readonly number[];
  /** Seconds per level (default 60 when `requests` is not given). */
  durationSeconds?: number | undefined;
  /** Requests per level, instead of a duration. */
  requests?: number | undefined;
  slo?: Slo | null | undefined;
  /** Most output tokens per request (default 128). */
  maxOutputTokens?: number | undefined;
  bank?: string | undefined;
  tasks?: string | undefined;
  seed?: number | undefined;
  temperature?: number | undefined;
  /** Unmeasured requests before the first level, to load the model (default 1). */
  warmupRequests?: number | undefined;
  /** Per-request timeout in ms (default 300 000). */
  timeoutMs?: number | undefined;
  /** Default `orket-sweeps/concurrency-<time>`. */
  out?: string | undefined;
  signal?: AbortSignal | undefined;
  reporter?: Reporter | EventSink | undefined;
}

export interface ConcurrencySweepResult {
  sweep: ConcurrencySweep;
  path: string;
  htmlPath: string;
}

export const CONCURRENCY_FILE = "concurrency_sweep.json";

export async function runConcurrencySweep(options: ConcurrencySweepOptions): Promise<ConcurrencySweepResult> {
  const ref = parseModelRef(options.model);
  if (ref.provider !== "openai" && ref.provider !== "ollama")
    throw new ConcurrencySweepError(
      `--model ${options.model}: a concurrency sweep loads a server; give openai/<model> with --base-url, or ollama/<model>`,
    );
  if (options.durationSeconds !== undefined && options.requests !== undefined)
    throw new ConcurrencySweepError(
      "--duration and --requests both given: a level runs for one or the other",
    );
  if (options.levels.length === 0) throw new ConcurrencySweepError("--levels names no level");
  const requestsPerLevel = options.requests ?? null;
  const durationSeconds = requestsPerLevel === null ? (options.durationSeconds ?? 60) : null;
  const bank = await loadBank(options.bank ?? "builtin");
  const tasks = options.tasks ? selectTasks(bank, options.tasks) : bank.tasks;
  const prompts = tasks.map((t) => directPrompt(t));
  const seed = options.seed ?? 42;
  const temperature = options.temperature ?? 0;
  const maxOutputTokens = options.maxOutputTokens ?? 128;
  const slo = options.slo ?? null;
  const events = eventStreamFor(options.reporter);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const out = resolve(options.out ?? join("orket-sweeps", `concurrency-${stamp}`));
  await mkdir(out, { recursive: true });

  const adapter = createModelAdapter(options.model, options.providers);
  const root = serverRoot(ref.provider, options.providers);
  const server = await describeServer(ref.provider, root, options.signal);
  events.emit({ type: "run_start", command: "sweep", run_id: null, subject: options.model, total: null });
  events.emit({
    type: "info",
    message: `${server.kind} server at ${server.base_url}${server.slots === null ? "" : ` with ${server.slots} slot(s)`}; levels ${options.levels.join(", ")}, ${durationSeconds === null ? `${requestsPerLevel} requests` : `${durationSeconds} s`} each`,
  });
  const call = (messages: ModelMessage[], signal?: AbortSignal) =>
    timedRequest(
      adapter,
      messages,
      { seed, temperature, maxOutputTokens },
      signal,
      options.timeoutMs ?? 300_000,
    );
  const warmups = options.warmupRequests ?? 1;
  for (let i = 0; i < warmups; i++) await call(prompts[i % prompts.length] as ModelMessage[], options.signal);

  const rows: ConcurrencyRow[] = [];
  let interrupted = false;
  try {
    for (const level of options.levels) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      events.emit({ type: "info", message: `level ${level}: ${level} concurrent client(s)` });
      const before = root && server.kind === "llama.cpp" ? await scrape(root) : null;
      const peaks = { processing: null as number | null, deferred: null as number | null };
      const poller =
        before === null
          ? null
          : setInterval(() => {
              void scrape(root as string).then((m) => {
                if (!m) return;
                peaks.processing = Math.max(peaks.processing ?? 0, m.processing ?? 0);
                peaks.deferred = Math.max(peaks.deferred ?? 0, m.deferred ?? 0);
              });
            }, 250);
      const samples: RequestSample[] = [];
      let issued = 0;
      const started = performance.now();
      const deadline = durationSeconds === null ? null : started + durationSeconds * 1000;
      let lastEnd = started;
      const client = async () => {
        for (;;) {
          if (options.signal?.aborted) return;
          if (requestsPerLevel !== null && issued >= requestsPerLevel) return;
          if (deadline !== null && performance.now() >= deadline) return;
          const prompt = prompts[issued % prompts.length] as ModelMessage[];
          issued++;
          const sample = await call(prompt, options.signal);
          lastEnd = Math.max(lastEnd, performance.now());
          if (options.signal?.aborted && !sample.ok) return;
          samples.push(sample);
          events.emit({
            type: "progress",
            done: samples.length,
            total: requestsPerLevel,
            unit: "request",
            label: `level ${level}: ${sample.ok ? `${Math.round(sample.e2e_ms)} ms` : sample.error_code}`,
          });
        }
      };
      await Promise.all(Array.from({ length: level }, client));
      if (poller) clearInterval(poller);
      const after = before === null ? null : await scrape(root as string);
      const figures = levelFigures(samples, (lastEnd - started) / 1000, slo);
      const nullReasons = { ...figures.null_reasons };
      let serverFigures: ConcurrencyRow["server"] = null;
      if (before && after) {
        serverFigures = {
          prompt_tokens: delta(before.prompt, after.prompt),
          predicted_tokens: delta(before.predicted, after.predicted),
          requests_processing_peak: peaks.processing,
          requests_deferred_peak: peaks.deferred,
        };
      } else nullReasons.server = server.null_reasons.metrics ?? "the server exposes no /metrics";
      rows.push({ concurrency: level, ...figures, server: serverFigures, null_reasons: nullReasons });
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
  } finally {
    await adapter.close?.();
  }
  if (interrupted)
    events.emit({
      type: "interrupted",
      reason: `stopped after ${rows.length} of ${options.levels.length} levels`,
    });

  const sweep: ConcurrencySweep = {
    schema_version: CONCURRENCY_SWEEP_SCHEMA_VERSION,
    generated_at: new Date().toISOString(),
    model_ref: options.model,
    server,
    settings: {
      levels: [...options.levels],
      duration_seconds: durationSeconds,
      requests_per_level: requestsPerLevel,
      max_output_tokens: maxOutputTokens,
      temperature,
      seed,
      bank: { name: bank.name, version: bank.version, sha256: bankSha256(bank) },
      prompts: prompts.length,
      slo: slo ?? { ttft_ms: null, itl_ms: null },
      warmup_requests: warmups,
    },
    rows,
    knee: findKnee(rows),
    interrupted,
    host: {
      platform: platform(),
      arch: arch(),
      cpu_model: cpus()[0]?.model ?? "unknown",
      core_count: cpus().length,
    },
    orket_version: ORKET_VERSION,
  };
  const checked = ConcurrencySweepSchema.safeParse(sweep);
  if (!checked.success)
    throw new Error(`the concurrency sweep fails its own schema: ${checked.error.message}`);
  const path = join(out, CONCURRENCY_FILE);
  await writeFileAtomic(path, `${JSON.stringify(sweep, null, 2)}\n`);
  const htmlPath = join(out, "concurrency_report.html");
  await writeFileAtomic(htmlPath, renderConcurrencyHtml(sweep));
  events.emit({
    type: "run_end",
    status: interrupted ? "interrupted" : "done",
    reason: null,
    done: rows.length,
    total: options.levels.length,
  });
  return { sweep, path, htmlPath };
}

/** One streamed request, timed on the client. It never throws: a failure is a sample with its code. */
async function timedRequest(
  adapter: ModelAdapter,
  messages: ModelMessage[],
  settings: { seed: number; temperature: number; maxOutputTokens: number },
  outer: AbortSignal | undefined,
  timeoutMs: number,
): Promise<RequestSample> {
  const signal = outer
    ? AbortSignal.any([outer, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.timeout(timeoutMs);
  const start = performance.now();
  const chunks: number[] = [];
  try {
    let usage: { promptTokens: number | undefined; outputTokens: number | undefined } | null = null;
    for await (const part of adapter.stream({ messages, ...settings, signal })) {
      if (part.type === "text-delta" && part.text.length > 0) chunks.push(performance.now());
      else if (part.type === "finish") usage = part.usage;
      else if (part.type === "error") throw part.error;
    }
    const end = performance.now();
    const first = chunks[0];
    const last = chunks.at(-1);
    const outputTokens = usage?.outputTokens ?? null;
    return {
      ok: true,
      error_code: null,
      ttft_ms: first === undefined ? null : first - start,
      e2e_ms: end - start,
      itl_ms: chunks.slice(1).map((t, i) => t - (chunks[i] as number)),
      tpot_ms:
        first !== undefined && last !== undefined && outputTokens !== null && outputTokens > 1
          ? (last - first) / (outputTokens - 1)
          : null,
      output_tokens: outputTokens,
      prompt_tokens: usage?.promptTokens ?? null,
    };
  } catch (error) {
    const code =
      error instanceof OrketError
        ? error.code
        : error instanceof Error && error.name === "TimeoutError"
          ? "TIMEOUT"
          : "INTERNAL";
    return {
      ok: false,
      error_code: code,
      ttft_ms: null,
      e2e_ms: performance.now() - start,
      itl_ms: [],
      tpot_ms: null,
      output_tokens: null,
      prompt_tokens: null,
    };
  }
}

/** The server's root (where llama-server serves /metrics and /slots): the base URL without `/v1`. */
function serverRoot(provider: "openai" | "ollama", providers: ProviderSettings): string | null {
  if (provider !== "openai" || !providers.openaiBaseURL) return null;
  return providers.openaiBaseURL.replace(/\/+$/, "").replace(/\/v1$/, "");
}

async function describeServer(
  provider: "openai" | "ollama",
  root: string | null,
  signal: AbortSignal | undefined,
): Promise<ConcurrencySweep["server"]> {
  const nullReasons: Record<string, string> = {};
  if (provider === "ollama" || root === null) {
    nullReasons.slots = "Ollama has no /slots";
    nullReasons.metrics = "Ollama has no /metrics";
    return { base_url: "ollama", kind: "ollama", slots: null, null_reasons: nullReasons };
  }
  const shown = new URL(root);
  shown.username = "";
  shown.password = "";
  const slots = await fetch(`${root}/slots`, { signal })
    .then(async (r) => (r.ok ? ((await r.json()) as unknown) : `/slots answered ${r.status}`))
    .catch((e: Error) => `/slots failed: ${e.message}`);
  const metrics = await scrape(root);
  if (metrics === null) nullReasons.metrics = "/metrics is not served (start llama-server with --metrics)";
  if (Array.isArray(slots))
    return {
      base_url: shown.href.replace(/\/$/, ""),
      kind: "llama.cpp",
      slots: slots.length,
      null_reasons: nullReasons,
    };
  nullReasons.slots = typeof slots === "string" ? slots : "/slots did not answer with a list";
  return {
    base_url: shown.href.replace(/\/$/, ""),
    kind: metrics ? "llama.cpp" : "openai",
    slots: null,
    null_reasons: nullReasons,
  };
}

interface ServerCounters {
  prompt: number | null;
  predicted: number | null;
  processing: number | null;
  deferred: number | null;
}

/** llama-server's counters from `/metrics` (Prometheus text), or null when it does not serve them. */
async function scrape(root: string): Promise<ServerCounters | null> {
  const text = await fetch(`${root}/metrics`)
    .then((r) => (r.ok ? r.text() : null))
    .catch(() => null);
  if (text === null) return null;
  let families: ReturnType<typeof parsePrometheusTextFormat>;
  try {
    families = parsePrometheusTextFormat(text);
  } catch {
    return null;
  }
  const value = (name: string) => {
    const family = families.find((f) => f.name === name || f.name === name.replace(":", "_"));
    const v = family?.metrics[0]?.value;
    return v === undefined ? null : Number(v);
  };
  return {
    prompt: value("llamacpp:prompt_tokens_total"),
    predicted: value("llamacpp:tokens_predicted_total"),
    processing: value("llamacpp:requests_processing"),
    deferred: value("llamacpp:requests_deferred"),
  };
}

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(0, b - a));
