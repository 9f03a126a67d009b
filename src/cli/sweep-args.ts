/**
 * The list arguments of `orket sweep`: quantization tags, context sizes and explicit `quant=ref` pairs.
 * Each parser throws `CliUsageError` with a message that names the flag, so the CLI can print it
 * as the one line of a usage error.
 */
import type { QuantModel } from "../index.js";
import { CliUsageError } from "./errors.js";

/** Letters, digits, `_`, `.` and `-`: q4_K_M, IQ4_XS, f16, bf16, 8.0bpw. */
const QUANT_TAG = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `q8_0,q6_K,q4_K_M` → the tags in the order given; empty items, odd characters and repeats are errors. */
export function parseQuantList(text: string, flag = "--quants"): string[] {
  const items = splitList(text, flag);
  for (const item of items) {
    if (!QUANT_TAG.test(item))
      throw new CliUsageError(
        `${flag}: "${item}" is not a quantization tag (letters, digits, _ . - such as q4_K_M)`,
      );
  }
  noRepeats(
    items.map((i) => i.toLowerCase()),
    flag,
  );
  return items;
}

/** `2048,4096,8192` → sizes in tokens, each a whole number from 16 to 1048576, no repeats. */
export function parseContextList(text: string, flag = "--contexts"): number[] {
  const items = splitList(text, flag);
  const sizes = items.map((item) => {
    const n = Number(item);
    if (!/^\d+$/.test(item) || !Number.isSafeInteger(n) || n < 16 || n > 1_048_576)
      throw new CliUsageError(`${flag}: "${item}" is not a context size (a whole number from 16 to 1048576)`);
    return n;
  });
  noRepeats(sizes.map(String), flag);
  return sizes;
}

/** `q8_0=ollama/x:q8,q4=gguf/./a.gguf` → pairs in the order given. The reference itself is checked later. */
export function parseModelList(text: string, flag = "--models"): QuantModel[] {
  const pairs = splitList(text, flag).map((item) => {
    const eq = item.indexOf("=");
    const quant = eq > 0 ? item.slice(0, eq).trim() : "";
    const ref = eq > 0 ? item.slice(eq + 1).trim() : "";
    if (quant === "" || ref === "")
      throw new CliUsageError(`${flag}: "${item}" is not quant=provider/model (e.g. q4_K_M=ollama/x:q4)`);
    if (!QUANT_TAG.test(quant))
      throw new CliUsageError(`${flag}: "${quant}" is not a quantization tag (letters, digits, _ . -)`);
    return { quant, ref };
  });
  noRepeats(
    pairs.map((p) => p.quant.toLowerCase()),
    flag,
  );
  return pairs;
}

function splitList(text: string, flag: string): string[] {
  const items = text.split(",").map((item) => item.trim());
  if (text.trim() === "") throw new CliUsageError(`${flag} is empty; give a comma-separated list`);
  if (items.some((item) => item === ""))
    throw new CliUsageError(`${flag}: empty item in "${text}" (two commas, or one at an end)`);
  return items;
}

function noRepeats(keys: readonly string[], flag: string): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw new CliUsageError(`${flag}: "${key}" is listed twice`);
    seen.add(key);
  }
}
