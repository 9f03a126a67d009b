/**
 * The stream line reader on long lines: a body of one N-MiB line in 64 KiB chunks, for N doubling up to
 * the 16 MiB limit, read by `readLines` (the Ollama NDJSON path). The time per MiB must stay flat (a
 * reader that rescans its buffer on every chunk grows with N: 61 s for a 100 MB line). Also the time to
 * refuse a line past the limit.
 */
import { readLines } from "../src/providers/http.js";

const CHUNK = 64 * 1024;

function body(lineMiB: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(CHUNK).fill(0x78);
  let left = lineMiB * 16;
  return new ReadableStream({
    pull(controller) {
      if (left-- > 0) controller.enqueue(chunk);
      else {
        controller.enqueue(new TextEncoder().encode("\n"));
        controller.close();
      }
    },
  });
}

async function time(lineMiB: number): Promise<{ ms: number; outcome: string }> {
  const started = performance.now();
  let outcome = "read";
  try {
    for await (const line of readLines(body(lineMiB), "bench://line"))
      if (line.length === 0) outcome = "empty";
  } catch (error) {
    outcome = error instanceof Error ? error.message.replace(/^malformed response: /, "") : String(error);
  }
  return { ms: performance.now() - started, outcome };
}

await time(1);
console.log("line MiB   ms     ms/MiB  outcome");
for (const size of [1, 2, 4, 8, 15, 32]) {
  const runs = [await time(size), await time(size), await time(size)].sort((a, b) => a.ms - b.ms);
  const median = runs[1] ?? runs[0];
  if (!median) continue;
  console.log(
    `${String(size).padStart(8)} ${median.ms.toFixed(1).padStart(6)} ${(median.ms / size).toFixed(2).padStart(8)}  ${median.outcome}`,
  );
}
