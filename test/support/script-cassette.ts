/**
 * Hand-written cassettes for deterministic runs: each entry is one model answer (or a failure), played
 * in order whatever the request (`match: sequence`). The text is what a model would write; Orket parses
 * its tool calls like any other answer.
 */
import { writeFileSync } from "node:fs";

export type ScriptEntry =
  | string
  /** An answer that starts only after `delayMs` (with recorded pacing). */
  | { text: string; delayMs: number }
  | { error: { code: string; message: string; isRetryable?: boolean } };

export function writeScript(
  path: string,
  entries: ScriptEntry[],
  options: { trueStreaming?: boolean } = {},
): string {
  const header = {
    type: "header",
    cassette_version: 1,
    recorded_at: "2026-11-20T00:00:00.000Z",
    model_ref: "script/test",
    true_streaming: options.trueStreaming ?? true,
    match: "sequence",
  };
  const lines = [JSON.stringify(header)];
  entries.forEach((entry, index) => {
    if (typeof entry !== "string" && "error" in entry) {
      lines.push(
        JSON.stringify({
          type: "call",
          index,
          mode: "stream",
          parts: [],
          thrown: { isRetryable: false, ...entry.error },
          duration_ms: 1,
        }),
      );
      return;
    }
    const text = typeof entry === "string" ? entry : entry.text;
    const delay = typeof entry === "string" ? 0 : entry.delayMs;
    const half = Math.ceil(text.length / 2);
    const parts = [
      { at_ms: delay + 1, part: { type: "text-delta", text: text.slice(0, half) } },
      { at_ms: delay + 2, part: { type: "text-delta", text: text.slice(half) } },
      {
        at_ms: delay + 3,
        part: {
          type: "finish",
          finishReason: { unified: "stop", raw: "stop" },
          usage: { promptTokens: 100, outputTokens: Math.max(1, Math.round(text.length / 4)) },
          timings: { source: "llama.cpp", prefillSeconds: 0.01, decodeSeconds: 0.02 },
        },
      },
    ];
    lines.push(JSON.stringify({ type: "call", index, mode: "stream", parts, duration_ms: delay + 3 }));
  });
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** A fenced JSON tool call, as the json_fenced dialect asks for. */
export function call(tool: string, args: Record<string, unknown>): string {
  return `\`\`\`json\n${JSON.stringify({ tool, args })}\n\`\`\``;
}

export function answer(...parts: string[]): string {
  return parts.join("\n\n");
}
