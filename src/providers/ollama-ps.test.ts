/**
 * `/api/ps` over the wire, with bodies shaped as Ollama 0.5–0.6 sends them: a model wholly in VRAM, one
 * split between VRAM and the CPU, and the shapes older or broken servers answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusedUrl, startWireServer, type WireServer } from "../../test/support/wire-server.js";
import { findRunning, listOllamaRunning, withTag } from "./ollama-ps.js";

const PS = {
  models: [
    {
      name: "qwen2.5-coder:7b-instruct-q8_0",
      model: "qwen2.5-coder:7b-instruct-q8_0",
      size: 9_252_306_944,
      digest: "a8e1b2c3d4",
      details: { format: "gguf", family: "qwen2", quantization_level: "Q8_0" },
      expires_at: "2025-03-04T09:17:41.118624+01:00",
      size_vram: 6_442_450_944,
      context_length: 4096,
    },
    {
      name: "codellama:latest",
      size: 4_109_853_696,
      digest: "9f438cb9cd",
      expires_at: "2025-03-04T09:18:02.5+01:00",
      size_vram: 4_109_853_696,
    },
  ],
};

function whole(body: unknown, status = 200) {
  return { status, chunks: [{ data: typeof body === "string" ? body : JSON.stringify(body) }] };
}

describe("listOllamaRunning", () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startWireServer();
  });
  afterAll(() => server.close());

  it("parses /api/ps with GET, keeping size and size_vram in bytes", async () => {
    server.route("GET /api/ps", whole(PS));
    const models = await listOllamaRunning({ host: server.baseUrl });
    expect(server.requests.at(-1)).toMatchObject({ method: "GET", url: "/api/ps" });
    expect(models).toEqual([
      {
        name: "qwen2.5-coder:7b-instruct-q8_0",
        model: "qwen2.5-coder:7b-instruct-q8_0",
        size: 9_252_306_944,
        size_vram: 6_442_450_944,
        expires_at: "2025-03-04T09:17:41.118624+01:00",
        context_length: 4096,
      },
      {
        name: "codellama:latest",
        model: "codellama:latest",
        size: 4_109_853_696,
        size_vram: 4_109_853_696,
        expires_at: "2025-03-04T09:18:02.5+01:00",
        context_length: null,
      },
    ]);
  });

  it("answers an empty list when nothing is loaded, and null size_vram when an old server leaves it out", async () => {
    server.route("GET /api/ps", whole({ models: [] }));
    expect(await listOllamaRunning({ host: server.baseUrl })).toEqual([]);
    server.route("GET /api/ps", whole({ models: [{ name: "old:7b", size: 100 }] }));
    expect((await listOllamaRunning({ host: server.baseUrl }))[0]).toMatchObject({ size_vram: null });
  });

  it("names the field of a malformed answer, and fails on text that is not JSON", async () => {
    server.route("GET /api/ps", whole({ models: [{ name: "x", size: "big" }] }));
    await expect(listOllamaRunning({ host: server.baseUrl })).rejects.toMatchObject({
      code: "MALFORMED_STREAM",
      message: expect.stringMatching(/\/api\/ps .*models\.0\.size/),
    });
    server.route("GET /api/ps", whole("<html>proxy error</html>"));
    await expect(listOllamaRunning({ host: server.baseUrl })).rejects.toThrow(/did not answer JSON/);
  });

  it("reports HTTP failures and a refused connection as model errors", async () => {
    server.route("GET /api/ps", whole({ error: "boom" }, 500));
    await expect(listOllamaRunning({ host: server.baseUrl })).rejects.toMatchObject({ statusCode: 500 });
    await expect(listOllamaRunning({ host: await refusedUrl() })).rejects.toMatchObject({
      code: "CONNECTION_REFUSED",
    });
  });
});

describe("findRunning", () => {
  it("matches a model by name or model field, a bare name standing for :latest", async () => {
    const models = [
      { name: "a:7b", model: "a:7b", size: 1, size_vram: 1, expires_at: null, context_length: null },
      { name: "codellama:latest", model: "x", size: 1, size_vram: 0, expires_at: null, context_length: null },
    ];
    expect(findRunning(models, "a:7b")?.name).toBe("a:7b");
    expect(findRunning(models, "codellama")?.name).toBe("codellama:latest");
    expect(findRunning(models, "a:13b")).toBeUndefined();
    expect(withTag("library/x")).toBe("library/x:latest");
    expect(withTag("host:5000/x:1b")).toBe("host:5000/x:1b");
  });
});
