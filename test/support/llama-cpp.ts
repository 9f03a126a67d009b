/**
 * The real llama.cpp for the real-engine suite: the tools `scripts/llama-cpp.mjs` built from
 * node-llama-cpp's source bundle, the code-writing fixture model quantized by the real `llama-quantize`,
 * and `llama-server` started on a free loopback port and stopped after. Nothing here skips: a missing
 * tool is an error that says how to build it (`npm test` builds it first).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The F32 fixture (see test/fixtures/models/README.md): it answers the built-in bank with real code. */
export const MEMORIZER_F32 = join(root, "test", "fixtures", "models", "orket-builtin-memorizer-f32.gguf");

/** The six quantizations the suite makes, largest first. */
export const QUANTS = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K"] as const;
export type Quant = (typeof QUANTS)[number];

let bin: string | undefined;

/** The folder of llama-server, llama-bench, llama-quantize and llama-perplexity. */
export function llamaBin(): string {
  if (bin) return bin;
  try {
    bin = execFileSync(process.execPath, [join(root, "scripts", "llama-cpp.mjs"), "where"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch {
    throw new Error("llama.cpp's tools are not built: run `npm run llama:build` (npm test does it first)");
  }
  return bin;
}

export function llamaTool(
  name: "llama-server" | "llama-bench" | "llama-quantize" | "llama-perplexity",
): string {
  return join(llamaBin(), name);
}

function fixtureSha(): string {
  return createHash("sha256").update(readFileSync(MEMORIZER_F32)).digest("hex").slice(0, 16);
}

/**
 * The fixture quantized to `quant` by the real llama-quantize, cached beside the tools (keyed by the
 * fixture's hash), so each quantization is made once per machine.
 */
export function quantized(quant: Quant): string {
  const dir = join(llamaBin(), "..", "models", fixtureSha());
  const path = join(dir, `memorizer-${quant}.gguf`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  execFileSync(llamaTool("llama-quantize"), [MEMORIZER_F32, partial, quant], { stdio: "ignore" });
  renameSync(partial, path);
  return path;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface LlamaServer {
  baseURL: string;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

export interface LlamaServerOptions {
  model: string;
  contextSize?: number;
  threads?: number;
  /** Parallel slots (default 1: one request at a time, as a benchmark wants). */
  slots?: number;
  extraArgs?: string[];
}

/** Starts llama-server on a free loopback port and waits until `/health` says ok. */
export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const port = await freePort();
  const args = [
    "-m",
    options.model,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "-c",
    String(options.contextSize ?? 2048),
    "-t",
    String(options.threads ?? 1),
    "-np",
    String(options.slots ?? 1),
    "--metrics",
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(llamaTool("llama-server"), args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  const baseURL = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited (${child.exitCode}):\n${log}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`llama-server did not become healthy in 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseURL,
    pid: child.pid ?? 0,
    port,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
