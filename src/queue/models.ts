/**
 * Which models a job needs and a worker can run. A GGUF file (or a replay cassette) is known by its
 * sha256, so the same file under two paths on two hosts is one model; a server's model by the name the
 * server gives it. Queues are per model: a worker listens only to the queues of models it has.
 */
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseModelRef } from "../core/shared/model-ref.js";
import { identifyModelFile } from "../providers/model-file.js";
import { listOpenAIModels } from "../providers/openai-compatible.js";
import type { QueueModel } from "../spec/queue.js";
import { QueueError } from "./errors.js";

/** The BullMQ queue of one model's test runs (queue names may not hold ':'; keys may). */
export function queueNameFor(model: Pick<QueueModel, "key">): string {
  return `orket-runs-${createHash("sha256").update(model.key).digest("hex").slice(0, 20)}`;
}

/** The model a controller's `--model` names, as the fleet knows it (a local file is hashed). */
export async function queueModelFor(ref: string): Promise<QueueModel> {
  const parsed = parseModelRef(ref);
  switch (parsed.provider) {
    case "gguf":
    case "replay": {
      const identity = await identifyModelFile(parsed.model).catch((error: NodeJS.ErrnoException) => {
        throw new QueueError(
          "NO_QUEUE_MODELS",
          `--model ${ref}: cannot read ${parsed.model} to learn its sha256 (${error.code ?? error.message}); the fleet knows files by their hash`,
        );
      });
      return {
        key: `${parsed.provider}-${identity.sha256}`,
        provider: parsed.provider,
        name: basename(parsed.model),
      };
    }
    case "openai":
    case "ollama":
      return { key: `${parsed.provider}-${parsed.model}`, provider: parsed.provider, name: parsed.model };
  }
}

/** A model this worker has, with the reference its own adapter is made from. */
export interface LocalModel extends QueueModel {
  ref: string;
}

/** The GGUF files and replay cassettes directly under `dir`, each hashed. */
export async function modelsInDir(dir: string): Promise<LocalModel[]> {
  const root = resolve(dir);
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new QueueError("NO_QUEUE_MODELS", `--models-dir ${dir}: ${error.code ?? error.message}`);
  });
  const found: LocalModel[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const provider = entry.name.toLowerCase().endsWith(".gguf")
      ? "gguf"
      : entry.name.toLowerCase().endsWith(".jsonl")
        ? "replay"
        : null;
    if (provider === null) continue;
    const path = join(root, entry.name);
    const { sha256 } = await identifyModelFile(path);
    found.push({ key: `${provider}-${sha256}`, provider, name: entry.name, ref: `${provider}/${path}` });
  }
  return found;
}

/** The models an OpenAI-compatible server lists (`GET /models`), by the names it gives them. */
export async function modelsOfServer(baseURL: string, apiKey: string | undefined): Promise<LocalModel[]> {
  const listed = await listOpenAIModels({ baseURL, apiKey }).catch((error: Error) => {
    throw new QueueError(
      "NO_QUEUE_MODELS",
      `--base-url ${baseURL}: cannot list its models: ${error.message}`,
    );
  });
  return listed.map(({ id }) => ({
    key: `openai-${id}`,
    provider: "openai" as const,
    name: id,
    ref: `openai/${id}`,
  }));
}
