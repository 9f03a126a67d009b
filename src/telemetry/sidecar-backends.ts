/**
 * The sidecar's backends: which GPU tool is on PATH (`nvidia-smi`, else `rocm-smi`, else none: the CPU
 * backend), and one poll of it. The tool runs through `execFile` (no shell) with a short timeout; a poll
 * that fails (the driver went away, a timeout) comes back as a `poll:` error entry, never an exception.
 * On drivers before 535 nvidia-smi rejects `clocks_event_reasons.active`; the backend then retries with
 * the legacy name once and keeps it.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { round3 } from "../core/shared/rounding.js";
import type { SidecarBackend, SidecarPoll } from "../spec/sidecar.js";
import {
  fallbackNvidiaFields,
  invalidNvidiaField,
  NVIDIA_QUERY_FIELDS,
  nvidiaQueryArgs,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
} from "./sidecar-parse.js";
import { readCpuTimes } from "./system-load.js";

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Null when the tool did not run to an exit (see `error`). */
  exitCode: number | null;
  /** A stable code when the run failed: `timeout`, `exit_code_9`, `ENOENT`, `signal_SIGSEGV`; else null. */
  error: string | null;
}

/** Runs a program without a shell; injectable so tests and benchmarks can count or fake calls. */
export type ExecFileFn = (
  file: string,
  args: readonly string[],
  options: { timeoutMs: number; env: NodeJS.ProcessEnv | undefined },
) => Promise<ExecResult>;

export const execFileNoShell: ExecFileFn = (file, args, { timeoutMs, env }) =>
  new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        env,
        windowsHide: true,
        encoding: "utf8",
        maxBuffer: 1 << 20,
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ stdout, stderr, exitCode: 0, error: null });
        const exitCode = typeof error.code === "number" ? error.code : null;
        const code =
          error.killed === true
            ? "timeout"
            : exitCode !== null
              ? `exit_code_${exitCode}`
              : typeof error.code === "string"
                ? error.code
                : error.signal
                  ? `signal_${error.signal}`
                  : "failed";
        resolve({ stdout: String(stdout), stderr: String(stderr), exitCode, error: code });
      },
    );
  });

/** One poll's reading, before the sampler stamps its timing. */
export type SidecarReading = Pick<SidecarPoll, "gpus" | "cpu" | "errors">;

export interface GpuBackend {
  readonly backend: SidecarBackend;
  /** Absolute path of the vendor tool; null on the CPU backend. */
  readonly tool: string | null;
  /** Why the backend is what it is (`nvidia-smi and rocm-smi not found on PATH`); null for a GPU. */
  readonly reason: string | null;
  /** The `--query-gpu` fields in use (they change once if the driver rejects the new names). */
  readonly fields: readonly string[];
  /** One poll of every GPU. Never throws: failures come back as `poll:` errors. */
  sampleOnce(): Promise<SidecarReading>;
  /** The tool, its current arguments and environment, for a helper process; absent on the CPU backend. */
  readonly command?: ToolCommand;
  /** Reads one run's output as `sampleOnce` would, without its retries. */
  interpret?(result: ExecResult): SidecarReading;
  /**
   * Whether `command` is known to be accepted by the driver (a poll has run without a field being
   * rejected). A window over a settled backend polls only from its helper, with no start-up poll here.
   */
  readonly settled?: boolean;
}

export interface ToolCommand {
  file: string;
  args: readonly string[];
  /** Undefined: this process's environment. */
  env: NodeJS.ProcessEnv | undefined;
}

export interface BackendOptions {
  /** Environment whose PATH is searched, also given to the tool; defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  exec?: ExecFileFn;
  /** Per-call limit for the tool. */
  timeoutMs?: number;
}

const ROCM_ARGS = [
  "--showtemp",
  "--showmeminfo",
  "vram",
  "--showuse",
  "--showpower",
  "--showclocks",
  "--json",
];

/** Finds an executable on PATH the way a shell would, without starting one. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const path = env.PATH ?? env.Path ?? "";
  const names = process.platform === "win32" ? [`${name}.exe`, name] : [name];
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    for (const file of names) {
      const candidate = join(dir, file);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // Not here; keep looking.
      }
    }
  }
  return null;
}

/**
 * Picks the sampler's backend: `nvidia-smi` if it is on PATH, else `rocm-smi`, else the CPU. Only looks
 * at PATH (no process is started); whether the tool works shows in the first poll.
 */
export function detectGpuBackend(options: BackendOptions = {}): GpuBackend {
  const exec = options.exec ?? execFileNoShell;
  const call = { timeoutMs: options.timeoutMs ?? 2000, env: options.env };
  const nvidia = findOnPath("nvidia-smi", options.env);
  if (nvidia !== null) return nvidiaBackend(nvidia, exec, call);
  const rocm = findOnPath("rocm-smi", options.env);
  if (rocm !== null) return rocmBackend(rocm, exec, call);
  return cpuBackend();
}

type CallOptions = Parameters<ExecFileFn>[2];

function nvidiaBackend(tool: string, exec: ExecFileFn, call: CallOptions): GpuBackend {
  let fields: readonly string[] = NVIDIA_QUERY_FIELDS;
  let args = nvidiaQueryArgs(fields);
  let settled = false;
  return {
    backend: "nvidia",
    tool,
    reason: null,
    get fields() {
      return fields;
    },
    get command() {
      return { file: tool, args, env: call.env };
    },
    get settled() {
      return settled;
    },
    interpret(result) {
      const invalid = invalidNvidiaField(`${result.stdout}\n${result.stderr}`);
      if (invalid !== null) return failedReading(`poll:invalid_field=${invalid}`);
      return reading(result, (text) => parseNvidiaSmiCsv(text, fields));
    },
    async sampleOnce() {
      // At most two retries: event reasons → legacy name → no reasons field.
      for (let attempt = 0; attempt < 3; attempt++) {
        const result = await exec(tool, args, call);
        const invalid = invalidNvidiaField(`${result.stdout}\n${result.stderr}`);
        if (invalid !== null) {
          const next = fallbackNvidiaFields(fields, invalid);
          if (next === null) return failedReading(`poll:invalid_field=${invalid}`);
          fields = next;
          args = nvidiaQueryArgs(fields);
          continue;
        }
        settled ||= result.error === null;
        return reading(result, (text) => parseNvidiaSmiCsv(text, fields));
      }
      return failedReading("poll:invalid_fields");
    },
  };
}

function rocmBackend(tool: string, exec: ExecFileFn, call: CallOptions): GpuBackend {
  return {
    backend: "amd",
    tool,
    reason: null,
    fields: ROCM_ARGS,
    command: { file: tool, args: ROCM_ARGS, env: call.env },
    settled: true,
    interpret: (result) => reading(result, parseRocmSmiJson),
    async sampleOnce() {
      return reading(await exec(tool, ROCM_ARGS, call), parseRocmSmiJson);
    },
  };
}

/** A failed run may still have printed some GPUs (one GPU lost of several): keep what parses. */
function reading(result: ExecResult, parse: typeof parseRocmSmiJson): SidecarReading {
  const parsed = parse(result.stdout);
  // nvidia-smi prints its failures on stdout; that text is the tool's message, not a garbled GPU line.
  if (result.error !== null && parsed.gpus.length === 0) return failedReading(`poll:${result.error}`);
  const errors = result.error === null ? parsed.errors : [...parsed.errors, `poll:${result.error}`].sort();
  return { gpus: parsed.gpus, cpu: null, errors };
}

/** A poll that produced nothing but this error. */
export function failedReading(error: string): SidecarReading {
  return { gpus: [], cpu: null, errors: [error] };
}

function cpuBackend(): GpuBackend {
  let lastSystem = readCpuTimes();
  let lastUsage = process.cpuUsage();
  let lastAt = performance.now();
  return {
    backend: "cpu",
    tool: null,
    reason: "nvidia-smi and rocm-smi not found on PATH",
    fields: [],
    async sampleOnce() {
      const usage = process.cpuUsage();
      const at = performance.now();
      const wallUs = (at - lastAt) * 1000;
      const busyUs = usage.user - lastUsage.user + usage.system - lastUsage.system;
      lastUsage = usage;
      lastAt = at;
      // Under a millisecond (the window's first poll) the share is noise, not a measurement.
      const processPercent = wallUs >= 1000 ? round3((100 * busyUs) / wallUs) : null;
      const system = readCpuTimes();
      const ticks = system.total - lastSystem.total;
      const systemPercent =
        ticks > 0
          ? round3(Math.min(100, Math.max(0, (100 * (system.busy - lastSystem.busy)) / ticks)))
          : null;
      lastSystem = system;
      return {
        gpus: [],
        cpu: { process_cpu_percent: processPercent, system_cpu_percent: systemPercent },
        errors: [],
      };
    },
  };
}

/** A probe for the thermal guard: the GPU's temperature now, or null when there is no GPU or no value. */
export function temperatureProbe(gpu: GpuBackend, gpuIndex = 0): () => Promise<number | null> {
  return async () => {
    if (gpu.backend === "cpu") return null;
    const { gpus } = await gpu.sampleOnce();
    return gpus.find((sample) => sample.gpu_index === gpuIndex)?.temperature_c ?? null;
  };
}
