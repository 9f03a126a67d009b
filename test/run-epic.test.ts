/**
 * Whole epics end to end against scripted cassettes (deterministic): the real config loader, planner,
 * turn executor, tool gate, workspace sandbox, SQLite store and artifacts; only the model is a script.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEpic } from "../src/runtime/orchestrator.js";
import { CardStore } from "../src/store/card-store.js";
import { openDatabase } from "../src/store/db.js";
import { RunStore } from "../src/store/run-store.js";
import { answer, call, type ScriptEntry, writeScript } from "./support/script-cassette.js";

const GREET = "def greet(name: str) -> str:\n    return f\"Hello, {name or 'world'}!\"\n";
const status = (s: string, extra: Record<string, unknown> = {}) =>
  call("update_issue_status", { status: s, ...extra });
const comment = (body: string) => call("add_issue_comment", { body });

const coderDone = answer(
  "Here is the code.",
  call("write_file", { path: "greet.py", content: GREET }),
  status("code_review"),
);
const reviewerPass = answer(comment("greet.py meets the requirements."), status("awaiting_guard_review"));
const guardDone = answer(status("done", { reason: "complete and correct" }));

function project(script: ScriptEntry[], epics: object[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "orket-epic-"));
  for (const epic of epics) {
    mkdirSync(join(dir, "orket", "epics"), { recursive: true });
    writeFileSync(join(dir, "orket", "epics", `${(epic as { id: string }).id}.json`), JSON.stringify(epic));
  }
  const cassette = writeScript(join(dir, "script.jsonl"), script);
  return { dir, home: join(dir, ".orket"), model: `replay/${cassette}` };
}

async function run(
  p: ReturnType<typeof project>,
  epicId: string,
  extra: Partial<Parameters<typeof runEpic>[0]> = {},
) {
  return runEpic({
    projectDir: p.dir,
    home: p.home,
    epicId,
    model: p.model,
    concurrency: 1,
    providers: { replayPacing: "instant" },
    ...extra,
  });
}

function stores(p: ReturnType<typeof project>) {
  const db = openDatabase(join(p.home, "orket.db"));
  return { cards: new CardStore(db), runs: new RunStore(db), close: () => db.close() };
}

describe("an epic end to end", () => {
  it("happy path: coder, reviewer and guard take greet to done, with every artifact written", async () => {
    const p = project([coderDone, reviewerPass, guardDone]);
    const summary = await run(p, "hello-python");
    expect(summary.status).toBe("done");
    expect(summary.turns).toBe(3);
    expect(readFileSync(join(summary.workspace, "output", "greet.py"), "utf8")).toBe(GREET);
    expect(summary.orchestration_overhead_ratio).not.toBeNull();

    const s = stores(p);
    const tx = s.cards
      .listTransactions(summary.build_id, "greet")
      .map((t) => `${t.actor.name}:${t.from}→${t.to}`);
    expect(tx).toEqual([
      "orchestrator:ready→in_progress",
      "coder:in_progress→code_review",
      "reviewer:code_review→awaiting_guard_review",
      "integrity_guard:awaiting_guard_review→done",
    ]);
    expect(s.runs.listLedger(summary.run_id).map((l) => `${l.seat}:${l.outcome}`)).toEqual([
      "coder:ok",
      "reviewer:ok",
      "integrity_guard:ok",
    ]);
    expect(s.cards.listComments(summary.build_id, "greet")[0]?.body).toBe("greet.py meets the requirements.");
    expect(s.runs.latestSnapshot(summary.run_id, "board:start")?.value).toEqual([
      { id: "greet", status: "ready", wait_reason: null, attempts: 0, turns: 0 },
    ]);
    expect(s.runs.latestSnapshot(summary.run_id, "board:end")?.value).toEqual([
      { id: "greet", status: "done", wait_reason: null, attempts: 0, turns: 3 },
    ]);
    s.close();

    const turnDir = join(summary.run_dir, "turns", "greet", "001-coder");
    for (const f of [
      "messages.json",
      "response-1.txt",
      "tool_calls.json",
      "tool_results.json",
      "checkpoint.json",
    ]) {
      expect(existsSync(join(turnDir, f)), f).toBe(true);
    }
    const checkpoint = JSON.parse(readFileSync(join(turnDir, "checkpoint.json"), "utf8"));
    expect(checkpoint).toMatchObject({
      outcome: "ok",
      state_delta: { from: "in_progress", to: "code_review" },
      model_ref: p.model,
    });
    expect(checkpoint.prompt_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(checkpoint.telemetry[0].init_latency).not.toBeNull();
    const events = readFileSync(join(summary.run_dir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.at(-1)).toMatchObject({ type: "run_finished", status: "done", v: 1 });
  });

  it("running the same epic again keeps the cards instead of duplicating them", async () => {
    const p = project([coderDone, reviewerPass, guardDone]);
    const first = await run(p, "hello-python");
    const second = await run(p, "hello-python");
    expect(second.build_id).toBe(first.build_id);
    expect(second.turns).toBe(0);
    expect(second.status).toBe("done");
    const s = stores(p);
    expect(s.cards.getIssues(first.build_id)).toHaveLength(1);
    s.close();
  });

  it("a contract violation is fixed by the one corrective reprompt", async () => {
    const p = project([
      answer(call("write_file", { path: "greet.py", content: GREET })),
      "I have written greet.py.",
      answer(status("code_review")),
      reviewerPass,
      guardDone,
    ]);
    const events: string[] = [];
    const summary = await run(p, "hello-python", { onEvent: (e) => events.push(e.type) });
    expect(summary.status).toBe("done");
    expect(events.filter((t) => t === "corrective_reprompt")).toHaveLength(1);
    const messages = JSON.parse(
      readFileSync(join(summary.run_dir, "turns", "greet", "001-coder", "messages.json"), "utf8"),
    );
    const last = messages.filter((m: { role: string }) => m.role === "user").at(-1);
    expect(last.content).toMatch(/did not meet its contract[\s\S]*move the issue to code_review/);
  });

  it("a violation the reprompt does not fix fails the turn; out of retries the card is blocked", async () => {
    const p = project(["Sure, I can help.", "Still no tools.", "Nope.", "Nothing."]);
    const summary = await run(p, "hello-python");
    expect(summary.status).toBe("incomplete");
    expect(summary.issues[0]).toMatchObject({
      id: "greet",
      status: "blocked",
      wait_reason: "system",
      attempts: 2,
    });
    const s = stores(p);
    expect(s.runs.listLedger(summary.run_id).map((l) => l.error_code)).toEqual([
      "CONTRACT_VIOLATION",
      "CONTRACT_VIOLATION",
    ]);
    s.close();
  });

  it("a guard rejection costs an attempt and sends the card back to be redone", async () => {
    const p = project([
      coderDone,
      reviewerPass,
      answer(comment("Wrong approach."), status("guard_rejected")),
      coderDone,
      reviewerPass,
      guardDone,
    ]);
    const summary = await run(p, "hello-python");
    expect(summary.status).toBe("done");
    expect(summary.issues[0]).toMatchObject({ attempts: 1, status: "done" });
  });

  it("a dependency chain runs in order", async () => {
    const step = (file: string, content: string) =>
      answer(call("write_file", { path: file, content }), status("code_review"));
    const p = project([
      step("requirements.md", "1. count lines\n"),
      reviewerPass,
      guardDone,
      step("design.md", "main() reads stdin\n"),
      reviewerPass,
      guardDone,
      step("wc.py", "import sys\n"),
      reviewerPass,
      guardDone,
    ]);
    const summary = await run(p, "word-count-cli");
    expect(summary.status).toBe("done");
    const s = stores(p);
    const order = s.runs.listLedger(summary.run_id).map((l) => l.issue_id);
    expect(order).toEqual([
      "requirements",
      "requirements",
      "requirements",
      "design",
      "design",
      "design",
      "implement",
      "implement",
      "implement",
    ]);
    s.close();
  });

  it("a blocked dependency blocks what depends on it, with reason dependency", async () => {
    const p = project(["no", "no", "no", "no"]);
    const summary = await run(p, "word-count-cli");
    expect(summary.status).toBe("incomplete");
    const byId = Object.fromEntries(summary.issues.map((i) => [i.id, i]));
    expect(byId.requirements).toMatchObject({ status: "blocked", wait_reason: "system" });
    expect(byId.design).toMatchObject({ status: "blocked", wait_reason: "dependency" });
    expect(byId.implement).toMatchObject({ status: "blocked", wait_reason: "dependency" });
  });

  it("a provider error mid-epic fails that card with its code, and the card is retried", async () => {
    const p = project([
      { error: { code: "SERVER_ERROR", message: "server reported an error: model crashed" } },
      coderDone,
      reviewerPass,
      guardDone,
    ]);
    const summary = await run(p, "hello-python");
    expect(summary.status).toBe("done");
    const s = stores(p);
    expect(s.runs.listLedger(summary.run_id)[0]).toMatchObject({
      outcome: "provider_error",
      error_code: "SERVER_ERROR",
    });
    s.close();
  });

  it("a tool the role may not use is a violation that blocks the card", async () => {
    const p = project([answer(call("create_issue", { id: "extra", summary: "x", seat: "coder" }))]);
    const summary = await run(p, "hello-python");
    expect(summary.issues[0]).toMatchObject({ status: "blocked", wait_reason: "review" });
    const s = stores(p);
    expect(s.runs.listLedger(summary.run_id)[0]).toMatchObject({
      outcome: "tool_violation",
      error_code: "TOOL_NOT_ALLOWED",
    });
    s.close();
  });

  it("an escape from the workspace is a violation that blocks the card, and nothing is written outside", async () => {
    const p = project([answer(call("write_file", { path: "../../escaped.py", content: "x" }))]);
    const summary = await run(p, "hello-python");
    expect(summary.issues[0]).toMatchObject({ status: "blocked", wait_reason: "review" });
    expect(existsSync(join(summary.workspace, "escaped.py"))).toBe(false);
    expect(existsSync(join(p.dir, "workspace", "escaped.py"))).toBe(false);
  });

  it("only the integrity guard may close: a coder setting done is a state violation", async () => {
    const p = project([answer(call("write_file", { path: "greet.py", content: GREET }), status("done"))]);
    const summary = await run(p, "hello-python");
    const s = stores(p);
    expect(s.runs.listLedger(summary.run_id)[0]).toMatchObject({
      outcome: "tool_violation",
      error_code: "STATE_VIOLATION",
    });
    expect(s.cards.listTransactions(summary.build_id, "greet").some((t) => t.to === "done")).toBe(false);
    s.close();
  });

  it("an interceptor can short-circuit a turn, and that is recorded", async () => {
    const p = project([coderDone]);
    const seen: string[] = [];
    const summary = await run(p, "hello-python", {
      interceptors: [
        {
          name: "budget",
          before_prompt: () => ({ shortCircuit: { reason: "token budget spent" } }),
          on_turn_failure: (_ctx, failure) => {
            seen.push(failure.code);
          },
        },
      ],
      maxIterations: 1,
    });
    expect(seen).toEqual(["INTERCEPTED"]);
    const events = readFileSync(join(summary.run_dir, "events.jsonl"), "utf8");
    expect(events).toMatch(
      /"type":"interceptor_short_circuit".*"interceptor":"budget".*"reason":"token budget spent"/,
    );
  });

  it("an unknown epic and a broken config file give one clear error naming the file and field", async () => {
    const p = project(
      [],
      [{ id: "bad", title: "Bad", team: "standard", issues: [{ id: "a", seat: "pilot", summary: "x" }] }],
    );
    await expect(run(p, "bad")).rejects.toThrow(
      /orket\/epics\/bad\.json: issues\.0\.seat: team "standard" has no seat "pilot"/,
    );
    await expect(run(project([]), "nope")).rejects.toThrow(/no epic named "nope"/);
  });
});
