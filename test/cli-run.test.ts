/**
 * The loop's CLI in real processes: init, run, board, runs, runs show and replay, on a scripted
 * cassette; and one epic on the embedded engine with the tiny random-weight model, whose output is noise:
 * the runtime must survive garbage and end with a clear status.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";
import { answer, call, writeScript } from "./support/script-cassette.js";
import { refusedUrl } from "./support/wire-server.js";

const GREET = "def greet(name: str) -> str:\n    return f\"Hello, {name or 'world'}!\"\n";
const script = [
  answer(
    call("write_file", { path: "greet.py", content: GREET }),
    call("update_issue_status", { status: "code_review" }),
  ),
  answer(
    call("add_issue_comment", { body: "meets the requirements" }),
    call("update_issue_status", { status: "awaiting_guard_review" }),
  ),
  answer(call("update_issue_status", { status: "done" })),
];

describe("orket init, run, board, runs, replay", () => {
  it("takes a new project from init to a done epic and shows it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-run-"));
    const env = { ORKET_HOME: join(dir, ".orket") };
    const cassette = writeScript(join(dir, "script.jsonl"), script);

    const init = await runCli(["init", dir, "--model", `replay/${cassette}`], { env });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/wrote orket\/epics\/hello-python\.json/);
    expect(JSON.parse(readFileSync(join(dir, "orket", "environments", "default.json"), "utf8")).model).toBe(
      `replay/${cassette}`,
    );
    const again = await runCli(["init", dir], { env });
    expect(again.stdout).toMatch(/kept orket\/epics\/hello-python\.json \(exists\)/);

    const run = await runCli(["run", "--epic", "hello-python", "--project", dir, "--pacing", "instant"], {
      env,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^done: every issue is done/m);
    expect(run.stderr).toMatch(/✓ greet · coder · turn 1: ok/);
    expect(readFileSync(join(dir, "workspace", "hello-python", "output", "greet.py"), "utf8")).toBe(GREET);

    const board = await runCli(["board"], { env, cwd: dir });
    expect(board.stdout).toMatch(/hello-python@hello-python\n\s+greet\s+done\s+coder\s+attempts 0\s+turns 3/);

    const runs = await runCli(["runs", "--json", "--project", dir], { env });
    const [latest] = JSON.parse(runs.stdout);
    expect(latest).toMatchObject({ status: "done", epic_id: "hello-python" });
    const show = await runCli(["runs", "show", latest.run_id], { env, cwd: dir });
    expect(show.stdout).toMatch(/greet\s+coder\s+turn 1\s+ok/);

    const replay = await runCli(
      [
        "replay",
        "--run",
        latest.run_id,
        "--issue",
        "greet",
        "--turn",
        "1",
        "-m",
        `replay/${writeScript(join(dir, "other.jsonl"), ["A different answer."])}`,
      ],
      { env, cwd: dir },
    );
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/the answer differs/);
    expect(replay.stdout).toMatch(/^\+A different answer\./m);
    const missing = await runCli(["replay", "--run", latest.run_id, "--issue", "greet", "--turn", "9"], {
      env,
      cwd: dir,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/TURN_NOT_FOUND: issue greet has no turn 9/);
  }, 60_000);

  it("rejects bad input with one line and exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-bad-"));
    const env = { ORKET_HOME: join(dir, ".orket") };
    const unknown = await runCli(["run", "--epic", "nope", "--project", dir], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/BAD_CONFIG: .*no epic named "nope"/);
    const noState = await runCli(["runs", "show", "x"], { env, cwd: dir });
    expect(noState.code).toBe(2);
    expect(noState.stderr).toMatch(/no Orket state for project in this folder at .*orket\.db yet/);

    // Two references with one file name: one line naming the epic file and the field, no stack.
    expect((await runCli(["init", dir], { env })).code).toBe(0);
    const epicPath = join(dir, "orket", "epics", "hello-python.json");
    const epic = JSON.parse(readFileSync(epicPath, "utf8"));
    for (const sub of ["a", "b"]) {
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, "notes.md"), sub);
    }
    writeFileSync(epicPath, JSON.stringify({ ...epic, references: ["a/notes.md", "b/notes.md"] }));
    const twice = await runCli(["run", "--epic", "hello-python", "--project", dir], { env });
    expect(twice.code).toBe(2);
    expect(twice.stderr.trim()).toMatch(
      /^orket: BAD_CONFIG: .*hello-python\.json: references\.1: b\/notes\.md has the same file name as references\.0 \(a\/notes\.md\); the agents see references by name, so rename one$/,
    );
  });

  it("survives an embedded model's garbage output and ends with a clear status", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-noise-"));
    const env = { ORKET_HOME: join(dir, ".orket"), OLLAMA_HOST: await refusedUrl() };
    const run = await runCli(["run", "--epic", "hello-python", "--project", dir, "--json"], { env });
    expect(run.stderr).toMatch(/embedded llama\.cpp on the smoke model/);
    const summary = JSON.parse(run.stdout);
    expect(summary.status).toBe("incomplete");
    expect(summary.issues[0]).toMatchObject({ id: "greet", status: "blocked" });
    expect(run.code).toBe(1);
    expect(existsSync(join(summary.run_dir, "turns", "greet", "001-coder", "checkpoint.json"))).toBe(true);
  }, 120_000);
});
