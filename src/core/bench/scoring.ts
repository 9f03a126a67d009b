/**
 * Scoring rules: pass@k by the unbiased estimator of Chen et al. (2021), and the normalization applied
 * to outputs before their determinism hash (run folders, timestamps and ids masked, line endings unified).
 */

/**
 * pass@k = 1 − C(n−c, k) / C(n, k) for n samples of which c passed, computed as a running product so it
 * stays exact for large n. k must be between 1 and n.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (
    !Number.isInteger(n) ||
    !Number.isInteger(c) ||
    !Number.isInteger(k) ||
    n < 1 ||
    c < 0 ||
    c > n ||
    k < 1 ||
    k > n
  ) {
    throw new RangeError(`pass@k needs integers 1 <= k <= n and 0 <= c <= n (n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  let missAll = 1;
  for (let i = n - c + 1; i <= n; i++) missAll *= 1 - k / i;
  return 1 - missAll;
}

const MASKS: Array<[RegExp, string]> = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\b/g, "<timestamp>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  [/(\/[\w.-]+)*\/(orket-[\w-]+|runs\/[\w-]+|workspace\/[\w.@-]+)(\/[\w.-]+)*/g, "<path>"],
  [/\b\d{8}T\d{6}-[0-9a-f]{8}\b/g, "<run-id>"],
  [/\b[0-9a-f]{32,64}\b/g, "<hash>"],
];

/** The text a determinism hash is taken over: same meaning, same text. */
export function normalizeOutput(text: string): string {
  let out = text.replace(/\r\n?/g, "\n");
  for (const [pattern, mask] of MASKS) out = out.replace(pattern, mask);
  return out
    .split("\n")
    .map((line) => line.replace(/\s+$/, ""))
    .join("\n")
    .trim();
}
