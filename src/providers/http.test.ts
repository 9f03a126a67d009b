import { describe, expect, it } from "vitest";
import { readLines } from "./http.js";

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function lines(chunks: string[], max?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readLines(body(chunks), "http://x/api/chat", undefined, max)) out.push(line);
  return out;
}

describe("readLines", () => {
  it("splits lines across chunk boundaries, drops CR, and yields a last line without a newline", async () => {
    expect(await lines(['{"a":', '1}\r\n{"b"', ":2}\n\n", '{"c":3}'])).toEqual([
      '{"a":1}',
      '{"b":2}',
      "",
      '{"c":3}',
    ]);
    expect(await lines(["one\ntwo\nthree"])).toEqual(["one", "two", "three"]);
    expect(await lines([])).toEqual([]);
  });

  it("keeps a multi-byte character split between chunks whole", async () => {
    const bytes = new TextEncoder().encode("é\n");
    const split = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 1));
        controller.enqueue(bytes.slice(1));
        controller.close();
      },
    });
    const out: string[] = [];
    for await (const line of readLines(split, "http://x")) out.push(line);
    expect(out).toEqual(["é"]);
  });

  it("refuses a line over the limit, whether it comes in one chunk or many", async () => {
    const message = "a line of the stream is over 10 characters (the limit of one streamed chunk)";
    await expect(lines(["0123456789A\n"], 10)).rejects.toThrow(message);
    await expect(lines(["01234", "56789", "A"], 10)).rejects.toThrow(message);
    expect(await lines(["01234", "56789\n"], 10)).toEqual(["0123456789"]);
  });
});
