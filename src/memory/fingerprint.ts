/**
 * Fingerprints for memory and traces: sha256 (hex) of a value's canonical JSON
 * (`memory.canonicalization.json.v1`), so two values that mean the same thing have the same print.
 */
import { createHash } from "node:crypto";
import { CANONICALIZATION_VERSION, canonicalJson } from "../core/shared/canonical-json.js";

export { CANONICALIZATION_VERSION };

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function fingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** The value as canonical JSON reads it back: keys sorted, strings NFC, floats to 6 decimals. */
export function normalizeValue(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(canonicalJson(value));
}
