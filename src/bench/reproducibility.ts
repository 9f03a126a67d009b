/**
 * The reproducibility record of a benchmark: what the backend says of its model and engine (its
 * `describe()`), the sampler settings the runs sent, and the context size as asked and as applied. Two
 * reports whose records differ can be told apart by what differs.
 */
import { quantizationTag } from "../core/shared/quantization-tag.js";
import type { CallWarning, EngineRecord, ModelAdapter } from "../spec/model.js";
import type { Reproducibility, TestRun } from "../spec/report.js";
import type { CallTelemetry } from "../spec/telemetry.js";

export interface SamplerSettings {
  seed: number;
  temperature: number;
  maxOutputTokens: number | null;
}

/** Asks the adapter for its record; an adapter without `describe()` gives nulls, each with the reason. */
export async function describeBackend(adapter: ModelAdapter, signal?: AbortSignal): Promise<EngineRecord> {
  if (adapter.describe) {
    try {
      return await adapter.describe(signal);
    } catch (error) {
      return unknownEngine(
        adapter,
        `describing the backend failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return unknownEngine(adapter, `the ${adapter.provider} adapter cannot describe its engine`);
}

export function unknownEngine(adapter: Pick<ModelAdapter, "provider">, reason: string): EngineRecord {
  const fields = [
    "file_sha256",
    "file_bytes",
    "digest",
    "quantization",
    "build",
    "context_size",
    "threads",
    "gpu_layers",
  ];
  return {
    model: { file_sha256: null, file_bytes: null, digest: null, quantization: null, path: null },
    engine: { name: adapter.provider, build: null, version: null },
    context_size: null,
    threads: null,
    gpu_layers: null,
    server_sampler_defaults: null,
    server_settings: null,
    null_reasons: Object.fromEntries(fields.map((f) => [f, reason])),
  };
}

/** The calls' warnings of one test run, de-duplicated, with how many calls gave each. */
export function runSettingsNotApplied(
  calls: readonly CallTelemetry[],
): Array<{ setting: string; details: string; calls: number }> {
  const seen = new Map<string, { setting: string; details: string; calls: number }>();
  for (const call of calls) {
    for (const { setting, details } of call.settings_not_applied ?? []) {
      const key = `${setting}\0${details}`;
      const entry = seen.get(key);
      if (entry) entry.calls++;
      else seen.set(key, { setting, details, calls: 1 });
    }
  }
  return [...seen.values()];
}

/** Every distinct setting the backend said it did not apply, with how many calls said so. */
type NotApplied = Reproducibility["settings_not_applied"][number];

export function settingsNotApplied(runs: readonly TestRun[]): NotApplied[] {
  const seen = new Map<string, NotApplied>();
  for (const run of runs) {
    for (const warning of run.telemetry.settings_not_applied ?? []) {
      const key = `${warning.setting}\0${warning.details}`;
      const entry = seen.get(key);
      if (entry) entry.calls += warning.calls;
      else
        seen.set(key, {
          type: "unsupported-setting",
          setting: warning.setting,
          details: warning.details,
          calls: warning.calls,
        });
    }
  }
  return [...seen.values()].sort((a, b) => a.setting.localeCompare(b.setting));
}

/**
 * The context size as the user asked for it and as the backend applied it: `applied: false` with the
 * adapter's reason when a call said it could not apply it; the effective size from the engine's record.
 */
export function contextSizeRecord(
  requested: number | null,
  engine: EngineRecord,
  notApplied: ReadonlyArray<CallWarning>,
): Reproducibility["context_size"] {
  const effective = engine.context_size;
  if (requested === null)
    return {
      requested: null,
      applied: null,
      effective,
      reason: "no context size was asked for: the engine's own",
    };
  const refused = notApplied.find((w) => w.setting === "contextSize");
  if (refused) {
    const same = effective === requested ? ` (the server's own context is ${effective} anyway)` : "";
    return { requested, applied: false, effective, reason: `${refused.details}${same}` };
  }
  if (effective !== null && effective !== requested)
    return {
      requested,
      applied: false,
      effective,
      reason: `the engine runs with ${effective} tokens, not ${requested}`,
    };
  return { requested, applied: true, effective, reason: null };
}

export function reproducibilityRecord(
  adapter: Pick<ModelAdapter, "ref">,
  engine: EngineRecord,
  sampler: SamplerSettings,
  requestedContext: number | null,
  runs: readonly TestRun[],
): Reproducibility {
  const notApplied = settingsNotApplied(runs);
  return {
    model_ref: adapter.ref,
    model: { ...engine.model, quantization_tag: quantizationTag(engine.model.quantization) },
    engine: engine.engine,
    context_size: contextSizeRecord(requestedContext, engine, notApplied),
    threads: engine.threads,
    gpu_layers: engine.gpu_layers,
    sampler: {
      seed: sampler.seed,
      temperature: sampler.temperature,
      max_output_tokens: sampler.maxOutputTokens,
      server_defaults: engine.server_sampler_defaults,
    },
    server_settings: engine.server_settings,
    settings_not_applied: notApplied,
    null_reasons: engine.null_reasons,
  };
}
