/** Flag value parsers: each rejects a bad value with a message that names the flag. */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve as resolvePath } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { REPORTER_NAMES } from "./reporters.js";

export function intArg(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${flag} takes a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, not "${value}"`,
      );
    }
    return n;
  };
}

export function floatArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a number from ${min} to ${max}, not "${value}"`);
    }
    return n;
  };
}

export function choiceArg<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} takes one of ${choices.join(", ")}, not "${value}"`);
    }
    return value as T;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The flags several commands share, each defined here once: the model, the time limit of a model
 * call, the output folder, the progress reporter, the lane and the VRAM profile. (How to reach a model
 * server — base URL, Ollama host, key — is in provider-flags.ts.)
 */
export function addModelFlag(command: Command, help: string, options: { required?: boolean } = {}): Command {
  return options.required
    ? command.requiredOption("-m, --model <ref>", help)
    : command.option("-m, --model <ref>", help);
}

export const DEFAULT_TIMEOUT_MS = 300_000;

export function addTimeoutFlag(
  command: Command,
  help = "time limit of one model call in ms (0: no limit)",
): Command {
  return command.option("--timeout <ms>", help, intArg("--timeout", 0), DEFAULT_TIMEOUT_MS);
}

/** The one line a `--timeout 0` gets, so nobody waits on a hung server by accident. */
export function noteNoTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs === 0) process.stderr.write("orket: --timeout 0: model calls have no time limit\n");
}

/**
 * The project folder: its `orket/` config and its own state in `<dir>/.orket/orket.db` (cards, runs,
 * memory). ORKET_HOME holds only what is machine-wide (docs/runtime.md, Where state lives).
 */
export function addProjectFlag(command: Command): Command {
  return command.option("--project <dir>", "the project folder (orket/ config; its state in .orket/)", ".");
}

export function addOutFlag(command: Command, help: string, fallback?: string): Command {
  return fallback === undefined
    ? command.option("--out <dir>", help)
    : command.option("--out <dir>", help, fallback);
}

export function addReporterFlag(command: Command): Command {
  return command.option(
    "--reporter <name>",
    `progress view: ${REPORTER_NAMES.join(", ")} (auto: a bar with ETA on a terminal, plain lines elsewhere and under CI; json: every event as a JSON line on stdout)`,
    choiceArg("--reporter", REPORTER_NAMES),
    "auto",
  );
}

/** `--otel`: export spans, metrics and evaluation events over OTLP/HTTP (docs/telemetry.md). */
export function addOtelFlag(command: Command): Command {
  return command.option(
    "--otel",
    "export OpenTelemetry spans, GenAI metrics and evaluation events over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318); on without the flag when that variable is set",
  );
}

/** `--lane` and `--vram-profile`, the same on every command that measures. */
export function addLaneFlags(command: Command): Command {
  return command
    .option(
      "--lane <lane>",
      "execution lane: ci, or lab (the lab's thermal and VRAM guards decide)",
      choiceArg("--lane", ["ci", "lab"] as const),
      "ci",
    )
    .option(
      "--vram-profile <profile>",
      "VRAM profile: the share of VRAM a run may use (safe 0.50, balanced 0.80, stress 0.95)",
      choiceArg("--vram-profile", ["safe", "balanced", "stress"] as const),
      "safe",
    );
}

/**
 * Ports the Fetch standard blocks (https://fetch.spec.whatwg.org/#port-blocking): Node's fetch refuses
 * them with a bare "bad port", so a server URL on one of them can never be reached.
 */
const BLOCKED_PORTS = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** Why `value` cannot be a model server's URL, or null when it can. `bare` allows `host:port` (Ollama). */
export function serverUrlProblem(value: string, bare = false): string | null {
  const text = bare && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? `http://${value}` : value;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `is not an http(s) URL (${url.protocol})`;
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (BLOCKED_PORTS.has(port)) return `uses port ${port}, which fetch refuses to connect to (a blocked port)`;
  return null;
}

/** A model server's URL flag: rejected at parse time, naming the flag, when it cannot be reached. */
export function serverUrlArg(flag: string, bare = false) {
  return (value: string): string => {
    const problem = serverUrlProblem(value, bare);
    if (problem !== null) throw new InvalidArgumentError(`${flag} "${value}" ${problem}`);
    return value;
  };
}

/**
 * Why `path` cannot be written as a file, or null when it can (its folder may still be missing: the
 * writers make it). Checked before any work starts, so a typo costs nothing.
 */
export function outputFileProblem(path: string): string | null {
  const full = resolvePath(path);
  if (path.endsWith("/") || isDirectory(full)) return "is a folder, not a file";
  for (let dir = dirname(full); ; dir = dirname(dir)) {
    if (existsSync(dir)) return isDirectory(dir) ? null : `cannot be made: ${dir} is a file, not a folder`;
    if (dirname(dir) === dir) return null;
  }
}

/** Why `path` cannot be used as a folder (an existing file, or a file on the way), or null. */
export function outputFolderProblem(path: string): string | null {
  const full = resolvePath(path);
  if (existsSync(full)) return isDirectory(full) ? null : "is a file, not a folder";
  for (let dir = dirname(full); ; dir = dirname(dir)) {
    if (existsSync(dir)) return isDirectory(dir) ? null : `cannot be made: ${dir} is a file, not a folder`;
    if (dirname(dir) === dir) return null;
  }
}

/** A file the command writes: rejected at parse time, naming the flag, when it cannot be a file. */
export function outputFileArg(flag: string) {
  return (value: string): string => {
    const problem = outputFileProblem(value);
    if (problem !== null) throw new InvalidArgumentError(`${flag} "${value}" ${problem}`);
    return value;
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface CooldownFlags {
  sidecar: boolean;
  cooldownTarget: number;
  cooldownTimeout: number;
  cooldownWait: boolean;
}

/** The hardware sampling and the lab lane's thermal gate, as `orket bench` and `orket worker` take them. */
export function addCooldownFlags(command: Command): Command {
  return command
    .option("--no-sidecar", "do not sample the hardware (nvidia-smi, rocm-smi, CPU) during test runs")
    .option(
      "--cooldown-target <celsius>",
      "lab lane: GPU temperature to wait for before each test run",
      intArg("--cooldown-target", 20, 110),
      65,
    )
    .option(
      "--cooldown-timeout <seconds>",
      "lab lane: longest wait for the target (then COOLDOWN_TIMEOUT)",
      intArg("--cooldown-timeout", 0),
      120,
    )
    .option("--no-cooldown-wait", "lab lane: do not wait; a start above the target is HOT_START");
}

/** The thermal gate's settings from those flags. */
export function thermalSettings(flags: CooldownFlags): { targetC: number; timeoutMs: number; wait: boolean } {
  return { targetC: flags.cooldownTarget, timeoutMs: flags.cooldownTimeout * 1000, wait: flags.cooldownWait };
}
