/**
 * The hardware sidecar: samples the GPU (or, without one, the CPU) in the background while a run's
 * window is open, and folds every poll into the `sidecar.parse.v1` summary.
 *
 * The polls run in a small helper process (`sidecar-relay.ts`), so that starting the tool ten times a
 * second costs the inference process one batch of lines a second instead of a fork of its whole
 * address space per poll. Until the backend has settled which field names the driver accepts, the
 * window's first poll runs here (at once) to settle them; call `sampleOnce()` before opening windows
 * (the VRAM preflight does) and each window costs one process start here, the helper's.
 * Without a helper (`relay: false`, the CPU backend, a backend without a command, or a helper that
 * died) the polls run here on a timer. Either way polls never overlap: a tick that finds one running is
 * skipped and counted, and a poll that fails is an error entry in the summary, never an exception.
 */

import { createSidecarAccumulator } from "../core/bench/sidecar-summary.js";
import { round3 } from "../core/shared/rounding.js";
import type { SidecarPoll, SidecarSummary, SidecarTimings } from "../spec/sidecar.js";
import {
  type BackendOptions,
  detectGpuBackend,
  failedReading,
  type GpuBackend,
  type SidecarReading,
} from "./sidecar-backends.js";
import { type Relay, startRelay } from "./sidecar-relay.js";

export type {
  BackendOptions,
  ExecFileFn,
  ExecResult,
  GpuBackend,
  SidecarReading,
  ToolCommand,
} from "./sidecar-backends.js";
export { detectGpuBackend, execFileNoShell, findOnPath, temperatureProbe } from "./sidecar-backends.js";

export interface SidecarOptions extends BackendOptions {
  /** Milliseconds between polls (10 Hz by default). */
  intervalMs?: number;
  /** A backend already detected (or a fake); detected from `env` otherwise. */
  backend?: GpuBackend;
  /** Which GPU the summary describes. */
  gpuIndex?: number;
  /** Poll from a helper process (default) rather than from this one. */
  relay?: boolean;
  /**
   * How often the helper hands over its polls (1000 ms by default): this process wakes once per batch,
   * and `onPoll` sees the helper's polls that much later. `stop` always collects them all.
   */
  relayFlushMs?: number;
  /** Called with every completed poll (a live view, a test waiting for N polls). */
  onPoll?: (poll: SidecarPoll) => void;
  /** Milliseconds, monotonic, for the polls run here. */
  now?: () => number;
  /**
   * How long `stop` waits for a poll still running here; past it the poll is recorded as `poll:stuck`
   * and its late result is dropped. Defaults to the tool's timeout plus half a second.
   */
  stopWaitMs?: number;
}

export interface Sidecar {
  readonly backend: GpuBackend;
  /** Stops polling, takes one last poll so the end temperature is the window's end, and summarizes. */
  stop(timings?: SidecarTimings): Promise<SidecarSummary>;
}

/** Opens a sampling window: the first poll starts now, then one every `intervalMs` until `stop`. */
export function startSidecar(options: SidecarOptions = {}): Sidecar {
  const intervalMs = options.intervalMs ?? 100;
  const timeoutMs = options.timeoutMs ?? 2000;
  const stopWaitMs = options.stopWaitMs ?? timeoutMs + 500;
  const gpu = options.backend ?? detectGpuBackend(options);
  const now = options.now ?? (() => performance.now());
  const accumulator = createSidecarAccumulator({
    backend: gpu.backend,
    intervalMs,
    gpuIndex: options.gpuIndex ?? 0,
    backendReason: gpu.reason,
  });
  const start = now();
  // The helper stamps its runs in epoch milliseconds (timeOrigin + now), comparable across processes.
  const startEpoch = performance.timeOrigin + performance.now();
  let inFlight: Promise<void> | null = null;
  let skippedHere = 0;
  let skippedByHelper = 0;
  let timer: NodeJS.Timeout | null = null;
  let relay: Relay | null = null;
  let stopped = false;
  let closed = false;

  const record = (elapsedMs: number, durationMs: number, reading: SidecarReading) => {
    if (closed) return;
    const poll: SidecarPoll = {
      elapsed_ms: round3(Math.max(0, elapsedMs)),
      duration_ms: round3(Math.max(0, durationMs)),
      ...reading,
    };
    accumulator.add(poll);
    try {
      options.onPoll?.(poll);
    } catch {
      // A listener's failure must not stop the sampling.
    }
  };

  const pollHere = (): Promise<void> => {
    const began = now();
    const done = gpu
      .sampleOnce()
      .catch((): SidecarReading => failedReading("poll:internal"))
      .then((reading) => record(began - start, now() - began, reading))
      .finally(() => {
        inFlight = null;
      });
    inFlight = done;
    return done;
  };

  const pollOnTimer = () => {
    if (stopped || timer !== null) return;
    timer = setInterval(() => {
      if (inFlight !== null) skippedHere++;
      else pollHere();
    }, intervalMs);
    timer.unref();
  };

  const startHelper = () => {
    const { command, interpret } = gpu;
    if (stopped) return;
    if (options.relay === false || command === undefined || interpret === undefined) return pollOnTimer();
    relay = startRelay({
      file: command.file,
      args: command.args,
      intervalMs,
      timeoutMs,
      flushMs: options.relayFlushMs ?? 1000,
      env: command.env,
      onRun: (run) => {
        skippedByHelper = Math.max(skippedByHelper, run.skipped);
        record(run.began - startEpoch, run.duration, interpret(run.result));
      },
      onLost: (reason) => {
        record(now() - start, 0, failedReading(reason));
        relay = null;
        pollOnTimer();
      },
    });
  };

  // A settled backend's helper can take even the first poll: one process start here instead of two,
  // which matters in a large process (each start forks it). Otherwise the first poll here settles the
  // field names while giving the window its opening sample.
  if (gpu.settled === true && options.relay !== false && gpu.command !== undefined) startHelper();
  else pollHere().then(startHelper);

  let stopping: Promise<SidecarSummary> | null = null;
  return {
    backend: gpu,
    stop(timings) {
      stopping ??= (async () => {
        stopped = true;
        if (timer !== null) clearInterval(timer);
        const summary = () =>
          accumulator.summary({
            pollsSkipped: skippedHere + skippedByHelper,
            ...(timings ? { timings } : {}),
          });
        if (inFlight !== null && !(await settlesWithin(inFlight, stopWaitMs))) {
          record(now() - start, 0, failedReading("poll:stuck"));
          closed = true;
          return summary();
        }
        // The helper takes the last poll itself before it exits.
        const helper: Relay | null = relay;
        if (helper !== null) await helper.stop(stopWaitMs + timeoutMs);
        else await pollHere();
        closed = true;
        return summary();
      })();
      return stopping;
    },
  };
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
