/**
 * Workers on llama.cpp's llama-server: two `orket worker --base-url` processes next to a real server,
 * fed by a real Redis. A bench over the queue gives the same per-task outcomes as a local bench on the
 * same server, each test run once, each record naming its worker; no job carries the server's address.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/spec/report.js";
import { type LlamaServer, quantized, startLlamaServer } from "../support/llama-cpp.js";
import { startRedis, type TestRedis } from "../support/redis.js";
import { runCli } from "../support/run-cli.js";

const CLI = join(process.cwd(), "dist", "cli", "main.js");

describe("queue workers on llama-server", () => {
  let server: LlamaServer;
  let redis: TestRedis;
  const workers: Array<ReturnType<typeof spawn>> = [];
  let dir: string;

  beforeAll(async () => {
    server = await startLlamaServer({ model: quantized("Q8_0"), extraArgs: ["--alias", "memorizer"] });
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), "orket-real-queue-"));
    for (const id of ["llama-a", "llama-b"]) {
      const child = spawn(
        process.execPath,
        [CLI, "worker", "--queue", redis.url, "--base-url", server.baseURL, "--id", id],
        {
          stdio: ["ignore", "ignore", "pipe"],
          env: { ...process.env, CI: "true" },
        },
      );
      workers.push(child);
      await new Promise<void>((resolve, reject) => {
        let log = "";
        child.stderr?.on("data", (d: Buffer) => {
          log += d.toString();
          if (log.includes(`worker ${id} on `)) resolve();
        });
        child.once("exit", (code) => reject(new Error(`worker ${id} exited ${code}: ${log}`)));
      });
    }
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await redis?.stop();
    await server?.stop();
  });

  it("gives the same per-task outcomes as a local bench on the same server", async () => {
    const args = ["bench", "--model", "openai/memorizer", "--tasks", "1-10"];
    const queued = await runCli([...args, "--queue", redis.url, "--out", join(dir, "queued")], { cwd: dir });
    expect(queued.code, queued.stderr).toBe(0);
    const local = await runCli([...args, "--base-url", server.baseURL, "--out", join(dir, "local")], {
      cwd: dir,
    });
    expect(local.code, local.stderr).toBe(0);
    const read = (name: string) =>
      JSON.parse(readFileSync(join(dir, name, "orket_report.json"), "utf8")) as Report;
    const outcomes = (r: Report) => Object.fromEntries(r.test_runs.map((t) => [t.test_id, t.outcome]));
    const q = read("queued");
    expect(outcomes(q)).toEqual(outcomes(read("local")));
    expect(q.test_runs).toHaveLength(10);
    expect(new Set(q.test_runs.map((t) => t.test_id)).size).toBe(10);
    for (const run of q.test_runs) expect(run.worker?.id).toMatch(/^llama-[ab]$/);
    // The engine record is the worker's view of the server: llama.cpp, with its build.
    expect(q.reproducibility?.engine.name).toMatch(/llama/i);
    expect(q.settings.queue?.model_key).toBe("openai-memorizer");
  }, 240_000);
});
