import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";
import { refusedUrl, startWireServer, type WireServer } from "./support/wire-server.js";

describe("orket models", () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startWireServer();
    server.route("GET /api/tags", {
      chunks: [
        {
          data: JSON.stringify({
            models: [
              {
                name: "qwen2.5-coder:7b",
                model: "qwen2.5-coder:7b",
                modified_at: "2025-03-01T10:00:00.000000+01:00",
                size: 4683087332,
                digest: "2b0496514337a3d5901f1d253d01726c890b721e891335a56d6e08cedf3e2cb0",
                details: {
                  format: "gguf",
                  family: "qwen2",
                  parameter_size: "7.6B",
                  quantization_level: "Q4_K_M",
                },
              },
            ],
          }),
        },
      ],
    });
    server.route("GET /v1/models", {
      chunks: [
        {
          data: JSON.stringify({
            object: "list",
            data: [{ id: "qwen2.5-coder-7b-instruct", object: "model", owned_by: "llamacpp" }],
          }),
        },
      ],
    });
  });
  afterAll(() => server.close());

  it("lists Ollama's models as model references", async () => {
    const run = await runCli(["models", "--ollama-host", server.baseUrl]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ollama\/qwen2\.5-coder:7b\t4\.36 GiB\tQ4_K_M$/m);
    const json = await runCli(["models", "--json"], { env: { OLLAMA_HOST: server.baseUrl } });
    expect(JSON.parse(json.stdout)[0]).toMatchObject({
      model_ref: "ollama/qwen2.5-coder:7b",
      size: 4683087332,
    });
  });

  it("lists an OpenAI-compatible server's models", async () => {
    const run = await runCli(["models", "--provider", "openai", "--base-url", `${server.baseUrl}/v1`]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("openai/qwen2.5-coder-7b-instruct");
  });

  it("fails in one line when nothing listens, and on bad usage", async () => {
    const refused = await runCli(["models", "--ollama-host", await refusedUrl()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(
      /^orket: CONNECTION_REFUSED: cannot connect to http:\/\/127\.0\.0\.1:\d+\/api\/tags/,
    );
    const noUrl = await runCli(["models", "--provider", "openai"]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/--base-url or OPENAI_BASE_URL/);
    const badProvider = await runCli(["models", "--provider", "vllm"]);
    expect(badProvider.code).toBe(2);
    expect(badProvider.stderr).toMatch(/--provider takes one of ollama, openai/);
  });
});
