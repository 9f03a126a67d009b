/**
 * An OpenAI-compatible wire server for load tests: every chat completion streams `tokens` content
 * chunks `gapMs` apart and ends with usage; `/metrics` counts the tokens it streamed (llama-server's
 * counter names), `/slots` lists `slots` slots. A request numbered in `failing` gets a 503.
 */
import { sse, startWireServer, type WireServer } from "./wire-server.js";

export async function startLoadServer(
  options: { tokens?: number; gapMs?: number; slots?: number; failing?: number[] } = {},
): Promise<WireServer> {
  const tokens = options.tokens ?? 5;
  const server = await startWireServer();
  let predicted = 0;
  let prompt = 0;
  const chunk = (content: string | null, finish: string | null = null, extra: object = {}) => ({
    id: "c",
    object: "chat.completion.chunk",
    created: 1741079561,
    model: "load",
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
    ...extra,
  });
  server.route("POST /v1/chat/completions", (_req, index) => {
    if (options.failing?.includes(index))
      return { status: 503, chunks: [{ data: '{"error":{"message":"busy"}}' }] };
    predicted += tokens;
    prompt += 20;
    return {
      headers: { "content-type": "text/event-stream" },
      chunks: sse(
        [
          ...Array.from({ length: tokens }, (_, i) => chunk(`t${i} `)),
          chunk(null, "stop", {
            usage: { prompt_tokens: 20, completion_tokens: tokens, total_tokens: 20 + tokens },
          }),
          "[DONE]",
        ],
        options.gapMs ?? 2,
      ),
    };
  });
  server.route("GET /metrics", () => ({
    chunks: [
      {
        data: `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n# TYPE llamacpp:prompt_tokens_total counter\nllamacpp:prompt_tokens_total ${prompt}\n# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n# TYPE llamacpp:tokens_predicted_total counter\nllamacpp:tokens_predicted_total ${predicted}\n# HELP llamacpp:requests_processing Number of requests processing.\n# TYPE llamacpp:requests_processing gauge\nllamacpp:requests_processing 0\n# HELP llamacpp:requests_deferred Number of requests deferred.\n# TYPE llamacpp:requests_deferred gauge\nllamacpp:requests_deferred 0\n`,
      },
    ],
  }));
  server.route("GET /slots", () => ({
    chunks: [{ data: JSON.stringify(Array.from({ length: options.slots ?? 2 }, (_, id) => ({ id }))) }],
  }));
  return server;
}
