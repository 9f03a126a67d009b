/**
 * Canonical JSON (`memory.canonicalization.json.v1`): sorted keys, minified, strings in Unicode NFC,
 * floats to 6 decimals, a missing key distinct from null. Two values that mean the same thing serialize
 * to the same bytes, so their fingerprints match.
 */
import { roundDecimal } from "./rounding.js";

export const CANONICALIZATION_VERSION = "memory.canonicalization.json.v1";

export function canonicalJson(value: unknown): string {
  return serialize(value, "$");
}

function serialize(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.normalize("NFC"));
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is not a finite number`);
      return JSON.stringify(Number.isInteger(value) ? value : roundDecimal(value, 6));
    case "object": {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value))
        return `[${value.map((item, i) => serialize(item, `${path}[${i}]`)).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => [key.normalize("NFC"), item] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${serialize(item, `${path}.${key}`)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`canonical JSON: ${path} has unsupported type ${typeof value}`);
  }
}
