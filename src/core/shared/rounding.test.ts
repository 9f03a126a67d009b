import { describe, expect, it } from "vitest";
import { round3, roundDecimal } from "./rounding.js";

describe("round3", () => {
  it("rounds half up on the decimal representation", () => {
    expect(round3(1.0005)).toBe(1.001);
    expect(round3(2.0015)).toBe(2.002);
    expect(round3(0.0004)).toBe(0);
    expect(round3(0.1234)).toBe(0.123);
    expect(round3(12.3456)).toBe(12.346);
  });
  it("rounds negative halves away from zero and never yields -0", () => {
    expect(round3(-1.0005)).toBe(-1.001);
    expect(Object.is(round3(-0.0001), 0)).toBe(true);
  });
  it("keeps null as null and rejects non-finite values", () => {
    expect(round3(null)).toBeNull();
    expect(round3(undefined)).toBeNull();
    expect(() => round3(Number.NaN)).toThrow(RangeError);
  });
  it("handles numbers printed in exponent form", () => {
    expect(round3(1e-7)).toBe(0);
    expect(round3(1.5e21)).toBe(1.5e21);
    expect(roundDecimal(0.0000005, 6)).toBe(0.000001);
  });
});
