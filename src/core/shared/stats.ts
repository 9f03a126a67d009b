/** Mean and median over measurements that may be unknown: `null` and non-finite values are left out, and no known value gives `null`. */
import { round3 } from "./rounding.js";

export function mean(values: ReadonlyArray<number | null>): number | null {
  const k = known(values);
  return k.length ? round3(k.reduce((a, b) => a + b, 0) / k.length) : null;
}

export function median(values: ReadonlyArray<number | null>): number | null {
  const k = known(values).sort((a, b) => a - b);
  if (k.length === 0) return null;
  const mid = Math.floor(k.length / 2);
  return round3(k.length % 2 ? (k[mid] ?? 0) : ((k[mid - 1] ?? 0) + (k[mid] ?? 0)) / 2);
}

export function known(values: ReadonlyArray<number | null>): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}
