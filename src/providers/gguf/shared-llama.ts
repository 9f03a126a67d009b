/**
 * The process's llama.cpp engine, shared by every embedded adapter. node-llama-cpp is imported lazily,
 * on the first lease, so nothing heavy loads until a GGUF is used.
 *
 * One `Llama` per GPU mode serves the whole process and stays up until `disposeLlamaEngines()` or exit,
 * even when no adapter uses it. In node-llama-cpp 3.22 a `Llama`'s state is process-wide, not its own:
 * disposing one frees the llama.cpp backend under every other instance, and a new instance's logger is
 * unhooked a moment after it is set (the previous logger's finalizer clears the shared flag), so its
 * logs go raw to stderr. Starting it once also saves its start-up time (0.5 s or more) per model.
 */
import { open, stat } from "node:fs/promises";
import type { Llama, LlamaLogLevel, LlamaModel } from "node-llama-cpp";
import { AbortedError, ModelLoadError } from "../../spec/errors.js";

export type NodeLlamaCpp = typeof import("node-llama-cpp");
export type LlamaLog = (level: "warn" | "error", message: string) => void;

export interface LlamaLease {
  lib: NodeLlamaCpp;
  llama: Llama;
  /** Gives the lease back: the adapter's log sink is unhooked. Safe to call twice. */
  release(): void;
}

export const stderrLog: LlamaLog = (level, message) => {
  process.stderr.write(`llama.cpp ${level}: ${message}\n`);
};

interface Shared {
  lib: NodeLlamaCpp;
  llama: Promise<Llama>;
}

const engines = new Map<"auto" | "cpu", Shared>();
const sinks = new Map<LlamaLog, number>();
/** Load attempts in progress: their logs explain a failure better than node-llama-cpp's exception. */
const captures = new Set<Array<{ level: "warn" | "error"; message: string }>>();

function route(level: LlamaLogLevel, message: string): void {
  const severity = level === "error" || level === "fatal" ? "error" : level === "warn" ? "warn" : undefined;
  const text = message.trim();
  if (severity === undefined || text.length === 0) return;
  if (captures.size > 0) {
    for (const capture of captures) capture.push({ level: severity, message: text });
    return;
  }
  deliver(severity, text);
}

function deliver(level: "warn" | "error", message: string): void {
  for (const sink of sinks.keys()) sink(level, message);
}

/**
 * Leases the shared engine for a GPU mode, starting it on first use. `build: "never"` and
 * `skipDownload` make sure llama.cpp is never compiled or downloaded at run time.
 */
export async function acquireLlama(
  gpu: "auto" | false,
  log: LlamaLog,
  modelPath: string,
): Promise<LlamaLease> {
  const key = gpu === false ? "cpu" : "auto";
  let shared = engines.get(key);
  if (!shared) {
    let lib: NodeLlamaCpp;
    try {
      lib = await import("node-llama-cpp");
    } catch (error) {
      throw new ModelLoadError(modelPath, `node-llama-cpp is not available (${firstLine(error)})`, error);
    }
    shared = engines.get(key);
    if (!shared) {
      const llama = lib.getLlama({
        gpu,
        build: "never",
        skipDownload: true,
        progressLogs: false,
        logLevel: lib.LlamaLogLevel.warn,
        logger: route,
      });
      const started: Shared = { lib, llama };
      shared = started;
      engines.set(key, started);
      llama.catch(() => {
        if (engines.get(key) === started) engines.delete(key);
      });
    }
  }
  let llama: Llama;
  try {
    llama = await shared.llama;
  } catch (error) {
    throw new ModelLoadError(modelPath, `cannot start llama.cpp (${firstLine(error)})`, error);
  }
  sinks.set(log, (sinks.get(log) ?? 0) + 1);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    const count = (sinks.get(log) ?? 1) - 1;
    if (count === 0) sinks.delete(log);
    else sinks.set(log, count);
  };
  return { lib: shared.lib, llama, release };
}

/** Disposes the shared engines, for a host that wants llama.cpp gone before it exits. */
export async function disposeLlamaEngines(): Promise<void> {
  const all = [...engines.values()];
  engines.clear();
  for (const shared of all) {
    const llama = await shared.llama.catch(() => undefined);
    await llama?.dispose();
  }
}

/**
 * Loads a GGUF, turning every failure into a one-line `ModelLoadError` that names the file and, where
 * llama.cpp logged one, its reason ("tensor ... data is not within the file bounds").
 */
export async function loadGgufModel(
  lease: LlamaLease,
  path: string,
  signal: AbortSignal | undefined,
): Promise<LlamaModel> {
  await checkGgufHeader(path);
  const logs: Array<{ level: "warn" | "error"; message: string }> = [];
  captures.add(logs);
  try {
    const model = await lease.llama.loadModel({ modelPath: path, ...(signal ? { loadSignal: signal } : {}) });
    captures.delete(logs);
    for (const { level, message } of logs) deliver(level, message);
    return model;
  } catch (error) {
    if (signal?.aborted) throw new AbortedError();
    // llama.cpp's log lines reach JavaScript a moment after the failure itself.
    await new Promise((resolve) => setTimeout(resolve, 25));
    const reason = logs.find((entry) => entry.level === "error") ?? logs[0];
    const detail = reason ? reason.message.replace(/^\w+: (error loading model: )?/, "") : firstLine(error);
    throw new ModelLoadError(path, detail, error);
  } finally {
    captures.delete(logs);
  }
}

/**
 * Checks the fixed GGUF header before node-llama-cpp reads the file: its metadata reader treats bytes
 * past the end of a file as zeros, so a garbage tensor count can keep it busy for a very long time.
 */
export async function checkGgufHeader(path: string): Promise<void> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ModelLoadError(path, "not a file");
    size = info.size;
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelLoadError(path, code === "ENOENT" ? "file not found" : firstLine(error), error);
  }
  const header = Buffer.alloc(24);
  try {
    const handle = await open(path, "r");
    try {
      await handle.read(header, 0, 24, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ModelLoadError(path, `cannot read the file (${firstLine(error)})`, error);
  }
  if (header.toString("latin1", 0, 4) !== "GGUF") throw new ModelLoadError(path, "not a GGUF file");
  if (size < 24) throw new ModelLoadError(path, "truncated GGUF header");
  const version = header.readUInt32LE(4);
  if (version !== 2 && version !== 3) throw new ModelLoadError(path, `unsupported GGUF version ${version}`);
  // The smallest tensor info takes 24 bytes and the smallest key/value 13: more than fit is garbage.
  const tensors = header.readBigUInt64LE(8);
  const keys = header.readBigUInt64LE(16);
  if (tensors * 24n + keys * 13n > BigInt(size)) throw new ModelLoadError(path, "corrupt GGUF header");
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() || "unknown error";
}
