import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and minifies", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
  it("normalizes strings to NFC and floats to 6 decimals", () => {
    expect(canonicalJson("e\u0301")).toBe(canonicalJson("\u00e9"));
    expect(canonicalJson(0.1 + 0.2)).toBe("0.3");
    expect(canonicalJson(1.0000005)).toBe("1.000001");
  });
  it("keeps a missing key distinct from a null one", () => {
    expect(canonicalJson({ a: undefined })).toBe("{}");
    expect(canonicalJson({ a: null })).toBe('{"a":null}');
  });
  it("writes dates as UTC Z and refuses non-finite numbers", () => {
    expect(canonicalJson(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('"2026-01-02T03:04:05.000Z"');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/\$\.x/);
  });
});
