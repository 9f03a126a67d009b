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
  it("gives exact values for small n, c, k", () => {
    expect(passAtK(10, 3, 5)).toBeCloseTo(11 / 12, 12);
    expect(passAtK(5, 1, 2)).toBeCloseTo(2 / 5, 12);
    expect(passAtK(1, 1, 1)).toBe(1);
    expect(passAtK(1, 0, 1)).toBe(0);
  });
  it("throws a RangeError naming the arguments for each one out of range or not an integer", () => {
    const bad: Array<[number, number, number]> = [
      [2.5, 1, 1],
      [3, 0.5, 1],
      [3, 1, 1.5],
      [Number.NaN, 0, 1],
      [3, -1, 1],
      [3, 1, 0],
      [3, 1, -2],
      [3, 4, 1],
      [3, 1, 4],
      [0, 0, 1],
    ];
    for (const [n, c, k] of bad) {
      expect(() => passAtK(n, c, k), `n=${n}, c=${c}, k=${k}`).toThrow(RangeError);
      expect(() => passAtK(n, c, k), `n=${n}, c=${c}, k=${k}`).toThrow(
        new RangeError(`pass@k needs integers 1 <= k <= n and 0 <= c <= n (n=${n}, c=${c}, k=${k})`),
      );
    }
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
  it("unifies CRLF and lone CR line endings and strips all trailing blanks from every line", () => {
    expect(normalizeOutput("a\rb\r\nc")).toBe("a\nb\nc");
    expect(normalizeOutput("x = 1   \ny = 2\t \nz")).toBe("x = 1\ny = 2\nz");
  });
  it("masks timestamps with or without a fraction or a zone, in either offset form", () => {
    for (const stamp of [
      "2026-11-20 23:15:00",
      "2026-11-20T23:15:00+05:30",
      "2026-11-20T23:15:00-0800",
      "2026-11-20T23:15:00.5Z",
    ])
      expect(normalizeOutput(`at ${stamp} done`), stamp).toBe("at <timestamp> done");
  });
  it("masks uuids of either case, run ids and long hex hashes by name", () => {
    expect(normalizeOutput("id 3F2504E0-4F89-11D3-9A0C-0305E82C3301 ok")).toBe("id <uuid> ok");
    expect(normalizeOutput("run 20261120T231500-1a2b3c4d ok")).toBe("run <run-id> ok");
    expect(normalizeOutput("commit 3f786850e387550fdab836ed7e6dc881de23001b ok")).toBe("commit <hash> ok");
  });
  it("masks a whole run, bench or workspace path, down to its last segment", () => {
    expect(normalizeOutput("cd /tmp/orket-bench-abc")).toBe("cd <path>");
    expect(normalizeOutput("wrote /tmp/orket-bench-abc/output.txt now")).toBe("wrote <path> now");
    expect(normalizeOutput("read /data/runs/20261120-abc/trace.json now")).toBe("read <path> now");
    expect(normalizeOutput("open /home/u/workspace/pkg@1.2.3/src/main.py now")).toBe("open <path> now");
  });
});
