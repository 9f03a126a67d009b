/**
 * `orket sweep concurrency` against a wire server that speaks llama-server's dialect (streamed chat
 * completions with usage, `/metrics`, `/slots`): levels keep that many requests in flight, requests
 * and tokens are counted exactly, a failing request is counted as an error with its code, and the
 * artifact validates against its own JSON Schema. The real llama-server is the real-engine suite's.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, describe, expect, it } from "vitest";
import { runConcurrencySweep } from "../src/lab/concurrency.js";
import { startLoadServer } from "./support/load-server.js";
import { runCli } from "./support/run-cli.js";
import type { WireServer } from "./support/wire-server.js";

describe("orket sweep concurrency on a wire server", () => {
  let server: WireServer | undefined;
  afterEach(async () => server?.close());

  it("runs every level's requests, counts every request and token, and writes a schema-valid artifact", async () => {
    server = await startLoadServer({ tokens: 6, slots: 3 });
    const out = join(mkdtempSync(join(tmpdir(), "orket-load-")), "sweep");
    const { sweep, path } = await runConcurrencySweep({
      model: "openai/load",
      providers: { openaiBaseURL: `${server.baseUrl}/v1` },
      levels: [1, 2, 4],
      requests: 8,
      slo: { ttft_ms: 60_000, itl_ms: 60_000 },
      out,
    });
    expect(sweep.rows.map((r) => [r.concurrency, r.requests, r.ok, r.errors])).toEqual([
      [1, 8, 8, 0],
      [2, 8, 8, 0],
      [4, 8, 8, 0],
    ]);
    // One warm-up and 24 measured requests reached the server; each streamed 6 chunks.
    expect(server.requests.filter((r) => r.url.startsWith("/v1/chat")).length).toBe(25);
    for (const row of sweep.rows) {
      expect(row.output_tokens).toBe(48);
      expect(row.server?.predicted_tokens).toBe(48);
      expect(row.itl_ms.samples).toBe(8 * 5);
      expect(row.goodput_rps).toBe(row.requests_per_second);
    }
    expect(sweep.server).toMatchObject({ kind: "llama.cpp", slots: 3 });
    // Requests are bodies of the bank's direct prompts, cycled, with the sampling settings.
    const bodies = server.requests
      .filter((r) => r.url.startsWith("/v1/chat"))
      .map((r) => r.body as { max_tokens: number; messages: unknown[] });
    expect(new Set(bodies.map((b) => JSON.stringify(b.messages))).size).toBeGreaterThan(1);
    expect(bodies.every((b) => b.max_tokens === 128)).toBe(true);
    const schema = JSON.parse(readFileSync("schemas/concurrency-sweep.v1.schema.json", "utf8"));
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    expect(validate(JSON.parse(readFileSync(path, "utf8"))), ajv.errorsText(validate.errors)).toBe(true);
    expect(readFileSync(join(out, "concurrency_report.html"), "utf8")).toContain('id="concurrency-chart"');
  });

  it("counts a refused request as an error with its code, and leaves it out of the latencies", async () => {
    server = await startLoadServer({ failing: [3] });
    const { sweep } = await runConcurrencySweep({
      model: "openai/load",
      providers: { openaiBaseURL: `${server.baseUrl}/v1` },
      levels: [1],
      requests: 4,
      warmupRequests: 0,
      out: join(mkdtempSync(join(tmpdir(), "orket-load-")), "sweep"),
    });
    const [row] = sweep.rows;
    expect(row).toMatchObject({ requests: 4, ok: 3, errors: 1 });
    expect(Object.keys(row?.error_codes ?? {})).toHaveLength(1);
    expect(row?.ttft_ms.samples).toBe(3);
    expect(row?.goodput_rps).toBeNull();
    expect(row?.null_reasons.goodput_rps).toMatch(/--slo/);
  });

  it("refuses bad flags in one line each, exit 2", async () => {
    for (const [args, message] of [
      [["--levels", "0"], /--levels "0"/],
      [["--slo", "ttft:soon"], /--slo "ttft:soon"/],
      [["--duration", "1s", "--requests", "2"], /--duration and --requests/],
    ] as const) {
      const run = await runCli([
        "sweep",
        "concurrency",
        "--model",
        "openai/x",
        "--base-url",
        "http://127.0.0.1:59999/v1",
        ...args,
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
    const embedded = await runCli(["sweep", "concurrency", "--model", "gguf/./m.gguf"]);
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toMatch(
      /BAD_CONCURRENCY_SWEEP: --model gguf\/\.\/m\.gguf: a concurrency sweep loads a server/,
    );
  });
});
