/**
 * The determinism gate (run by `npm test`, so by `.ci/run`): the same epic run twice through the real
 * CLI against the same cassette must leave equivalent memory traces, and a deliberately perturbed run
 * must be reported divergent at the event where it changed — by `orket memory compare` on the two run
 * folders, exactly as a user would call it.
 */
import { mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";
import { answer, call, writeScript } from "./support/script-cassette.js";

const GREET = "def greet(name: str) -> str:\n    return f\"Hello, {name or 'world'}!\"\n";
const status = (s: string, extra: Record<string, unknown> = {}) =>
  call("update_issue_status", { status: s, ...extra });

function script(reviewComment: string) {
  return [
    answer(
      call("memory_search", { query: "greeting conventions" }),
      call("write_file", { path: "greet.py", content: GREET }),
      call("memory_write", { content: "greet uses an f-string", namespace: "decisions" }),
      status("code_review"),
    ),
    answer(call("add_issue_comment", { body: reviewComment }), status("awaiting_guard_review")),
    answer(status("done", { reason: "complete and correct" })),
  ];
}

const dir = mkdtempSync(join(tmpdir(), "orket-gate-"));
// One cassette file (the model reference is part of the traces' model config): the perturbed run
// rewrites it with one different answer.
const cassette = join(dir, "epic.jsonl");

async function runEpicCli(name: string, cassette: string): Promise<string> {
  const home = join(dir, `${name}-home`);
  const workspace = join(dir, `${name}-ws`);
  // Each run is its own project: project memory (buffered_write) must not carry from one to the next.
  const project = join(dir, `${name}-project`);
  mkdirSync(project, { recursive: true });
  const result = await runCli(
    [
      "run",
      "--epic",
      "hello-python",
      "--model",
      `replay/${cassette}`,
      "--pacing",
      "instant",
      "--concurrency",
      "1",
      "--memory",
      "buffered_write",
      "--memory-trace",
      "--workspace",
      workspace,
      "--project",
      project,
      "--json",
    ],
    { env: { ORKET_HOME: home } },
  );
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout) as { run_dir: string; status: string };
  expect(summary.status).toBe("done");
  expect(readdirSync(join(summary.run_dir, "turns", "greet"))).toHaveLength(3);
  return summary.run_dir;
}

describe("determinism gate", () => {
  let first: string;
  let second: string;
  let third: string;
  beforeAll(async () => {
    writeScript(cassette, script("greet.py meets the requirements."));
    first = await runEpicCli("first", cassette);
    second = await runEpicCli("second", cassette);
    writeScript(cassette, script("greet.py needs a docstring."));
    third = await runEpicCli("perturbed", cassette);
  }, 60_000);

  it("two runs of the same epic on the same cassette are equivalent, turn by turn", async () => {
    const result = await runCli(["memory", "compare", "--left", first, "--right", second, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ equivalent: true, turns: 3 });
    expect(report.events).toBeGreaterThan(10);
    const check = await runCli(["memory", "check", "--trace", first]);
    expect(check.code).toBe(0);
  });

  it("a perturbed run is divergent at the reviewer's comment, and the command names it", async () => {
    const result = await runCli(["memory", "compare", "--left", first, "--right", third, "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.equivalent).toBe(false);
    const text = JSON.stringify(report);
    expect(text).toContain("greet/002-reviewer");
    expect(text).toContain("needs a docstring");
    expect(text).toContain("meets the requirements");

    const human = await runCli(["memory", "compare", "--left", first, "--right", third]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/divergent at greet\/002-reviewer event 1 \(after_model\/tool_calls\)/);
    expect(human.stdout).toContain("normalized_args");
  });
});
