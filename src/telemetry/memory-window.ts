/**
 * Peak RSS of the process doing inference, over one call's window.
 *
 * On Linux the kernel keeps a resident-set high-water mark (`VmHWM`) per process; writing `5` to
 * `/proc/<pid>/clear_refs` resets it to the current RSS, so reset-at-start plus read-at-end gives the
 * exact peak of the window without sampling. Where that is not allowed (another user's server) or not
 * Linux, the window samples RSS on an interval instead and says so in `method`. When inference runs in a
 * process we cannot see, the peak is null with a reason, never 0.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { InferenceProcess } from "../spec/model.js";

export interface MemoryPeak {
  /** MiB, unrounded; null when unknown. */
  peakMiB: number | null;
  method: string | null;
  reason: string | null;
}

export interface MemoryWindow {
  stop(): Promise<MemoryPeak>;
}

export interface MemoryWindowOptions {
  /** Sampling interval for the fallback sampler. */
  sampleIntervalMs?: number;
  procRoot?: string;
}

const KIB_PER_MIB = 1024;
let openSelfWindows = 0;

export function openMemoryWindow(target: InferenceProcess, options: MemoryWindowOptions = {}): MemoryWindow {
  if (target.kind === "unknown") {
    return { stop: async () => ({ peakMiB: null, method: null, reason: target.reason }) };
  }
  const procRoot = options.procRoot ?? "/proc";
  const pidPath = target.kind === "self" ? "self" : String(target.pid);
  const label = target.kind === "self" ? "self" : `pid:${target.pid}`;

  if (process.platform === "linux") {
    // Concurrent windows in one process share one high-water mark; only the first may reset it, and the
    // others sample instead (marked as such).
    const shared = target.kind === "self" && openSelfWindows > 0;
    if (target.kind === "self") openSelfWindows++;
    const release = () => {
      if (target.kind === "self") openSelfWindows--;
    };
    const exited = { peakMiB: null, method: null, reason: `process ${label} exited during the call` };
    if (!shared && resetHighWater(procRoot, pidPath)) {
      if (target.kind === "self" && procRoot === "/proc") return selfHighWaterWindow(release);
      return {
        async stop() {
          release();
          const end = readStatusKiB(procRoot, pidPath);
          return end === null
            ? exited
            : { peakMiB: end.hwm / KIB_PER_MIB, method: `vmhwm:${label}`, reason: null };
        },
      };
    }
    if (readStatusKiB(procRoot, pidPath) === null) {
      release();
      const reason = `process ${label} is not running or /proc/${pidPath}/status is unreadable`;
      return { stop: async () => ({ peakMiB: null, method: null, reason }) };
    }
    const sampler = startSampler(async () => readStatusKiB(procRoot, pidPath)?.rss ?? null, options);
    return {
      async stop() {
        release();
        const peak = await sampler.stop();
        if (peak === null) return exited;
        const method = shared ? `sampled-shared-window:${label}` : `sampled:${label}`;
        return { peakMiB: peak / KIB_PER_MIB, method, reason: null };
      },
    };
  }

  if (target.kind === "self") {
    const sampler = startSampler(async () => process.memoryUsage.rss() / 1024, options);
    return {
      async stop() {
        const peak = await sampler.stop();
        return { peakMiB: peak === null ? null : peak / KIB_PER_MIB, method: "sampled:self", reason: null };
      },
    };
  }
  const pid = target.pid;
  const sampler = startSampler(async () => {
    try {
      const { default: pidusage } = await import("pidusage");
      return (await pidusage(pid)).memory / 1024;
    } catch {
      return null;
    }
  }, options);
  return {
    async stop() {
      const peak = await sampler.stop();
      if (peak === null)
        return { peakMiB: null, method: null, reason: `process pid:${pid} could not be read` };
      return { peakMiB: peak / KIB_PER_MIB, method: `sampled:pid:${pid}`, reason: null };
    },
  };
}

/**
 * After `clear_refs`, getrusage's `ru_maxrss` follows the reset high-water mark and costs a microsecond
 * instead of the ~20 µs of reading `/proc/self/status`. It reports max(high-water mark, the peak of
 * threads that exited earlier), and that second term survives the reset: when it is above the current
 * RSS at the start, the window falls back to reading `VmHWM` at the end.
 */
function selfHighWaterWindow(release: () => void): MemoryWindow {
  const base = process.resourceUsage().maxRSS;
  const stale = base > process.memoryUsage.rss() / 1024 + 1024;
  return {
    async stop() {
      release();
      if (stale) {
        const end = readStatusKiB("/proc", "self");
        if (end) return { peakMiB: end.hwm / KIB_PER_MIB, method: "vmhwm:self", reason: null };
      }
      return { peakMiB: process.resourceUsage().maxRSS / KIB_PER_MIB, method: "vmhwm:self", reason: null };
    },
  };
}

// procfs reads are served from kernel memory and never block on a disk; the synchronous calls keep the
// window's cost in the microseconds (the telemetry overhead budget is 0.1 ms a call).
function readStatusKiB(procRoot: string, pid: string): { rss: number; hwm: number } | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text)?.[1];
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(text)?.[1];
  if (rss === undefined || hwm === undefined) return null;
  return { rss: Number(rss), hwm: Number(hwm) };
}

function resetHighWater(procRoot: string, pid: string): boolean {
  try {
    writeFileSync(`${procRoot}/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

function startSampler(read: () => Promise<number | null>, options: MemoryWindowOptions) {
  let peak: number | null = null;
  let running = true;
  const take = async () => {
    const value = await read();
    if (value !== null) peak = peak === null ? value : Math.max(peak, value);
  };
  let inFlight = take();
  const timer = setInterval(() => {
    if (running) inFlight = inFlight.then(take);
  }, options.sampleIntervalMs ?? 20);
  timer.unref();
  return {
    async stop(): Promise<number | null> {
      running = false;
      clearInterval(timer);
      await inFlight;
      await take();
      return peak;
    },
  };
}
