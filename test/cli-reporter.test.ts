/**
 * The reporters as a user meets them, in real processes (docs/events.md): `--reporter json` writes only
 * events on stdout, numbered from 0, each valid against the event schema, and ends with the `end` event
 * carrying what `--json` prints (or the error, with the same exit code); `--reporter plain` writes one
 * line per finished test run; SIGTERM ends the stream with `interrupted` and `run_end`. For bench
 * (against a fake Ollama on the wire), sweep (scripted cassettes) and run (a scripted epic) alike.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import type { Task } from "../src/spec/bank.js";
import { type OrketEvent, OrketEventSchema } from "../src/spec/events.js";
import { runCli } from "./support/run-cli.js";
import { answer, call, writeScript } from "./support/script-cassette.js";
import { fence, writeAnswers } from "./support/sweep-fixtures.js";
import { ndjson, refusedUrl, startWireServer, type WireServer } from "./support/wire-server.js";

/** Every stdout line is one schema-valid event; seq runs 0, 1, 2, … with no gap. */
function events(stdout: string): OrketEvent[] {
  const lines = stdout.split("\n").filter((line) => line !== "");
  const parsed = lines.map((line, i) => {
    const result = OrketEventSchema.safeParse(JSON.parse(line));
    expect(result.success, `line ${i}: ${line}`).toBe(true);
    return result.data as OrketEvent;
  });
  expect(parsed.map((e) => e.seq)).toEqual(parsed.map((_, i) => i));
  return parsed;
}

function ofType<T extends OrketEvent["type"]>(
  list: OrketEvent[],
  type: T,
): Extract<OrketEvent, { type: T }>[] {
  return list.filter((e): e is Extract<OrketEvent, { type: T }> => e.type === type);
}

let server: WireServer;
let delayMs = 0;

beforeAll(async () => {
  server = await startWireServer();
  server.route("GET /api/version", { chunks: [{ data: JSON.stringify({ version: "0.6.2" }) }] });
  server.route("GET /api/tags", {
    chunks: [{ data: JSON.stringify({ models: [{ name: "m", model: "m", size: 1_000_000, digest: "m" }] }) }],
  });
  server.route("POST /api/chat", () => ({
    headerDelayMs: delayMs,
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

const benchArgs = (out: string, ...extra: string[]) => [
  "bench",
  "--model",
  "ollama/m",
  "--tasks",
  "1-3",
  "--no-sidecar",
  "--out",
  out,
  ...extra,
];

describe("orket bench --reporter", () => {
  it("json: events only on stdout, ending with the record --json prints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-reporter-json-"));
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: server.baseUrl };
    const out = join(dir, "results");
    const run = await runCli(benchArgs(out, "--reporter", "json"), { env });
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    // Notes on how the model was chosen may come first; then the plan.
    expect(ofType(list, "run_start")).toHaveLength(1);
    expect(ofType(list, "run_start")[0]).toMatchObject({ command: "bench", subject: "ollama/m", total: 3 });
    const ends = ofType(list, "test_run_end");
    expect(ends.map((e) => [e.done, e.total, e.resumed, e.row])).toEqual([
      [1, 3, false, null],
      [2, 3, false, null],
      [3, 3, false, null],
    ]);
    // Each test run starts before it ends, and the run ends after the last one.
    for (const end of ends) {
      const start = list.find((e) => e.type === "test_run_start" && e.test_id === end.test_id);
      expect(start?.seq ?? Number.POSITIVE_INFINITY).toBeLessThan(end.seq);
    }
    expect(ofType(list, "progress").at(-1)).toMatchObject({ done: 3, total: 3, unit: "test_run" });
    const runEnd = ofType(list, "run_end");
    expect(runEnd).toHaveLength(1);
    expect(runEnd[0]).toMatchObject({ status: "done", done: 3, total: 3 });
    const end = list.at(-1);
    expect(end?.type).toBe("end");
    const report = JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8"));
    expect(end).toMatchObject({ error: null, record: { path: join(out, "orket_report.json") } });
    expect((end as { record: { summary: unknown } }).record.summary).toEqual(report.summary);

    // With --json too, stdout still holds only the event lines: the flags never fight over it.
    const both = await runCli(benchArgs(join(dir, "both"), "--reporter", "json", "--json"), { env });
    expect(both.code, both.stderr).toBe(0);
    expect(events(both.stdout).at(-1)?.type).toBe("end");
  }, 120_000);

  it("json: a failing command ends with the error's code and the same exit code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-reporter-fail-"));
    const bank = join(dir, "bank.json");
    writeFileSync(
      bank,
      JSON.stringify({ schema_version: "orket.task_bank.v1", name: "x", version: "1", tasks: [] }),
    );
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: server.baseUrl };
    const run = await runCli(benchArgs(join(dir, "out"), "--bank", bank, "--reporter", "json"), { env });
    expect(run.code).toBe(2);
    const list = events(run.stdout);
    const end = list.at(-1) as Extract<OrketEvent, { type: "end" }>;
    expect(end.type).toBe("end");
    expect(end.record).toBeNull();
    expect(end.error?.code).toMatch(/^[A-Z_]+$/);
    // The stderr line names the same code.
    expect(run.stderr).toContain(`orket: ${end.error?.code}: `);
  }, 60_000);

  it("plain: one line per finished test run on stderr, the table on stdout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-reporter-plain-"));
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: server.baseUrl };
    const run = await runCli(benchArgs(join(dir, "out"), "--reporter", "plain"), { env });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split("\n").filter((line) => /^\[\d+\/3\] /.test(line));
    expect(lines.map((line) => line.slice(0, 5))).toEqual(["[1/3]", "[2/3]", "[3/3]"]);
    expect(run.stdout).toMatch(/test runs\s+3 /);
    expect(run.stdout).not.toMatch(/"type":/);
  }, 60_000);

  it("SIGTERM ends the stream with interrupted, run_end and an end event holding the partial record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-reporter-term-"));
    const out = join(dir, "out");
    delayMs = 400;
    try {
      const child = spawn(
        process.execPath,
        [`${process.cwd()}/dist/cli/main.js`, ...benchArgs(out, "--reporter", "json")],
        {
          env: {
            ...process.env,
            ORKET_HOME: join(dir, ".orket"),
            OLLAMA_HOST: server.baseUrl,
            OPENAI_BASE_URL: "",
            CI: "true",
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.resume();
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (!stdout.includes('"type":"test_run_end"')) {
        if (Date.now() > deadline) throw new Error("no test run finished");
        await new Promise((r) => setTimeout(r, 25));
      }
      child.kill("SIGTERM");
      expect(await exited).toBe(1);
      const list = events(stdout);
      const interrupted = ofType(list, "interrupted");
      expect(interrupted).toHaveLength(1);
      expect(interrupted[0]?.reason).toMatch(/SIGTERM/);
      const runEnd = ofType(list, "run_end")[0];
      expect(runEnd?.status).toBe("interrupted");
      expect(runEnd?.seq ?? -1).toBeGreaterThan(interrupted[0]?.seq ?? Number.POSITIVE_INFINITY);
      expect(runEnd?.done ?? 0).toBeGreaterThanOrEqual(1);
      expect(list.at(-1)).toMatchObject({ type: "end", error: null });
      expect(JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8")).interrupted).toBe(true);
    } finally {
      delayMs = 0;
    }
  }, 120_000);
});

describe("orket sweep --reporter json", () => {
  it("one run over every row: progress counts the whole sweep and each test run names its row", async () => {
    const tasks = (await loadBank("builtin")).tasks.slice(0, 2) as [Task, Task];
    const dir = mkdtempSync(join(tmpdir(), "orket-reporter-sweep-"));
    const good = tasks.map((t) => fence(t, t.reference_solution));
    const right = writeAnswers(join(dir, "q8.jsonl"), good);
    const wrong = writeAnswers(
      join(dir, "q4.jsonl"),
      good.map(() => fence(tasks[0], "def wrong():\n    return None\n")),
    );
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: await refusedUrl() };
    const run = await runCli(
      [
        "sweep",
        "quant",
        "--models",
        `q8_0=replay/${right},q4_K_M=replay/${wrong}`,
        "--tasks",
        "1-2",
        "--pacing",
        "instant",
        "--skip-canary",
        "--out",
        join(dir, "sweep"),
        "--reporter",
        "json",
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    expect(ofType(list, "run_start")).toHaveLength(1);
    expect(ofType(list, "run_start")[0]).toMatchObject({ command: "sweep", total: 4 });
    expect(ofType(list, "run_end")).toHaveLength(1);
    expect(ofType(list, "test_run_end").map((e) => e.row)).toEqual(["q8_0", "q8_0", "q4_K_M", "q4_K_M"]);
    const progress = ofType(list, "progress").map((e) => e.done);
    expect(progress.at(-1)).toBe(4);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const end = list.at(-1) as Extract<OrketEvent, { type: "end" }>;
    const summary = JSON.parse(readFileSync(join(dir, "sweep", "sweep_summary.json"), "utf8"));
    expect(end.record).toEqual(summary);
  }, 120_000);
});

describe("orket run --reporter json", () => {
  it("turns start and end, progress counts cards, and end carries the run's summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-reporter-run-"));
    const env = { ORKET_HOME: join(dir, ".orket") };
    const greet = "def greet(name: str) -> str:\n    return f\"Hello, {name or 'world'}!\"\n";
    const cassette = writeScript(join(dir, "script.jsonl"), [
      answer(
        call("write_file", { path: "greet.py", content: greet }),
        call("update_issue_status", { status: "code_review" }),
      ),
      answer(
        call("add_issue_comment", { body: "ok" }),
        call("update_issue_status", { status: "awaiting_guard_review" }),
      ),
      answer(call("update_issue_status", { status: "done" })),
    ]);
    expect((await runCli(["init", dir, "--model", `replay/${cassette}`], { env })).code).toBe(0);
    const run = await runCli(
      ["run", "--epic", "hello-python", "--project", dir, "--pacing", "instant", "--reporter", "json"],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    const start = ofType(list, "run_start")[0] as Extract<OrketEvent, { type: "run_start" }>;
    expect(start).toMatchObject({
      type: "run_start",
      command: "run",
      subject: `hello-python on replay/${cassette}`,
    });
    expect(start.run_id).toMatch(/.+/);
    const turns = ofType(list, "turn_end").map((e) => [e.issue_id, e.seat, e.turn, e.outcome]);
    expect(turns).toEqual([
      ["greet", "coder", 1, "ok"],
      ["greet", "reviewer", 2, "ok"],
      ["greet", "integrity_guard", 3, "ok"],
    ]);
    expect(ofType(list, "turn_start")).toHaveLength(3);
    expect(ofType(list, "progress").at(-1)).toMatchObject({ unit: "card", done: 1, total: 1 });
    expect(ofType(list, "run_end")[0]).toMatchObject({ status: "done" });
    const end = list.at(-1) as Extract<OrketEvent, { type: "end" }>;
    expect(end).toMatchObject({ type: "end", error: null, record: { status: "done", run_id: start.run_id } });
  }, 60_000);
});
