/**
 * An instant model for orchestration benchmarks: it answers each turn correctly and at once, by reading
 * the seat and the issue from the compiled prompt. What remains of a turn's time is Orket's own work:
 * prompt compilation, parsing, the tool gate, SQLite, artifacts and the event log.
 */
import type { FinishPart, ModelAdapter, ModelRequest, StreamPart } from "../../src/spec/model.js";

const call = (tool: string, args: Record<string, unknown>) =>
  `\`\`\`json\n${JSON.stringify({ tool, args })}\n\`\`\``;

export function answerFor(request: ModelRequest): string {
  const system = request.messages[0]?.content ?? "";
  const user = request.messages[1]?.content ?? "";
  const seat = /You are the (\S+) seat/.exec(system)?.[1] ?? "";
  const files = /Required files: (.+)/.exec(user)?.[1]?.split(", ") ?? [];
  if (seat === "reviewer") {
    return `${call("add_issue_comment", { body: "meets the requirements" })}\n${call("update_issue_status", { status: "awaiting_guard_review" })}`;
  }
  if (seat === "integrity_guard") return call("update_issue_status", { status: "done" });
  const writes = files.map((path) =>
    call("write_file", { path, content: `# ${path}\ndef f(x: int) -> int:\n    return x + 1\n` }),
  );
  return [...writes, call("update_issue_status", { status: "code_review" })].join("\n");
}

export function createInstantModel(): ModelAdapter & { calls: number } {
  const model = {
    ref: "bench/instant",
    provider: "replay" as const,
    modelId: "instant",
    calls: 0,
    capabilities: { trueStreaming: true, inferenceProcess: { kind: "self" as const } },
    async *stream(request: ModelRequest): AsyncGenerator<StreamPart> {
      model.calls++;
      yield { type: "text-delta", text: answerFor(request) };
      yield finish;
    },
    async generate(request: ModelRequest) {
      model.calls++;
      return {
        text: answerFor(request),
        finishReason: finish.finishReason,
        usage: finish.usage,
        timings: finish.timings,
      };
    },
  };
  return model;
}

const finish: FinishPart = {
  type: "finish",
  finishReason: { unified: "stop", raw: "stop" },
  usage: { promptTokens: 500, outputTokens: 60 },
  timings: { source: "llama.cpp", loadSeconds: undefined, prefillSeconds: 0.001, decodeSeconds: 0.001 },
};

/** An epic of `n` independent coder issues, each with one required file. */
export function wideEpic(n: number) {
  return {
    id: `bench-${n}`,
    title: `${n} independent issues`,
    team: "standard",
    environment: "default",
    issues: Array.from({ length: n }, (_, i) => ({
      id: `issue-${String(i + 1).padStart(3, "0")}`,
      seat: "coder",
      summary: `Write module ${i + 1}`,
      requirements: "A function f(x) that returns x + 1.",
      required_files: [`mod_${i + 1}.py`],
    })),
  };
}
