/**
 * `replay/<cassette.jsonl>`: plays recorded calls back. Requests are matched by their canonical key
 * (messages and settings); the same request asked twice gets its recordings in order. With pacing
 * `recorded` each part arrives at its recorded offset, so client timings measured on a replay resemble
 * the original; `instant` plays everything at once for tests. Engine timings are replayed as recorded.
 */
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { CassetteMissError, ModelCallError, ModelLoadError } from "../spec/errors.js";
import type {
  FinishReason,
  GenerateResult,
  ModelAdapter,
  ModelRequest,
  ServerTimings,
  StreamPart,
  ToolCallPart,
  UnifiedFinishReason,
} from "../spec/model.js";
import {
  type CassetteCall,
  CassetteCallSchema,
  type CassetteHeader,
  CassetteHeaderSchema,
  type RecordedError,
  type RecordedPart,
  requestKey,
} from "./cassette.js";

export interface ReplaySettings {
  path: string;
  /** `recorded` (default) waits for each part's recorded offset; `instant` does not wait. */
  pacing?: "recorded" | "instant";
}

interface Cassette {
  header: CassetteHeader;
  byKey: Map<string, CassetteCall[]>;
  /** Every call in file order, for `sequence` matching. */
  sequence: CassetteCall[];
}

export function createReplayAdapter(settings: ReplaySettings): ModelAdapter {
  let cassette: Cassette | undefined;
  const load = () => {
    cassette ??= readCassette(settings.path);
    return cassette;
  };
  const header = peekHeader(settings.path);
  const pacing = settings.pacing ?? "recorded";
  let played = 0;

  const take = (request: ModelRequest): CassetteCall => {
    const { byKey, sequence, header } = load();
    if (header.match === "cycle") {
      const next = sequence[played++ % sequence.length];
      if (!next) throw new CassetteMissError(`cassette ${settings.path}: it has no calls to play`);
      return next;
    }
    if (header.match === "sequence") {
      const next = sequence.shift();
      if (!next)
        throw new CassetteMissError(`cassette ${settings.path}: all its scripted calls were already played`);
      return next;
    }
    const key = requestKey(request);
    const queue = byKey.get(key);
    const call = queue?.shift();
    if (!call) {
      const used = queue ? " (all its recordings were already played)" : "";
      throw new CassetteMissError(
        `cassette ${settings.path} has no recording for this request${used}; key ${key.slice(0, 12)}, last message: ${JSON.stringify(request.messages.at(-1)?.content.slice(0, 60) ?? "")}`,
      );
    }
    return call;
  };

  async function* play(request: ModelRequest): AsyncGenerator<StreamPart> {
    if (request.signal?.aborted) throw new AbortedReplay();
    const call = take(request);
    const start = performance.now();
    for (const { at_ms, part } of call.parts) {
      if (pacing === "recorded") await waitUntil(start + at_ms, request.signal);
      if (request.signal?.aborted) {
        yield { type: "error", error: new AbortedReplay() };
        return;
      }
      yield fromRecordedPart(part);
    }
    if (call.thrown) {
      if (pacing === "recorded") await waitUntil(start + call.duration_ms, request.signal);
      const error = fromRecordedError(call.thrown);
      if (call.parts.length === 0) throw error;
      yield { type: "error", error };
    }
  }

  return {
    ref: `replay/${settings.path}`,
    provider: "replay",
    modelId: settings.path,
    capabilities: {
      trueStreaming: header.true_streaming,
      inferenceProcess: {
        kind: "unknown",
        reason: `replayed from cassette ${settings.path}: no inference ran`,
      },
    },
    stream: play,
    async generate(request) {
      let text = "";
      const toolCalls: ToolCallPart[] = [];
      for await (const part of play(request)) {
        if (part.type === "text-delta") text += part.text;
        else if (part.type === "tool-call") toolCalls.push(part);
        else if (part.type === "error") throw part.error;
        else return { ...resultFrom(text, part), ...(toolCalls.length ? { toolCalls } : {}) };
      }
      throw new CassetteMissError(`cassette ${settings.path}: a recording ends without a finish part`);
    },
  };
}

class AbortedReplay extends ModelCallError {
  constructor() {
    super("ABORTED", "the call was aborted");
  }
}

function resultFrom(text: string, part: Extract<StreamPart, { type: "finish" }>): GenerateResult {
  return {
    text,
    finishReason: part.finishReason,
    usage: part.usage,
    timings: part.timings,
    responseModel: part.responseModel,
  };
}

function peekHeader(path: string): CassetteHeader {
  const text = readCassetteText(path);
  const first = text.split("\n", 1)[0] ?? "";
  return parseLine(path, 1, first, CassetteHeaderSchema, "a header");
}

function readCassette(path: string): Cassette {
  const lines = readCassetteText(path).split("\n");
  const header = parseLine(path, 1, lines[0] ?? "", CassetteHeaderSchema, "a header");
  const byKey = new Map<string, CassetteCall[]>();
  const sequence: CassetteCall[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === "") return;
    const call = parseLine(path, i + 2, line, CassetteCallSchema, "a recorded call");
    sequence.push(call);
    if (header.match !== "request") return;
    if (!call.request_key)
      throw new ModelLoadError(
        path,
        `line ${i + 2}: request_key is required unless the header says match: sequence`,
      );
    const queue = byKey.get(call.request_key) ?? [];
    queue.push(call);
    byKey.set(call.request_key, queue);
  });
  return { header, byKey, sequence };
}

function readCassetteText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelLoadError(
      path,
      code === "ENOENT" ? "no such cassette file" : `unreadable (${code})`,
      error,
    );
  }
}

function parseLine<T>(path: string, lineNo: number, line: string, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ModelLoadError(path, `line ${lineNo} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".") || "(root)";
    throw new ModelLoadError(path, `line ${lineNo} is not ${what}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

function fromRecordedPart(part: RecordedPart): StreamPart {
  switch (part.type) {
    case "text-delta":
      return { type: "text-delta", text: part.text };
    case "tool-call":
      return {
        type: "tool-call",
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        arguments: part.arguments,
      };
    case "error":
      return { type: "error", error: fromRecordedError(part.error) };
    case "finish": {
      const finishReason: FinishReason = {
        unified: part.finishReason.unified as UnifiedFinishReason,
        raw: part.finishReason.raw,
      };
      const timings: ServerTimings | undefined = part.timings
        ? {
            source: part.timings.source,
            loadSeconds: part.timings.loadSeconds,
            prefillSeconds: part.timings.prefillSeconds,
            decodeSeconds: part.timings.decodeSeconds,
            raw: part.timings.raw,
          }
        : undefined;
      return {
        type: "finish",
        finishReason,
        usage: {
          promptTokens: part.usage.promptTokens,
          outputTokens: part.usage.outputTokens,
          cachedPromptTokens: part.usage.cachedPromptTokens,
        },
        timings,
        responseModel: part.responseModel,
      };
    }
  }
}

function fromRecordedError(error: RecordedError): ModelCallError {
  return new ModelCallError(error.code, error.message, {
    isRetryable: error.isRetryable,
    statusCode: error.statusCode,
    url: error.url,
  });
}

function waitUntil(deadline: number, signal?: AbortSignal): Promise<void> {
  const ms = deadline - performance.now();
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
