import { describe, expect, it } from "vitest";
import { normalizeOutput, passAtK } from "./scoring.js";

describe("passAtK", () => {
  it("matches the closed form 1 - C(n-c,k)/C(n,k)", () => {
    const choose = (n: number, k: number): number =>
      k < 0 || k > n ? 0 : k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k;
    for (const [n, c, k] of [
      [10, 3, 1],
      [10, 3, 5],
      [20, 0, 3],
      [5, 5, 2],
      [7, 2, 7],
      [100, 13, 10],
    ] as const) {
      expect(passAtK(n, c, k)).toBeCloseTo(1 - choose(n - c, k) / choose(n, k), 12);
    }
  });
  it("is c/n at k=1, 1 when a miss is impossible, 0 with no passes", () => {
    expect(passAtK(8, 3, 1)).toBeCloseTo(3 / 8, 12);
    expect(passAtK(4, 2, 3)).toBe(1);
    expect(passAtK(4, 0, 4)).toBe(0);
  });
  it("rejects impossible arguments", () => {
    expect(() => passAtK(3, 4, 1)).toThrow(RangeError);
    expect(() => passAtK(3, 1, 4)).toThrow(/k <= n/);
    expect(() => passAtK(0, 0, 1)).toThrow(RangeError);
  });
});

describe("normalizeOutput", () => {
  it("masks timestamps, uuids, run folders and hashes so equal outputs hash equal", () => {
    const a =
      "run 20261120T231500-1a2b3c4d at 2026-11-20T23:15:00.123Z in /tmp/orket-bench-abc/workspace/x@y/output\r\nid 3f2504e0-4f89-11d3-9a0c-0305e82c3301  \n";
    const b =
      "run 20261121T010101-99ffee00 at 2026-11-21T01:01:01Z in /var/tmp/orket-bench-zz9/workspace/x@y/output\nid 6ba7b810-9dad-11d1-80b4-00c04fd430c8\n";
    expect(normalizeOutput(a)).toBe(normalizeOutput(b));
    expect(normalizeOutput("def f():\n    return 1\n")).toBe("def f():\n    return 1");
    expect(normalizeOutput("x = 1")).not.toBe(normalizeOutput("x = 2"));
  });
});
