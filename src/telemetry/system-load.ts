/**
 * System load around a test run: CPU busy share across all cores since the previous sample (from the
 * kernel's per-core time counters), the 1-minute load average, and the core count.
 */
import { cpus, loadavg } from "node:os";
import { roundDecimal } from "../core/rounding.js";
import type { SystemLoad } from "../spec/report.js";

interface CpuTimes {
  busy: number;
  total: number;
}

function readTimes(): CpuTimes {
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
  let last = readTimes();
  return {
    sample() {
      const now = readTimes();
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
