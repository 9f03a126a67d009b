/**
 * The reproducibility record of an OpenAI-compatible server. llama.cpp's server reports most of it:
 * `GET /props` (model path and `model_ftype`, `build_info`, the slot context, the sampler defaults,
 * which endpoints are on), `GET /v1/models` (`meta`: training context, parameters, size) and `GET /slots`
 * (each slot's context). Other servers (vLLM, LM Studio) answer `/models` only: the rest is null, with
 * the reason. When the model file is on this machine, its sha256 is taken from the file itself.
 */
import { z } from "zod";
import type { EngineRecord } from "../spec/model.js";
import { type HttpSettings, joinUrl } from "./http.js";
import { identifyModelFile } from "./model-file.js";

const PropsSchema = z.looseObject({
  model_path: z.string().optional(),
  model_ftype: z.string().optional(),
  build_info: z.string().optional(),
  total_slots: z.number().int().optional(),
  endpoint_slots: z.boolean().optional(),
  endpoint_metrics: z.boolean().optional(),
  default_generation_settings: z
    .looseObject({ n_ctx: z.number().int().optional(), params: z.record(z.string(), z.unknown()).optional() })
    .optional(),
});

const ModelsSchema = z.looseObject({
  data: z
    .array(
      z.looseObject({
        id: z.string(),
        meta: z.record(z.string(), z.unknown()).nullish(),
        max_model_len: z.number().int().nullish(),
      }),
    )
    .nullish(),
});

const SlotsSchema = z.array(
  z.looseObject({ id: z.number().int().optional(), n_ctx: z.number().int().optional() }),
);

/** The sampler fields worth recording: what decides the tokens, not display options. */
const SAMPLER_FIELDS = [
  "seed",
  "temperature",
  "top_k",
  "top_p",
  "min_p",
  "typical_p",
  "repeat_penalty",
  "repeat_last_n",
  "presence_penalty",
  "frequency_penalty",
  "dry_multiplier",
  "mirostat",
  "samplers",
  "n_predict",
];

export async function describeOpenAIServer(
  http: HttpSettings,
  modelId: string,
  signal?: AbortSignal,
): Promise<EngineRecord> {
  const nullReasons: Record<string, string> = {};
  const root = http.baseURL.replace(/\/+$/, "").replace(/\/v1$/, "");
  const [props, models, slots] = await Promise.all([
    getJson(http, joinUrl(root, "props"), PropsSchema, signal),
    getJson(http, joinUrl(http.baseURL, "models"), ModelsSchema, signal),
    getJson(http, joinUrl(root, "slots"), SlotsSchema, signal),
  ]);
  const propsData = props.ok ? props.data : null;
  if (!props.ok)
    nullReasons.props = `GET /props: ${props.reason} (llama.cpp's server answers it; other servers do not)`;
  const entry = models.ok
    ? (models.data.data?.find((m) => m.id === modelId) ?? models.data.data?.[0])
    : undefined;
  const meta = entry?.meta ?? null;

  const path = propsData?.model_path ?? null;
  let fileSha256: string | null = null;
  let fileBytes: number | null = null;
  if (path) {
    try {
      const file = await identifyModelFile(path);
      fileSha256 = file.sha256;
      fileBytes = file.bytes;
    } catch (error) {
      const reason = `the server's model file ${path} cannot be read here (${(error as NodeJS.ErrnoException).code ?? "error"}): it may be on another machine`;
      nullReasons.file_sha256 = reason;
      nullReasons.file_bytes = reason;
    }
  } else {
    nullReasons.file_sha256 = "the server does not say which model file it serves";
    nullReasons.file_bytes = nullReasons.file_sha256;
  }
  const quantization = propsData?.model_ftype ?? stringOf(meta?.ftype);
  if (quantization === null) nullReasons.quantization = "the server does not report the model's quantization";
  const build = propsData?.build_info ?? null;
  if (build === null) nullReasons.build = "the server does not report its build";
  const contextSize =
    propsData?.default_generation_settings?.n_ctx ?? numberOf(meta?.n_ctx) ?? entry?.max_model_len ?? null;
  if (contextSize === null) nullReasons.context_size = "the server does not report its context window";
  nullReasons.threads = "the server does not report its thread count over HTTP (llama-server -t)";
  nullReasons.gpu_layers = "the server does not report its GPU layers over HTTP (llama-server -ngl)";
  nullReasons.digest = "an OpenAI-compatible server gives no model digest (the file's sha256 stands for it)";
  const params = propsData?.default_generation_settings?.params;
  const sampler = params
    ? Object.fromEntries(SAMPLER_FIELDS.filter((k) => k in params).map((k) => [k, params[k]]))
    : null;
  if (sampler === null)
    nullReasons.server_sampler_defaults = "the server does not report its sampler defaults";

  const serverSettings: Record<string, unknown> = {};
  if (propsData) {
    for (const key of ["total_slots", "endpoint_slots", "endpoint_metrics"] as const)
      if (propsData[key] !== undefined) serverSettings[key] = propsData[key];
  }
  if (meta) serverSettings.model_meta = meta;
  if (slots.ok) serverSettings.slots = slots.data.map(({ id, n_ctx }) => ({ id, n_ctx }));
  return {
    model: { file_sha256: fileSha256, file_bytes: fileBytes, digest: null, quantization, path },
    engine: { name: propsData ? "llama.cpp server" : "openai-compatible", build, version: null },
    context_size: contextSize,
    threads: null,
    gpu_layers: null,
    server_sampler_defaults: sampler,
    server_settings: Object.keys(serverSettings).length > 0 ? serverSettings : null,
    null_reasons: nullReasons,
  };
}

type Got<T> = { ok: true; data: T } | { ok: false; reason: string };

async function getJson<T>(
  http: HttpSettings,
  url: string,
  schema: z.ZodType<T>,
  signal: AbortSignal | undefined,
): Promise<Got<T>> {
  try {
    const response = await (http.fetch ?? globalThis.fetch)(url, {
      headers: http.headers ?? {},
      signal: signal ?? AbortSignal.timeout(5000),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { ok: false, reason: `HTTP ${response.status}` };
    }
    const parsed = schema.safeParse(await response.json());
    return parsed.success ? { ok: true, data: parsed.data } : { ok: false, reason: "unexpected shape" };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

function stringOf(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

function numberOf(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
