/**
 * System load around a test run: CPU busy share across all cores since the previous sample (from the
 * kernel's per-core time counters), the 1-minute load average, and the core count.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { roundDecimal } from "../core/shared/rounding.js";
import type { InferenceProcess } from "../spec/model.js";
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

/**
 * What a benchmark reads of the machine's load: a sample around each run, and the CPU during each
 * generation window. A sampler without `cpuWindow` (an injected one in a test) measures no window: the
 * window's figures are then null, with that reason, and not judged.
 */
export interface LoadSampler {
  sample(): SystemLoad;
  cpuWindow?(inference: InferenceProcess): { stop(): ForeignCpu };
}

/** The window of a sampler that measures none. */
export function unmeasuredCpuWindow(reason: string): { stop(): ForeignCpu } {
  const figures: ForeignCpu = {
    foreign_cpu_percent: null,
    total_cpu_percent: null,
    excluded: null,
    reason,
    inference_wait_percent: null,
    wait_reason: reason,
    cpu_pressure_percent: null,
  };
  return { stop: () => ({ ...figures }) };
}

/** A sampler remembers its last reading, so each sample covers the time since the one before. */
export function createLoadSampler(): LoadSampler {
  let last = readCpuTimes();
  return {
    cpuWindow: (inference) => openForeignCpuWindow(inference),
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

/** CPU ticks (user + system, all its threads) and parent pid of one process. */
function readProcessStat(pid: number | "self"): { ticks: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? { ticks: utime + stime, ppid } : null;
  } catch {
    return null;
  }
}

/**
 * CPU ticks of every process in the trees under `roots` (the roots included), by pid: Orket's helpers
 * (the sidecar's poller) and a server's workers are theirs, not foreign load.
 */
function readTreeTicks(roots: readonly number[]): Map<number, number> {
  const all = new Map<number, { ticks: number; ppid: number }>();
  let names: string[] = [];
  try {
    names = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    // Without /proc there is nothing to read.
  }
  for (const name of names) {
    const stat = readProcessStat(Number(name));
    if (stat) all.set(Number(name), stat);
  }
  const inTree = new Set(roots.filter((pid) => all.has(pid)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid }] of all) {
      if (!inTree.has(pid) && inTree.has(ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  return new Map([...inTree].map((pid) => [pid, all.get(pid)?.ticks ?? 0]));
}

/** Ticks the trees spent between two readings; a process that started in between counts from 0. */
function treeDelta(start: Map<number, number>, end: Map<number, number>): number {
  let delta = 0;
  for (const [pid, ticks] of end) delta += Math.max(0, ticks - (start.get(pid) ?? 0));
  return delta;
}

/** Linux /proc/stat counts in clock ticks (USER_HZ, 100 a second on every mainstream kernel). */
function readStatTicks(): CpuTimes | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").slice(0, 256).split("\n", 1)[0] ?? "";
    const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number);
    if (ticks.length < 4 || !ticks.every(Number.isFinite)) return null;
    const total = ticks.reduce((a, b) => a + b, 0);
    return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
  } catch {
    return null;
  }
}

/** The least core-ticks a window must span before its foreign share is judged (10 ms ticks). */
export const MIN_FOREIGN_WINDOW_TICKS = 20;

/** Microseconds some task spent waiting for a CPU since boot (Linux PSI); null where PSI is off. */
function readCpuPressureMicros(): number | null {
  try {
    const line = readFileSync("/proc/pressure/cpu", "utf8").split("\n", 1)[0] ?? "";
    const total = /total=(\d+)/.exec(line)?.[1];
    return total === undefined ? null : Number(total);
  } catch {
    return null;
  }
}

export interface ForeignCpu {
  /**
   * Busy share of all cores during the window, 0–100, not counting the inference process nor Orket's own
   * process (the client that measures); null: unknown, see `reason`.
   */
  foreign_cpu_percent: number | null;
  /** Busy share of all cores during the window, everything included. */
  total_cpu_percent: number | null;
  /** Whose CPU time was left out: `self` (the embedded engine), `pid:123, self` (a local server). */
  excluded: string | null;
  reason: string | null;
  /**
   * Share of the inference process's demand for CPU during the window that it spent waiting on a run
   * queue (its threads' `/proc/<pid>/task/<tid>/schedstat` wait over wait + run), 0–100: how much
   * contention, from whoever, slowed the inference itself. Null: unknown, see `wait_reason`.
   */
  inference_wait_percent: number | null;
  wait_reason: string | null;
  /**
   * Share of the window in which some task on the machine waited for a CPU (Linux pressure stall
   * information, `/proc/pressure/cpu` "some"): a diagnostic, whoever waited. Null where PSI is off.
   */
  cpu_pressure_percent: number | null;
}

/** The least run + wait time of the inference process in a window before its wait share is judged. */
export const MIN_WAIT_WINDOW_NS = 20_000_000;

/** Nanoseconds on a CPU and waiting for one, summed over a process's threads (Linux schedstat). */
function readSchedstat(pid: number | "self"): { run: number; wait: number } | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let run = 0;
  let wait = 0;
  let read = 0;
  for (const task of tasks) {
    try {
      const [onCpu, waiting] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8")
        .split(" ")
        .map(Number);
      if (!Number.isFinite(onCpu) || !Number.isFinite(waiting)) continue;
      run += onCpu ?? 0;
      wait += waiting ?? 0;
      read++;
    } catch {
      // The thread ended while we looked: its time is gone from the sums at both ends alike.
    }
  }
  return read > 0 ? { run, wait } : null;
}

/**
 * The CPU around one generation window. CPU inference keeps its cores busy by design; what spoils a
 * measurement is load from anything else (another job, a compile), so the inference process's ticks,
 * and Orket's own (it reads the stream), are taken out of the machine's busy ticks. Linux only (procfs).
 */
export function openForeignCpuWindow(inference: InferenceProcess): { stop(): ForeignCpu } {
  const linux = process.platform === "linux";
  const serverPid = inference.kind === "pid" && inference.pid !== process.pid ? inference.pid : null;
  const roots = serverPid === null ? [process.pid] : [serverPid, process.pid];
  const excluded = serverPid === null ? "self" : `pid:${serverPid}, self`;
  const inferencePid: number | "self" | null =
    inference.kind === "self" ? "self" : inference.kind === "pid" ? (serverPid ?? "self") : null;
  const startAll = linux ? readStatTicks() : null;
  const startOwn = linux ? readTreeTicks(roots) : new Map<number, number>();
  const startWait = linux && inferencePid !== null ? readSchedstat(inferencePid) : null;
  const startPressure = linux ? readCpuPressureMicros() : null;
  const startWall = performance.now();
  return {
    stop() {
      const wallMicros = (performance.now() - startWall) * 1000;
      const endPressure = startPressure === null ? null : readCpuPressureMicros();
      const pressure =
        startPressure === null || endPressure === null || wallMicros <= 0
          ? null
          : clampPercent((100 * (endPressure - startPressure)) / wallMicros);
      const wait = waitShare(inference, inferencePid, startWait, linux);
      const figures = (foreign: number | null, total: number | null, reason: string | null): ForeignCpu => ({
        foreign_cpu_percent: foreign,
        total_cpu_percent: total,
        excluded,
        reason,
        inference_wait_percent: wait.percent,
        wait_reason: wait.reason,
        cpu_pressure_percent: pressure,
      });
      if (startAll === null)
        return figures(null, null, "per-process CPU time is read from /proc (Linux only)");
      const endAll = readStatTicks();
      if (endAll === null) return figures(null, null, "/proc/stat could not be read");
      const total = endAll.total - startAll.total;
      const busy = endAll.busy - startAll.busy;
      if (total < MIN_FOREIGN_WINDOW_TICKS)
        return figures(
          null,
          null,
          `the window spanned ${total} core-ticks, under ${MIN_FOREIGN_WINDOW_TICKS}: too short to judge`,
        );
      const totalPercent = clampPercent((100 * busy) / total);
      if (inference.kind === "unknown")
        return figures(null, totalPercent, `the inference process is unknown: ${inference.reason}`);
      const endOwn = readTreeTicks(roots);
      if (serverPid !== null && !endOwn.has(serverPid))
        return figures(null, totalPercent, `process ${serverPid} could not be read from /proc`);
      return figures(clampPercent((100 * (busy - treeDelta(startOwn, endOwn))) / total), totalPercent, null);
    },
  };
}

function waitShare(
  inference: InferenceProcess,
  pid: number | "self" | null,
  start: { run: number; wait: number } | null,
  linux: boolean,
): { percent: number | null; reason: string | null } {
  if (!linux) return { percent: null, reason: "run-queue wait is read from /proc (Linux only)" };
  if (pid === null)
    return {
      percent: null,
      reason: `the inference process is unknown: ${inference.kind === "unknown" ? inference.reason : ""}`,
    };
  const end = readSchedstat(pid);
  if (start === null || end === null)
    return { percent: null, reason: `/proc/${pid}/task/*/schedstat could not be read` };
  const run = end.run - start.run;
  const wait = end.wait - start.wait;
  if (run + wait < MIN_WAIT_WINDOW_NS)
    return {
      percent: null,
      reason: `the inference process ran ${Math.round((run + wait) / 1e6)} ms in the window, under ${MIN_WAIT_WINDOW_NS / 1e6}: too short to judge`,
    };
  return { percent: clampPercent((100 * wait) / (run + wait)), reason: null };
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, roundDecimal(value, 1)));
}
