import { describe, expect, it } from "vitest";
import { canonicalJson } from "../core/shared/canonical-json.js";
import { fingerprint, normalizeValue } from "./fingerprint.js";

// Expected digests computed independently (Python hashlib over the canonical bytes), so a change to the
// canonical form or the hash shows up here, not as silently different traces.
describe("fingerprints (memory.canonicalization.json.v1)", () => {
  it("are sha256 hex of the canonical bytes", () => {
    expect(fingerprint({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      "1944cc7baf6812244c8869c7f1ea236398c21a591d745d9b6052d27d11926ab3",
    );
    expect(fingerprint({ ratio: 1 / 3, path: "cafe\u0301.py" })).toBe(
      "8800e2ca0e074331fd5e00e69b9688bc1111eef0ef3e33f6c6877ba487d75b1b",
    );
  });

  it("do not depend on key order, Unicode composition or float noise", () => {
    expect(fingerprint({ x: 0.1 + 0.2, "caf\u00e9": 1 })).toBe(fingerprint({ "cafe\u0301": 1, x: 0.3 }));
  });

  it("tell a missing key from a null one, and keep array order", () => {
    expect(fingerprint({ a: null })).not.toBe(fingerprint({}));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
  });

  it("normalizeValue reads the canonical form back: sorted keys, NFC, 6 decimals", () => {
    expect(canonicalJson(normalizeValue({ b: 2.0000004, a: "e\u0301" }))).toBe('{"a":"é","b":2}');
    expect(Object.keys(normalizeValue({ b: 1, a: 2 }) as object)).toEqual(["a", "b"]);
    expect(normalizeValue(undefined)).toBeNull();
  });
});
