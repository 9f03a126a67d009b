/**
 * System load around a test run: CPU busy share across all cores since the previous sample (from the
 * kernel's per-core time counters), the 1-minute load average, and the core count.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { roundDecimal } from "../core/rounding.js";
import type { SystemLoad } from "../spec/report.js";

interface CpuTimes {
  busy: number;
  total: number;
}

/**
 * All cores' busy and total time. On Linux one read of the first line of /proc/stat: `os.cpus()` also
 * reads every core's model and frequency, which costs ten times more and grows with the core count.
 */
export function readCpuTimes(): CpuTimes {
  if (process.platform === "linux") {
    try {
      const line = readFileSync("/proc/stat", "utf8").slice(0, 256).split("\n", 1)[0] ?? "";
      // cpu user nice system idle iowait irq softirq [steal: not ours; guest: already in user/nice]
      const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number);
      if (ticks.length >= 4 && ticks.every(Number.isFinite)) {
        const total = ticks.reduce((a, b) => a + b, 0);
        return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
      }
    } catch {
      // Fall through to os.cpus().
    }
  }
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    busy += all - times.idle;
    total += all;
  }
  return { busy, total };
}

/** A sampler remembers its last reading, so each sample covers the time since the one before. */
export function createLoadSampler(): { sample(): SystemLoad } {
  let last = readCpuTimes();
  return {
    sample() {
      const now = readCpuTimes();
      const total = now.total - last.total;
      const cpuPercent = total > 0 ? roundDecimal((100 * (now.busy - last.busy)) / total, 1) : null;
      last = now;
      const [oneMinute] = loadavg();
      return {
        cpu_percent: cpuPercent === null ? null : Math.min(100, Math.max(0, cpuPercent)),
        load_1m: process.platform === "win32" || oneMinute === undefined ? null : roundDecimal(oneMinute, 2),
        core_count: Math.max(1, cpus().length),
      };
    },
  };
}
