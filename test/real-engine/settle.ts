/**
 * The real-engine suite's validity rules judge the machine's load, so the suite starts on a quiet
 * machine: after `vitest run` of the unit suite, processes it started may still be winding down. Waits
 * (at most 90 s) until CPU pressure (Linux PSI `some avg10`, else the 1-minute load per core) has been
 * low for 5 s in a row, and says how long it waited.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";

function busy(): number {
  try {
    const some = /some avg10=([\d.]+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    if (some) return Number(some[1]) / 100;
  } catch {}
  return (loadavg()[0] ?? 0) / availableParallelism();
}

export default async function settle(): Promise<void> {
  const started = Date.now();
  let calm = 0;
  while (calm < 5 && Date.now() - started < 90_000) {
    calm = busy() < 0.15 ? calm + 1 : 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const waited = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    `real-engine suite: machine settled after ${waited} s (CPU pressure ${(busy() * 100).toFixed(1)} %)`,
  );
}
