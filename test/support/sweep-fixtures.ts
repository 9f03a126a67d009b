/**
 * Inputs for sweep tests: tiny GGUF models of chosen sizes (real, loadable files), and scripted cassettes
 * whose answers are right or wrong on purpose, optionally with a cold model load on a given call.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { buildTinyModel } from "../../src/providers/gguf/tiny-model.js";
import type { Task } from "../../src/spec/bank.js";
import { writeScript } from "./script-cassette.js";

/**
 * Writes the tiny random-weight model with `paddingKiB` more bytes: a string metadata entry of that size
 * goes in right after the header, sized to a multiple of the 32-byte alignment so every offset after it
 * stays aligned. The file stays a valid GGUF that llama.cpp loads like the plain one.
 */
export function writeTinyGguf(path: string, options: { seed?: number; paddingKiB?: number } = {}): number {
  const { data } = buildTinyModel({ seed: options.seed ?? 1 });
  const padding = options.paddingKiB ?? 0;
  if (padding === 0) {
    writeFileSync(path, data);
    return data.byteLength;
  }
  const key = new TextEncoder().encode("orket.test_padding");
  const fixed = 8 + key.length + 4 + 8;
  const valueLength = Math.ceil((fixed + padding * 1024) / 32) * 32 - fixed;
  const entry = Buffer.alloc(fixed + valueLength, 0x20);
  let at = entry.writeBigUInt64LE(BigInt(key.length), 0);
  entry.set(key, at);
  at += key.length;
  at = entry.writeUInt32LE(8, at); // GGUF string type
  entry.writeBigUInt64LE(BigInt(valueLength), at);
  const source = Buffer.from(data);
  const header = Buffer.from(source.subarray(0, 24));
  header.writeBigUInt64LE(header.readBigUInt64LE(16) + 1n, 16);
  const file = Buffer.concat([header, entry, source.subarray(24)]);
  writeFileSync(path, file);
  return file.byteLength;
}

export const fence = (task: Task, code: string) => `Here you go:\n\`\`\`${task.language}\n${code}\n\`\`\`\n`;

/** A cassette of answers, in order; the calls listed in `cold` report a 2 s model load (COLD_MODEL_LOAD). */
export function writeAnswers(path: string, answers: string[], cold: number[] = []): string {
  writeScript(path, answers);
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  const patched = lines.map((line, i) => {
    if (i === 0 || !cold.includes(i - 1)) return line;
    const call = JSON.parse(line);
    for (const { part } of call.parts) if (part.type === "finish") part.timings.loadSeconds = 2;
    return JSON.stringify(call);
  });
  writeFileSync(path, `${patched.join("\n")}\n`);
  return path;
}
