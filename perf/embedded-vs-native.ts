/**
 * The embedded engine against native llama.cpp, side by side in one run: `llama-bench` (built from the
 * same llama.cpp source node-llama-cpp bundles, by `npm run llama:build`) and the embedded engine, on the
 * same Q4_K_M GGUF and the same number of threads, interleaved (the order rotates every rep) so that all
 * of them see the same machine load.
 *
 *   npm run perf:embedded-native -- [--model file.gguf] [--reps 5] [--runs 3] [--tokens 128]
 *                                    [--pp 128] [--threads 1] [--context 2048] [--engine DIR]...
 *
 * Without --model it writes a ~155 M-parameter random-weight llama model (see perf/support/random-llama.ts)
 * and quantizes it to Q4_K_M with the real llama-quantize, once: it is cached beside the llama.cpp tools.
 *
 * What is measured, per rep:
 * - native: one `llama-bench -m <model> -t <threads> -p <pp> -n <tokens> -r <runs> -o json` (tg<tokens>,
 *   and pp<pp> unless --pp 0): its own samples, each after its own warm-up.
 * - embedded, each engine build in a child process of its own that keeps the model loaded:
 *   - "orket engine: orket adapter": Orket's adapter as a runner streams it, on the engine the adapter
 *     gets (`acquireLlama`); `decodeTokens / decodeSeconds` as it reports them (llama.cpp's convention:
 *     the first token comes from the prefill);
 *   - "node-llama-cpp: evaluate": node-llama-cpp's own token loop (`LlamaContextSequence.evaluate`) with
 *     nothing else around it, same convention, on the same binary, started by the child itself with
 *     llama.cpp's performance tracking on: "inside" is then what llama.cpp timed inside `llama_decode`
 *     (as llama-bench times it), and the process's CPU time and run-queue wait per decode step come from
 *     Linux's per-thread schedstat.
 *   Each runs `--runs` times per rep. pp: the prompt's tokens over the time to the first token (`--pp`
 *   tokens for `evaluate`; the adapter's prompt is a chat-rendered text of at most as many).
 *
 * Engine builds: Orket's engine is what `getLlama` gives with `build: "never"`: a local build of
 * node-llama-cpp for this machine when one was made (`npx --no node-llama-cpp source download --gpu
 * false`), else the prebuilt binary. When it is a local build, a child runs the prebuilt binary beside it
 * ("node-llama-cpp, prebuilt"). `--engine DIR` adds a child for each other node-llama-cpp package folder
 * (for instance a copy of the package in which a local build was made), measured with `evaluate`.
 * See docs/engines.md for the figures and what they mean.
 */
import { execFile, execFileSync, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { createGgufAdapter } from "../src/providers/gguf/gguf-adapter.js";
import { acquireLlama, disposeLlamaEngines, type NodeLlamaCpp } from "../src/providers/gguf/shared-llama.js";
import type { ModelRequest } from "../src/spec/model.js";
import { llamaBin, llamaTool } from "../test/support/llama-cpp.js";
import { buildRandomLlama, parameterCount, SHAPE_155M } from "./support/random-llama.js";

const run = promisify(execFile);
const SEED = 1;
const PROMPT = "Write a TypeScript function that parses a CSV line into fields, handling quoted fields.";
const LONG_TEXT =
  "The first token takes the longest, because the whole prompt is read first; the tokens after it come " +
  "one by one, as fast as the machine can compute them. We measure both, and we write down what each " +
  "number means, so that nobody has to guess what was measured and what was not. A good test is small, " +
  "fast and honest: it fails when the code is wrong and passes when the code is right. ".repeat(8);

interface Options {
  model: string | undefined;
  reps: number;
  runs: number;
  tokens: number;
  pp: number;
  threads: number;
  context: number;
  engines: string[];
}

/** What a child is asked to run: which node-llama-cpp, and whether to force its prebuilt binary. */
interface EngineSpec {
  label: string;
  /** A node-llama-cpp package folder; absent: the one this repository depends on (Orket's). */
  dir?: string;
  forcePrebuilt?: boolean;
  /**
   * Orket's engine as the adapter gets it (`acquireLlama`), measured with the adapter and with
   * `evaluate`. Otherwise the worker starts the engine itself, with llama.cpp's performance tracking on.
   */
  orket?: boolean;
}

interface WorkerInit {
  model: string;
  tokens: number;
  pp: number;
  threads: number;
  context: number;
  engine: EngineSpec;
}

interface EngineInfo {
  buildType: string;
  release: string;
  systemInfo: string;
  bindingDir: string;
  paths: string[];
}

/** One path's samples from one request: tok/s and the token counts they came from. */
interface Sample {
  path: string;
  tg: number;
  decodeTokens: number;
  pp?: number;
  promptTokens?: number;
  /** The same runs as llama.cpp times them: inside `llama_decode` only (engines with performance tracking). */
  tgInside?: number;
  ppInside?: number;
  /** CPU time of the whole process (all threads) per decode step, and its threads' run-queue wait. */
  cpuMsPerToken?: number;
  waitMsPerToken?: number;
}

type ToWorker = { type: "run"; runs: number } | { type: "exit" };
type FromWorker =
  | { type: "ready"; info: EngineInfo }
  | { type: "samples"; samples: Sample[] }
  | { type: "error"; message: string };

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    model: undefined,
    reps: 5,
    runs: 3,
    tokens: 128,
    pp: 128,
    threads: 1,
    context: 2048,
    engines: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    const count = (min: number): number => {
      const parsed = Number(next());
      if (!Number.isInteger(parsed) || parsed < min) throw new Error(`${arg} needs an integer >= ${min}`);
      return parsed;
    };
    if (arg === "--model") options.model = resolve(next());
    else if (arg === "--reps") options.reps = count(1);
    else if (arg === "--runs") options.runs = count(1);
    else if (arg === "--tokens") options.tokens = count(2);
    else if (arg === "--pp") options.pp = count(0);
    else if (arg === "--threads") options.threads = count(1);
    else if (arg === "--context") options.context = count(256);
    else if (arg === "--engine") options.engines.push(resolve(next()));
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------------
// The model

/** The ~155 M random llama at Q4_K_M, made once per shape and seed, cached beside the llama.cpp tools. */
function cachedModel(): string {
  const key = createHash("sha256")
    .update(JSON.stringify({ shape: SHAPE_155M, seed: SEED, writer: 1 }))
    .digest("hex")
    .slice(0, 16);
  const dir = join(llamaBin(), "..", "models", `random-llama-${key}`);
  const path = join(dir, "random-llama-155m-Q4_K_M.gguf");
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const f32 = join(dir, `f32.${process.pid}.tmp`);
  const partial = `${path}.${process.pid}.tmp`;
  const millions = (parameterCount(SHAPE_155M) / 1e6).toFixed(1);
  process.stderr.write(`writing a ${millions} M-parameter random llama model and quantizing it (once)...\n`);
  try {
    writeFileSync(f32, buildRandomLlama(SHAPE_155M, SEED));
    execFileSync(llamaTool("llama-quantize"), [f32, partial, "Q4_K_M"], { stdio: "ignore" });
    renameSync(partial, path);
  } finally {
    rmSync(f32, { force: true });
    rmSync(partial, { force: true });
  }
  return path;
}

// ---------------------------------------------------------------------------------------------------
// Native: llama-bench

interface NativeResult {
  tg: number[];
  pp: number[];
}

async function nativeRun(options: Options, model: string): Promise<NativeResult> {
  const args = [
    "-m",
    model,
    "-t",
    String(options.threads),
    "-p",
    String(options.pp),
    "-n",
    String(options.tokens),
  ];
  args.push("-r", String(options.runs), "-o", "json");
  const { stdout } = await run(llamaTool("llama-bench"), args, { maxBuffer: 16 << 20 });
  const tests = JSON.parse(stdout) as Array<{ n_prompt: number; n_gen: number; samples_ts: number[] }>;
  const result: NativeResult = { tg: [], pp: [] };
  for (const test of tests) {
    if (test.n_gen > 0 && test.n_prompt === 0) result.tg.push(...test.samples_ts);
    else if (test.n_prompt > 0 && test.n_gen === 0) result.pp.push(...test.samples_ts);
  }
  return result;
}

async function nativeSystemInfo(): Promise<string> {
  // llama-bench prints no system_info; the tools were built with llama.cpp's defaults (GGML_NATIVE: the
  // build machine's -march=native, OpenMP when found), static, Release.
  const { stdout, stderr } = await run(llamaTool("llama-bench"), ["--version"]).catch(
    (error: { stdout?: string; stderr?: string }) => ({
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
  return `${stdout}${stderr}`.trim().split("\n").join("; ");
}

// ---------------------------------------------------------------------------------------------------
// The embedded engine, in a child process

class Worker {
  private readonly child;
  private pending: ((message: FromWorker) => void) | undefined;
  readonly ready: Promise<EngineInfo>;

  constructor(init: WorkerInit) {
    this.child = fork(fileURLToPath(import.meta.url), ["--worker", JSON.stringify(init)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (message: FromWorker) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.(message);
    });
    this.child.on("exit", (code) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.({ type: "error", message: `the worker exited (${code})` });
    });
    this.ready = this.next().then((message) => {
      if (message.type !== "ready") throw new Error(message.type === "error" ? message.message : "no ready");
      return message.info;
    });
  }

  private next(): Promise<FromWorker> {
    return new Promise((resolveMessage) => {
      this.pending = resolveMessage;
    });
  }

  async run(runs: number): Promise<Sample[]> {
    const reply = this.next();
    this.child.send({ type: "run", runs } satisfies ToWorker);
    const message = await reply;
    if (message.type !== "samples")
      throw new Error(message.type === "error" ? message.message : "no samples");
    return message.samples;
  }

  close(): void {
    if (this.child.connected) this.child.send({ type: "exit" } satisfies ToWorker);
  }
}

async function worker(init: WorkerInit): Promise<void> {
  const send = (message: FromWorker): void => {
    process.send?.(message);
  };
  const { engine } = init;
  let lib: NodeLlamaCpp;
  let llama: import("node-llama-cpp").Llama;
  let release = (): void => {};
  /** llama.cpp's own timing lines (`llama_perf_context_print`), on engines this worker starts itself. */
  const perfLines: string[] = [];
  if (engine.orket) {
    // Exactly the engine Orket's adapter gets, shared with the adapter.
    const lease = await acquireLlama(false, () => {}, init.model);
    lib = lease.lib;
    llama = lease.llama;
    release = lease.release;
  } else {
    lib = (
      engine.dir === undefined
        ? await import("node-llama-cpp")
        : await import(pathToFileURL(join(engine.dir, "dist", "index.js")).href)
    ) as NodeLlamaCpp;
    llama = await lib.getLlama({
      gpu: false,
      build: "never",
      skipDownload: true,
      progressLogs: false,
      logLevel: lib.LlamaLogLevel.info,
      logger: (_level, message) => {
        if (message.includes("eval time")) perfLines.push(message);
      },
      // getLlama prefers a local build whose folder name matches its options; a custom CMake option that
      // no local build was made with leaves only the prebuilt binary (looked up without custom options).
      ...(engine.forcePrebuilt ? { cmakeOptions: { ORKET_BENCH_PREBUILT_ONLY: "1" } } : {}),
    });
  }
  const model = await llama.loadModel({ modelPath: init.model });
  const tracked = !engine.orket;
  const context = await model.createContext({
    contextSize: init.context,
    sequences: 1,
    threads: init.threads,
    performanceTracking: tracked,
  });
  /**
   * llama.cpp's own figures since the last call: "prompt eval" (the prefill batch) and "eval" (the
   * single-token decodes), each the time spent inside `llama_decode`, without sampling or node-llama-cpp's
   * hops between threads. The lines reach JavaScript a moment after they are printed.
   */
  const perf = async (): Promise<{ promptTokS?: number; evalTokS?: number }> => {
    if (!tracked) return {};
    perfLines.length = 0;
    await context.printTimings();
    for (let wait = 0; perfLines.length < 2 && wait < 50; wait++) await sleep(5);
    const rate = (kind: RegExp): number | undefined => {
      const line = perfLines.find((text) => kind.test(text));
      const match = /=\s*([\d.]+) ms \/\s*(\d+) (?:tokens|runs)/.exec(line ?? "");
      return match ? Number(match[2]) / (Number(match[1]) / 1000) : undefined;
    };
    return { promptTokS: rate(/prompt eval time/), evalTokS: rate(/^\S+\s+eval time/) };
  };
  const sequence = context.getSequence();
  const chatWrapper = lib.resolveChatWrapper(model);
  const render = (text: string): Token[] =>
    chatWrapper
      .generateContextState({
        chatHistory: [
          { type: "user", text },
          { type: "model", response: [] },
        ],
      })
      .contextText.tokenize(model.tokenizer);
  const prompt = render(PROMPT);
  const ppPrompt = model.tokenize(LONG_TEXT).slice(0, init.pp);
  if (init.pp > 0 && ppPrompt.length < init.pp)
    throw new Error(`the pp text has only ${ppPrompt.length} tokens`);

  type Path = { name: string; run: () => Promise<Sample> };
  const paths: Path[] = [];
  const adapter = engine.orket
    ? createGgufAdapter({
        path: init.model,
        contextSize: init.context,
        threads: init.threads,
        promptCache: false,
      })
    : undefined;
  if (adapter) {
    // The longest chat-rendered prefix of LONG_TEXT that fits in --pp tokens.
    const words = LONG_TEXT.split(" ");
    let low = 1;
    let high = words.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (render(words.slice(0, middle).join(" ")).length <= init.pp) low = middle;
      else high = middle - 1;
    }
    const ppText = words.slice(0, low).join(" ");
    const call = async (text: string, maxOutputTokens: number) => {
      const request: ModelRequest = {
        messages: [{ role: "user", content: text }],
        maxOutputTokens,
        temperature: 0,
        seed: SEED,
      };
      for await (const part of adapter.stream(request)) {
        if (part.type === "error") throw part.error;
        if (part.type === "finish") return part;
      }
      throw new Error("the stream ended without a finish part");
    };
    paths.push({
      name: "orket adapter",
      run: async () => {
        const tg = await call(PROMPT, init.tokens);
        const decodeTokens = tg.timings?.decodeTokens ?? 0;
        const sample: Sample = {
          path: "orket adapter",
          tg: decodeTokens / (tg.timings?.decodeSeconds ?? Number.NaN),
          decodeTokens,
        };
        if (init.pp > 0) {
          const pp = await call(ppText, 1);
          sample.promptTokens = pp.usage.promptTokens;
          sample.pp = (pp.usage.promptTokens ?? 0) / (pp.timings?.prefillSeconds ?? Number.NaN);
        }
        return sample;
      },
    });
  }
  if (!engine.orket)
    paths.push({
      name: "evaluate",
      run: async () => {
        await perf();
        const decode = await evaluateOnce(sequence, model, prompt, init.tokens);
        const sample: Sample = {
          path: "evaluate",
          tg: (decode.tokens - 1) / decode.decodeSeconds,
          decodeTokens: decode.tokens - 1,
        };
        if (decode.decodeSched) {
          sample.cpuMsPerToken = decode.decodeSched.runMs / (decode.tokens - 1);
          sample.waitMsPerToken = decode.decodeSched.waitMs / (decode.tokens - 1);
        }
        const decodePerf = await perf();
        if (decodePerf.evalTokS !== undefined) sample.tgInside = decodePerf.evalTokS;
        if (init.pp > 0) {
          const pp = await evaluateOnce(sequence, model, ppPrompt, 1);
          sample.promptTokens = ppPrompt.length;
          sample.pp = ppPrompt.length / pp.prefillSeconds;
          const ppPerf = await perf();
          if (ppPerf.promptTokS !== undefined) sample.ppInside = ppPerf.promptTokS;
        }
        return sample;
      },
    });

  // One warm-up call per path: the first run of a context pays for allocations the others do not.
  for (const path of paths) await path.run();
  send({
    type: "ready",
    info: {
      buildType: llama.buildType,
      release: `${llama.llamaCppRelease.repo}@${llama.llamaCppRelease.release}`,
      systemInfo: llama.systemInfo.trim(),
      bindingDir: engine.dir ?? "node_modules/node-llama-cpp",
      paths: paths.map((p) => p.name),
    },
  });

  process.on("message", async (message: ToWorker) => {
    if (message.type === "exit") {
      await adapter?.close?.();
      await context.dispose();
      await model.dispose();
      release();
      await disposeLlamaEngines();
      await llama.dispose();
      process.exit(0);
    }
    try {
      const samples: Sample[] = [];
      for (let i = 0; i < message.runs; i++) for (const path of paths) samples.push(await path.run());
      send({ type: "samples", samples });
    } catch (error) {
      send({ type: "error", message: error instanceof Error ? error.message : String(error) });
    }
  });
}

/**
 * node-llama-cpp's own loop: the tokens `evaluate` yields, timed as they arrive; nothing done with them
 * but counting. The sequence is cleared first so that every run pays its full prefill.
 */
async function evaluateOnce(
  sequence: LlamaContextSequence,
  model: LlamaModel,
  prompt: Token[],
  maxTokens: number,
): Promise<{
  tokens: number;
  prefillSeconds: number;
  decodeSeconds: number;
  decodeSched: { runMs: number; waitMs: number } | undefined;
}> {
  await sequence.clearHistory();
  let tokens = 0;
  let first = 0;
  let last = 0;
  let atFirst: { runMs: number; waitMs: number } | undefined;
  const start = performance.now();
  for await (const token of sequence.evaluate(prompt, { temperature: 0, seed: SEED, yieldEogToken: true })) {
    last = performance.now();
    if (tokens === 0) {
      first = last;
      atFirst = schedTotals();
    }
    tokens++;
    if (tokens >= maxTokens) break;
    if (model.isEogToken(token))
      throw new Error(`generation ended at an end-of-generation token (${tokens})`);
  }
  const atLast = schedTotals();
  return {
    tokens,
    prefillSeconds: (first - start) / 1000,
    decodeSeconds: (last - first) / 1000,
    decodeSched:
      atFirst && atLast
        ? { runMs: atLast.runMs - atFirst.runMs, waitMs: atLast.waitMs - atFirst.waitMs }
        : undefined,
  };
}

/**
 * This process's CPU time and run-queue wait so far, summed over its threads (Linux's per-thread
 * schedstat: nanoseconds on a CPU, nanoseconds runnable but waiting for one). Undefined elsewhere.
 */
function schedTotals(): { runMs: number; waitMs: number } | undefined {
  try {
    let run = 0;
    let wait = 0;
    for (const task of readdirSync("/proc/self/task")) {
      const [onCpu, waiting] = readFileSync(`/proc/self/task/${task}/schedstat`, "utf8").split(" ");
      run += Number(onCpu);
      wait += Number(waiting);
    }
    return { runMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Orchestration and the report

/** The share of time some runnable task waited for a CPU (Linux PSI: avg10 and avg60), or "n/a". */
function cpuPressure(): string {
  try {
    const some = readFileSync("/proc/pressure/cpu", "utf8").split("\n")[0] ?? "";
    const avg = (name: string): string => /\d+(\.\d+)?/.exec(some.split(`${name}=`)[1] ?? "")?.[0] ?? "?";
    return `${avg("avg10")} % (10 s), ${avg("avg60")} % (60 s)`;
  } catch {
    return "n/a";
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

interface Row {
  name: string;
  build: string;
  /** Samples per rep, so that each rep's mean can be paired with native's of the same rep. */
  tg: number[][];
  pp: number[][];
  /** llama.cpp's own figures for the same runs: inside `llama_decode` only. */
  tgInside: number[];
  ppInside: number[];
  cpuMsPerToken: number[];
  waitMsPerToken: number[];
  decodeTokens: Set<number>;
  promptTokens: Set<number>;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--worker") {
    await worker(JSON.parse(argv[1] as string) as WorkerInit);
    return;
  }
  const options = parseArgs(argv);
  const model = options.model ?? cachedModel();
  const init = {
    model,
    tokens: options.tokens,
    pp: options.pp,
    threads: options.threads,
    context: options.context,
  };
  const workers: Array<{ worker: Worker; spec: EngineSpec; info: EngineInfo }> = [];
  const start = async (engine: EngineSpec): Promise<EngineInfo> => {
    const w = new Worker({ ...init, engine });
    const info = await w.ready;
    workers.push({ worker: w, spec: engine, info });
    return info;
  };
  try {
    // One at a time: their warm-ups would otherwise compete.
    const orket = await start({ label: "orket engine", orket: true });
    await start({ label: "node-llama-cpp" });
    if (orket.buildType === "localBuild")
      await start({ label: "node-llama-cpp, prebuilt", forcePrebuilt: true });
    for (const [i, dir] of options.engines.entries()) {
      await start({ label: `node-llama-cpp (--engine ${i + 1})`, dir });
    }

    const pressureAtStart = cpuPressure();
    const rows = new Map<string, Row>();
    const row = (name: string, build: string): Row => {
      let found = rows.get(name);
      if (!found) {
        found = {
          name,
          build,
          tg: [],
          pp: [],
          tgInside: [],
          ppInside: [],
          cpuMsPerToken: [],
          waitMsPerToken: [],
          decodeTokens: new Set(),
          promptTokens: new Set(),
        };
        rows.set(name, found);
      }
      return found;
    };
    const native = row("native llama-bench", "native");
    for (const { spec, info } of workers) {
      for (const path of info.paths) row(`${spec.label}: ${path}`, info.buildType);
    }
    const units: Array<{ name: string; run: (rep: number) => Promise<void> }> = [
      {
        name: "native",
        run: async (rep) => {
          const result = await nativeRun(options, model);
          native.tg[rep] = result.tg;
          native.pp[rep] = result.pp;
          // llama-bench times llama_decode (and the synchronisation after it) and nothing else.
          native.tgInside.push(...result.tg);
          native.ppInside.push(...result.pp);
          native.decodeTokens.add(options.tokens);
          if (options.pp > 0) native.promptTokens.add(options.pp);
        },
      },
      ...workers.map(({ worker: w, spec }) => ({
        name: spec.label,
        run: async (rep: number) => {
          for (const sample of await w.run(options.runs)) {
            const r = row(`${spec.label}: ${sample.path}`, "");
            r.tg[rep] = [...(r.tg[rep] ?? []), sample.tg];
            r.decodeTokens.add(sample.decodeTokens);
            if (sample.pp !== undefined) r.pp[rep] = [...(r.pp[rep] ?? []), sample.pp];
            if (sample.promptTokens !== undefined) r.promptTokens.add(sample.promptTokens);
            if (sample.tgInside !== undefined) r.tgInside.push(sample.tgInside);
            if (sample.ppInside !== undefined) r.ppInside.push(sample.ppInside);
            if (sample.cpuMsPerToken !== undefined) r.cpuMsPerToken.push(sample.cpuMsPerToken);
            if (sample.waitMsPerToken !== undefined) r.waitMsPerToken.push(sample.waitMsPerToken);
          }
        },
      })),
    ];
    for (let rep = 0; rep < options.reps; rep++) {
      for (let k = 0; k < units.length; k++) {
        const unit = units[(rep + k) % units.length] as (typeof units)[number];
        await unit.run(rep);
      }
      process.stderr.write(`rep ${rep + 1}/${options.reps} done\n`);
    }
    const load = `CPU pressure (Linux PSI, some): ${pressureAtStart} at the start, ${cpuPressure()} at the end`;
    report(options, model, [...rows.values()], workers, await nativeSystemInfo(), load);
  } finally {
    for (const { worker: w } of workers) w.close();
  }
}

function report(
  options: Options,
  model: string,
  rows: Row[],
  workers: Array<{ spec: EngineSpec; info: EngineInfo }>,
  nativeVersion: string,
  load: string,
): void {
  const native = rows[0] as Row;
  const fmt = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : "-");
  console.log("embedded engine vs native llama.cpp");
  console.log(`model ${model}${options.model ? "" : " (random weights, ~155 M params, Q4_K_M)"}`);
  console.log(
    `threads ${options.threads}, tg${options.tokens}, pp${options.pp || " off"}, context ${options.context} ` +
      `(embedded), ${options.reps} interleaved reps x ${options.runs} runs, CPU ${cpus()[0]?.model ?? "?"} ` +
      `x ${cpus().length}`,
  );
  console.log(load);
  console.log(`native: ${nativeVersion}`);
  for (const { spec, info } of workers) {
    console.log(`${spec.label}: ${info.buildType} ${info.release} (${info.bindingDir}); ${info.systemInfo}`);
  }
  console.log("");
  console.log(
    "tg: tok/s of single-token decodes after the first token; pp: prompt tokens over the time to the first\n" +
      "token. x native: of the medians; paired: the median over reps of (rep mean / native rep mean).\n" +
      "inside: what llama.cpp itself timed inside llama_decode for the same runs (llama-bench: all it times).\n" +
      "cpu ms/t: the engine process's CPU time (all threads) per decode step, wait: its threads' run-queue\n" +
      "wait per step (Linux schedstat); llama-bench's one thread runs nearly all the time: ~1000 / tg.",
  );
  console.log("");
  const columns: Array<[string, number]> = [
    ["engine: path", 42],
    ["build", 11],
    ["tg med", 9],
    ["min", 9],
    ["max", 9],
    ["x native", 9],
    ["paired", 7],
    ["inside", 9],
    ["cpu ms/t", 9],
    ["wait", 6],
    ["pp med", 9],
    ["x native", 9],
    ["inside", 9],
  ];
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) =>
        i < 2 ? `${cell} `.padEnd(columns[i]?.[1] ?? 0) : cell.padStart(columns[i]?.[1] ?? 0),
      )
      .join("");
  console.log(line(columns.map(([title]) => title)));
  const nativeTg = median(native.tg.flat());
  const nativePp = median(native.pp.flat());
  for (const r of rows) {
    const tg = r.tg.flat();
    const pp = r.pp.flat();
    // Paired: each rep's mean over the rep's mean for native (the same minute of machine load).
    const paired = median(r.tg.map((values, rep) => mean(values) / mean(native.tg[rep] ?? [])));
    const isNative = r === native;
    const ratio = (value: number): string => (isNative || !Number.isFinite(value) ? "" : value.toFixed(3));
    console.log(
      line([
        r.name,
        r.build,
        fmt(median(tg)),
        fmt(Math.min(...tg)),
        fmt(Math.max(...tg)),
        ratio(median(tg) / nativeTg),
        ratio(paired),
        fmt(median(r.tgInside)),
        r.cpuMsPerToken.length > 0
          ? median(r.cpuMsPerToken).toFixed(2)
          : isNative
            ? `~${(1000 / median(tg)).toFixed(2)}`
            : "-",
        r.waitMsPerToken.length > 0 ? median(r.waitMsPerToken).toFixed(2) : "-",
        fmt(median(pp)),
        ratio(median(pp) / nativePp),
        fmt(median(r.ppInside)),
      ]),
    );
  }
  console.log("");
  for (const r of rows) {
    console.log(
      `${r.name}: decode steps/run ${[...r.decodeTokens].join(",")}` +
        (r.promptTokens.size > 0 ? `, prompt tokens ${[...r.promptTokens].join(",")}` : ""),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
