/**
 * Killing Orket loses nothing and leaves nothing behind, in real processes: `kill -9` of a running
 * `orket bench` keeps every finished test run in its journal and `--resume` runs only the rest (exact
 * counts, checked at the model server); SIGTERM stops it like Ctrl-C with a partial report; a resume
 * with other settings is refused; and a killed evaluator's sandboxed candidate dies with it, its temp
 * folder removed by the next evaluator.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeStaleDirs } from "../src/bench/evaluator/temp-dirs.js";
import { runCli } from "./support/run-cli.js";
import { ndjson, startWireServer, type WireServer } from "./support/wire-server.js";

const TASKS = "1-6";
const TOTAL = 6;
let server: WireServer;

/** Each answer takes a while, so a test can kill the bench between two test runs. */
beforeAll(async () => {
  server = await startWireServer();
  server.route("GET /api/version", { chunks: [{ data: JSON.stringify({ version: "0.6.2" }) }] });
  server.route("GET /api/tags", {
    chunks: [
      {
        data: JSON.stringify({
          models: ["m-instruct-q8_0", "m-instruct-q4_K_M"].map((name) => ({
            name,
            model: name,
            size: 1_000_000,
            modified_at: "2025-03-01T10:00:00Z",
            digest: name,
          })),
        }),
      },
    ],
  });
  server.route("POST /api/chat", () => ({
    headerDelayMs: 250,
    chunks: ndjson([
      {
        model: "m",
        message: { role: "assistant", content: "```python\ndef f():\n    return 1\n```" },
        done: false,
      },
      {
        model: "m",
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: "stop",
        total_duration: 200_000_000,
        load_duration: 1_000_000,
        prompt_eval_count: 20,
        prompt_eval_duration: 10_000_000,
        eval_count: 12,
        eval_duration: 150_000_000,
      },
    ]),
  }));
});
afterAll(async () => {
  await server.close();
});

/** Measured test runs the server answered (the warm-up asks for one token). */
/**
 * The request count once no request of a killed process is still arriving: one sent just before the
 * kill may reach the server a moment after it.
 */
async function settledRequestCount(): Promise<number> {
  let count = server.requests.length;
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    if (server.requests.length === count) return count;
    count = server.requests.length;
  }
}

function measuredCalls(from = 0): number {
  return server.requests
    .slice(from)
    .filter(
      (req) =>
        req.url === "/api/chat" &&
        (req.body as { options?: { num_predict?: number } }).options?.num_predict !== 1,
    ).length;
}

function journalRuns(out: string): number {
  const path = join(out, "orket_journal.ndjson");
  if (!existsSync(path)) return 0;
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.startsWith('{"type":"run"')).length;
}

function benchArgs(out: string, extra: string[] = []): string[] {
  return ["bench", "--model", "ollama/m", "--tasks", TASKS, "--no-sidecar", "--out", out, ...extra];
}

function startBench(args: string[]) {
  const child = spawn(process.execPath, [`${process.cwd()}/dist/cli/main.js`, ...args], {
    env: { ...process.env, OLLAMA_HOST: server.baseUrl, OPENAI_BASE_URL: "", CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => stderr };
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const env = () => ({ OLLAMA_HOST: server.baseUrl });

describe("orket bench killed and resumed", () => {
  it("kill -9 keeps the finished test runs; --resume runs exactly the rest", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "orket-resume-")), "results");
    const bench = startBench(benchArgs(out));
    await until(() => journalRuns(out) >= 2, "two journaled test runs");
    bench.child.kill("SIGKILL");
    expect((await bench.exited).signal).toBe("SIGKILL");
    const kept = journalRuns(out);
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(TOTAL);
    expect(existsSync(join(out, "orket_report.json"))).toBe(false);

    const before = await settledRequestCount();
    const resumed = await runCli(benchArgs(out, ["--resume", out]), { env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `resuming ${join(out, "orket_journal.ndjson")}: ${kept} of ${TOTAL} test runs already done`,
    );
    expect(measuredCalls(before)).toBe(TOTAL - kept);
    const report = JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8"));
    expect(report.interrupted).toBe(false);
    expect(report.test_runs.map((run: { test_id: string }) => run.test_id)).toHaveLength(TOTAL);
    expect(new Set(report.test_runs.map((run: { test_id: string }) => run.test_id)).size).toBe(TOTAL);
    expect(journalRuns(out)).toBe(TOTAL);

    // Resuming a finished benchmark runs nothing and loads no model.
    const again = server.requests.length;
    const noop = await runCli(benchArgs(out, ["--resume", out]), { env: env() });
    expect(noop.code, noop.stderr).toBe(0);
    expect(server.requests.length - again).toBe(0);
  }, 120_000);

  it("SIGTERM stops like Ctrl-C: a partial report, exit 1, and --resume finishes it", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "orket-term-")), "results");
    const bench = startBench(benchArgs(out));
    await until(() => journalRuns(out) >= 1, "a journaled test run");
    bench.child.kill("SIGTERM");
    const ended = await bench.exited;
    expect(ended).toEqual({ code: 1, signal: null });
    expect(bench.stderr()).toMatch(/interrupted \(SIGTERM\); writing the partial report/);
    const partial = JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8"));
    expect(partial.interrupted).toBe(true);
    const kept = journalRuns(out);
    expect(partial.test_runs.length).toBeGreaterThanOrEqual(kept);

    const before = server.requests.length;
    const resumed = await runCli(benchArgs(out, ["--resume", out]), { env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(measuredCalls(before)).toBe(TOTAL - kept);
    expect(JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")).test_runs).toHaveLength(TOTAL);
  }, 120_000);

  it("refuses to resume with other settings, or where there is nothing to resume", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "orket-resume-bad-")), "results");
    const first = await runCli(benchArgs(out, ["--tasks", "1-2"]), { env: env() });
    expect(first.code, first.stderr).toBe(0);
    const other = await runCli(benchArgs(out, ["--tasks", "1-2", "--runs", "2", "--resume", out]), {
      env: env(),
    });
    expect(other.code).toBe(2);
    expect(other.stderr.trim().split("\n").at(-1)).toBe(
      `orket: BAD_JOURNAL: --resume ${out}: the journal's runs_per_task is 1, this benchmark's is 2; run with the same settings`,
    );
    const empty = join(mkdtempSync(join(tmpdir(), "orket-resume-none-")), "results");
    const none = await runCli(benchArgs(empty, ["--resume", empty]), { env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split("\n").at(-1)).toBe(
      `orket: BAD_JOURNAL: --resume ${empty}: no orket_journal.ndjson there to resume`,
    );
    const clash = await runCli(benchArgs(out, ["--out", "elsewhere", "--resume", out]), { env: env() });
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/--resume .* and --out elsewhere name different folders/);
  }, 60_000);
});

describe("orket sweep killed and resumed", () => {
  const rowRuns = (out: string) => journalRuns(join(out, "q8_0")) + journalRuns(join(out, "q4_K_M"));
  const sweepArgs = (out: string, extra: string[] = []) => [
    "sweep",
    "quant",
    "--model-family",
    "m",
    "--quants",
    "q8_0,q4_K_M",
    "--tasks",
    "1-3",
    "--skip-canary",
    "--out",
    out,
    ...extra,
  ];

  it("kill -9 in the middle keeps every row's finished runs; --resume runs exactly the rest", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "orket-sweep-resume-")), "sweep");
    const sweep = startBench(sweepArgs(out));
    await until(() => rowRuns(out) >= 4, "four journaled test runs");
    sweep.child.kill("SIGKILL");
    expect((await sweep.exited).signal).toBe("SIGKILL");
    const kept = rowRuns(out);
    expect(kept).toBeLessThan(6);

    const before = await settledRequestCount();
    const resumed = await runCli(sweepArgs(out, ["--resume", out]), { env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(measuredCalls(before)).toBe(6 - kept);
    const summary = JSON.parse(readFileSync(join(out, "sweep_summary.json"), "utf8"));
    expect(summary.rows.map((row: { test_runs: number }) => row.test_runs)).toEqual([3, 3]);
    expect(rowRuns(out)).toBe(6);
  }, 120_000);

  it("SIGTERM stops a sweep like Ctrl-C: an interrupted summary, exit 1, and --resume finishes it", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "orket-sweep-term-")), "sweep");
    const sweep = startBench(sweepArgs(out));
    await until(() => rowRuns(out) >= 1, "a journaled test run");
    sweep.child.kill("SIGTERM");
    expect(await sweep.exited).toEqual({ code: 1, signal: null });
    expect(JSON.parse(readFileSync(join(out, "sweep_summary.json"), "utf8")).interrupted).toBe(true);
    const kept = rowRuns(out);
    const before = server.requests.length;
    const resumed = await runCli(sweepArgs(out, ["--resume", out]), { env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(measuredCalls(before)).toBe(6 - kept);
    expect(rowRuns(out)).toBe(6);
  }, 120_000);
});

describe("a killed evaluator", () => {
  it("takes its sandboxed candidate with it, and the next evaluator removes its temp folder", async () => {
    const marker = `${7000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const script = [
      'import { createEvaluator } from "./src/bench/evaluator/evaluator.ts";',
      `const code = "import subprocess, time\\nsubprocess.Popen(['sleep', '${marker}'])\\ntime.sleep(60)\\ndef f():\\n    return 1\\n";`,
      'await createEvaluator().evaluate(code, "python", { kind: "function", function_name: "f", examples: [{ args: [], expected: 1 }] }, { wallMs: 60000 });',
    ].join("\n");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: "ignore",
    });
    const sleepers = () =>
      execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes(`sleep ${marker}`) && !line.includes("<defunct>"));
    await until(() => sleepers().length > 0, "the candidate's sleeper", 30_000);
    const dirs = () =>
      readdirSync(tmpdir()).filter(
        (name) => name.startsWith(`orket-eval-${child.pid}.`) || name.startsWith(`orket-eval-${child.pid}-`),
      );
    expect(dirs()).toHaveLength(1);
    // Until Node has reaped it, the killed process is a zombie whose /proc entry still names it: the
    // sweep would rightly take it for alive. Wait for its exit (the reaping) first.
    const reaped = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await reaped;
    await until(() => sleepers().length === 0, "the sleeper to die with its evaluator", 10_000);
    await removeStaleDirs(tmpdir());
    expect(dirs()).toEqual([]);
  }, 60_000);
});
