/**
 * Which model each row of a sweep runs, resolved before any run starts so that a typo costs a second,
 * not an hour: an Ollama tag template (`{family}-instruct-{quant}`, checked against `/api/tags`), a
 * folder of GGUF files (one file per quant, matched by name), or explicit `quant=ref` pairs. Each target
 * also gets the model's size in bytes, or null with the reason it is unknown.
 */
import { readdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { applyTagTemplate, type QuantModel } from "../core/lab/quant-model.js";
import { parseModelRef } from "../core/shared/model-ref.js";
import { DEFAULT_OLLAMA_HOST, normalizeOllamaHost, type ProviderSettings } from "../providers/index.js";
import { listOllamaModels, type OllamaModelInfo } from "../providers/ollama.js";
import { withTag } from "../providers/ollama-ps.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";

export const DEFAULT_TAG_TEMPLATE = "{family}-instruct-{quant}";

/** A sweep input that cannot be run (a tag Ollama lacks, a quant no file matches): exit 2, nothing ran. */
export class SweepInputError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_SWEEP: "usage" };
  override readonly code = "BAD_SWEEP";
}

export interface SweepTarget {
  /** The row's label: the quant tag, or for a context sweep the context size. */
  quant: string;
  modelRef: string;
  sizeBytes: number | null;
  /** Why `sizeBytes` is null. */
  sizeReason?: string;
  /** Context sweep: the context size to apply. */
  contextSize?: number;
}

export interface TargetSource {
  modelFamily?: string | undefined;
  quants?: readonly string[] | undefined;
  tagTemplate?: string | undefined;
  ggufDir?: string | undefined;
  models?: readonly QuantModel[] | undefined;
  providers?: ProviderSettings | undefined;
  signal?: AbortSignal | undefined;
}

/** The targets of a quant sweep, in the order the quants were given. Throws `SweepInputError`. */
export async function resolveQuantTargets(source: TargetSource): Promise<SweepTarget[]> {
  const ways = [source.models, source.ggufDir, source.tagTemplate].filter((w) => w !== undefined).length;
  if (ways > 1) throw new SweepInputError("give one of --models, --gguf-dir and --tag-template, not several");
  if (source.models) return fromModelList(source.models, source);
  const quants = source.quants;
  if (!quants || quants.length === 0) throw new SweepInputError("--quants names no quantization to sweep");
  if (source.ggufDir !== undefined) return fromGgufDir(source.ggufDir, quants);
  if (!source.modelFamily)
    throw new SweepInputError(
      "--model-family is needed to build model tags (or give --gguf-dir or --models)",
    );
  const template = source.tagTemplate ?? DEFAULT_TAG_TEMPLATE;
  const { provider, family } = splitFamily(source.modelFamily);
  const refs = quants.map((quant) => ({
    quant,
    ref: `${provider}/${applyTagTemplate(template, family, quant)}`,
  }));
  return withSizes(refs, source, `--tag-template "${template}"`);
}

/** The single target of a context sweep, its size looked up (and its Ollama tag checked). */
export async function resolveModelTarget(ref: string, source: TargetSource): Promise<SweepTarget> {
  const [target] = await withSizes([{ quant: "model", ref }], source, "--model");
  if (!target) throw new SweepInputError(`--model ${ref} could not be resolved`);
  return target;
}

/** `ollama/x` or `openai/x` as a family keeps its provider; a bare family is an Ollama one. */
function splitFamily(value: string): { provider: string; family: string } {
  const slash = value.indexOf("/");
  const head = slash > 0 ? value.slice(0, slash) : "";
  if (["ollama", "openai"].includes(head)) return { provider: head, family: value.slice(slash + 1) };
  if (["gguf", "replay"].includes(head))
    throw new SweepInputError(
      `--model-family ${value}: ${head}/ models are files; give --gguf-dir or --models instead`,
    );
  return { provider: "ollama", family: value };
}

async function fromModelList(models: readonly QuantModel[], source: TargetSource): Promise<SweepTarget[]> {
  if (source.quants && source.quants.length > 0) {
    const named = new Set(models.map((m) => m.quant.toLowerCase()));
    const missing = source.quants.filter((q) => !named.has(q.toLowerCase()));
    if (missing.length > 0 || source.quants.length !== models.length)
      throw new SweepInputError(
        `--quants (${source.quants.join(",")}) and --models (${models.map((m) => m.quant).join(",")}) name different quantizations; --models alone is enough`,
      );
  }
  for (const { ref } of models) {
    try {
      parseModelRef(ref);
    } catch (error) {
      throw new SweepInputError(`--models: ${(error as Error).message}`);
    }
  }
  return withSizes(models, source, "--models");
}

/** A link to a file (followed to the end); a dangling link or one to a folder is not a model. */
async function isFileBehindLink(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

async function fromGgufDir(dir: string, quants: readonly string[]): Promise<SweepTarget[]> {
  let files: string[];
  try {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) =>
      e.name.toLowerCase().endsWith(".gguf"),
    );
    files = [];
    // A symbolic link counts when it leads to a file: the Hugging Face cache keeps every model as one.
    for (const entry of entries) {
      if (entry.isFile()) files.push(entry.name);
      else if (entry.isSymbolicLink() && (await isFileBehindLink(resolve(dir, entry.name))))
        files.push(entry.name);
    }
    files.sort();
  } catch (error) {
    throw new SweepInputError(`--gguf-dir ${dir}: cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  const targets: SweepTarget[] = [];
  for (const quant of quants) {
    const file = matchQuantFile(files, quant, dir);
    const path = resolve(dir, file);
    const { size } = await stat(path);
    targets.push({ quant, modelRef: `gguf/${path}`, sizeBytes: size });
  }
  return targets;
}

/**
 * The one file whose name contains the quant (case-insensitive). Where several do, the ones where the tag
 * stands alone (not followed or preceded by a letter, digit or `_`) are preferred, so `q4_K` picks
 * `x-q4_K.gguf` over `x-q4_K_M.gguf`; still several, or none, is an error that lists the files.
 */
export function matchQuantFile(files: readonly string[], quant: string, dir: string): string {
  const needle = quant.toLowerCase();
  let matches = files.filter((f) => f.toLowerCase().includes(needle));
  if (matches.length > 1) {
    const bounded = new RegExp(`(^|[^a-z0-9_])${escapeRegExp(needle)}([^a-z0-9_]|$)`);
    const alone = matches.filter((f) => bounded.test(f.toLowerCase()));
    if (alone.length > 0) matches = alone;
  }
  const listing = files.length ? files.join(", ") : "none";
  if (matches.length === 0)
    throw new SweepInputError(
      `--gguf-dir ${dir} has no .gguf file whose name contains "${quant}" (its .gguf files: ${listing})`,
    );
  if (matches.length > 1)
    throw new SweepInputError(
      `--gguf-dir ${dir}: ${matches.length} files match "${quant}" (${matches.join(", ")}); rename one or use --models`,
    );
  return matches[0] as string;
}

/** Sizes for each pair: a gguf file's bytes, Ollama's size from /api/tags (which also proves the tag exists). */
async function withSizes(
  pairs: readonly QuantModel[],
  source: TargetSource,
  origin: string,
): Promise<SweepTarget[]> {
  let tags: OllamaModelInfo[] | undefined;
  const host = normalizeOllamaHost(source.providers?.ollamaHost ?? DEFAULT_OLLAMA_HOST);
  const targets: SweepTarget[] = [];
  for (const { quant, ref } of pairs) {
    const parsed = parseModelRef(ref);
    if (parsed.provider === "gguf") {
      const size = await stat(parsed.model).then(
        (s) => s.size,
        (error: NodeJS.ErrnoException) => {
          throw new SweepInputError(`${origin}: ${ref}: cannot read the file (${error.code})`);
        },
      );
      targets.push({ quant, modelRef: ref, sizeBytes: size });
    } else if (parsed.provider === "ollama") {
      tags ??= await listOllamaModels({ host, fetch: source.providers?.fetch }, source.signal);
      const wanted = withTag(parsed.model);
      const found = tags.find((t) => withTag(t.name) === wanted || withTag(t.model) === wanted);
      if (!found) throw new SweepInputError(missingTag(parsed.model, quant, origin, host, tags));
      targets.push({ quant, modelRef: ref, sizeBytes: found.size });
    } else {
      const reason =
        parsed.provider === "openai"
          ? "an OpenAI-compatible server does not report its model's size"
          : "a replayed cassette has no model file";
      targets.push({ quant, modelRef: ref, sizeBytes: null, sizeReason: reason });
    }
  }
  return targets;
}

function missingTag(
  model: string,
  quant: string,
  origin: string,
  host: string,
  tags: readonly OllamaModelInfo[],
): string {
  const stem = model.split(":")[0] ?? model;
  const related = tags.map((t) => t.name).filter((n) => n.startsWith(`${stem}:`));
  const shown = (related.length ? related : tags.map((t) => t.name)).slice(0, 20);
  const more = (related.length || tags.length) > shown.length ? ", ..." : "";
  const has = shown.length ? `it has ${shown.join(", ")}${more}` : "it has no models";
  return `Ollama at ${host} has no ${model} (quant ${quant}, from ${origin}); ${has}. Pull it with: ollama pull ${model}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A label safe as one path segment (`qwen2.5-coder:7b` → `qwen2.5-coder_7b`). */
export function safeSegment(text: string): string {
  const segment = text.replace(/[^A-Za-z0-9._-]/g, "_");
  return segment === "" || /^\.+$/.test(segment) ? "_" : segment;
}
