/**
 * Model selection per role and adaptive routing: `orket select` turns sweep summaries into
 * `orket/preferences.json`, and `orket run` sends each seat to its role's model, recording why. The
 * models are scripted cassettes, one per "model", so which model served a turn is visible.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseForRole, DEFAULT_ROLE_POLICIES } from "../src/core/lab/model-selection.js";
import { selectModels } from "../src/lab/select.js";
import { runEpic } from "../src/runtime/orchestrator.js";
import { type SweepRow, type SweepSummary, SweepSummarySchema } from "../src/spec/lab.js";
import { runCli } from "./support/run-cli.js";
import { answer, call, writeScript } from "./support/script-cassette.js";

const GREET = "def greet(name: str) -> str:\n    return f\"Hello, {name or 'world'}!\"\n";
const status = (s: string) => call("update_issue_status", { status: s });

function row(
  quant: string,
  model: string,
  adherence: number | null,
  latency: number | null,
  valid = true,
): SweepRow {
  return {
    quant_tag: quant,
    model_ref: model,
    model_size_bytes: 1000,
    adherence_score: adherence,
    pass_rate: adherence,
    total_latency: latency,
    init_latency: 0.1,
    peak_memory_rss: 100,
    generation_tokens_per_second: 20,
    orchestration_overhead_ratio: 0.01,
    run_quality_status: valid ? "CLEAN" : "POLLUTED",
    run_quality_reasons: valid ? [] : ["COLD_MODEL_LOAD"],
    valid,
    test_runs: 4,
    valid_runs: valid ? 4 : 0,
    report_path: null,
    hardware_sidecar: null,
    guards: [],
    null_reasons: {},
  };
}

function sweep(rows: SweepRow[]): SweepSummary {
  return SweepSummarySchema.parse({
    schema_version: "orket.sweep.v1",
    kind: "quant",
    generated_at: "2026-11-21T00:00:00.000Z",
    execution_lane: "lab",
    vram_profile: "balanced",
    model_family: "test",
    settings: {
      bank: "builtin",
      tasks: null,
      runs_per_task: 2,
      seed: 42,
      temperature: 0,
      adherence_threshold: 0.9,
      latency_ceiling: null,
      include_invalid: false,
    },
    canary: {
      decision: "skip",
      reason: "test",
      model_ref: null,
      runs: 0,
      adherence_spread: null,
      model_time_cv: null,
      thresholds: { adherence_spread: 0.05, model_time_cv: 0.35 },
    },
    rows,
    efficiency_frontier: {
      minimum_viable_quant: null,
      best_value_quant: null,
      adherence_threshold: 0.9,
      latency_ceiling: null,
      reason: "test",
      pareto: [],
    },
    recommendation: "test",
    stability_kpis: {
      determinism_rate: null,
      missing_telemetry_rate: null,
      polluted_run_rate: null,
      frontier_success_rate: null,
    },
    hardware_fingerprint: {
      fingerprint: "abc123",
      platform: "linux",
      arch: "x64",
      cpu_model: "test",
      core_count: 2,
      total_memory_mib: 1024,
      gpu_backend: "cpu",
      gpu_name: null,
      gpu_vram_total_mb: null,
      gpu_driver: null,
    },
    commit_sha: null,
    null_reasons: {},
    timing: { total_seconds: 1, benchmark_seconds: 1 },
  });
}

describe("choosing a model per role", () => {
  const coder = DEFAULT_ROLE_POLICIES.coder as NonNullable<typeof DEFAULT_ROLE_POLICIES.coder>;
  const candidates = [
    row("q8_0", "m/q8", 0.96, 4.0),
    row("q4_K_M", "m/q4", 0.92, 2.0),
    row("q2_K", "m/q2", 0.7, 1.0),
    row("polluted", "m/fast-but-polluted", 1, 0.5, false),
  ].map((r) => ({ ...r, source: "s.json" }));

  it("prefers adherence for the coder, speed for the reviewer, and never picks an invalid row", () => {
    expect(chooseForRole("coder", coder, candidates).chosen?.model_ref).toBe("m/q8");
    const reviewer = chooseForRole("reviewer", DEFAULT_ROLE_POLICIES.reviewer ?? coder, candidates);
    expect(reviewer.chosen?.model_ref).toBe("m/q4");
    expect(reviewer.reason).toMatch(
      /fastest of 2 model\(s\) meeting adherence 0\.8; 1 other\(s\) fell short/,
    );
  });

  it("a latency ceiling changes the coder's choice; an impossible policy chooses nothing and says why", () => {
    expect(chooseForRole("coder", { ...coder, max_latency: 3 }, candidates).chosen?.model_ref).toBe("m/q4");
    const none = chooseForRole("coder", { ...coder, min_adherence: 0.99 }, candidates);
    expect(none.chosen).toBeNull();
    expect(none.reason).toBe("no model reached adherence 0.99; the best was m/q8 at 0.96 in 4 s");
  });
});

describe("adaptive routing in orket run", () => {
  function project() {
    const dir = mkdtempSync(join(tmpdir(), "orket-routing-"));
    const coderModel = writeScript(join(dir, "coder-model.jsonl"), [
      answer(call("write_file", { path: "greet.py", content: GREET }), status("code_review")),
    ]);
    const otherModel = writeScript(join(dir, "other-model.jsonl"), [
      answer(call("add_issue_comment", { body: "ok" }), status("awaiting_guard_review")),
      answer(status("done")),
    ]);
    const summary = join(dir, "sweep_summary.json");
    writeFileSync(
      summary,
      JSON.stringify(sweep([row("q8_0", `replay/${coderModel}`, 0.95, 3), row("q4", "replay/slow", 0.5, 9)])),
    );
    return { dir, coderModel, otherModel, summary, home: join(dir, ".orket") };
  }

  it("orket select writes preferences; the run routes the coder seat to its model with the reason", async () => {
    const p = project();
    const selected = await runCli(["select", "--sweep", p.summary, "--project", p.dir, "--role", "coder"]);
    expect(selected.code, selected.stderr).toBe(0);
    expect(selected.stdout).toContain(`replay/${p.coderModel}`);
    const prefs = JSON.parse(readFileSync(join(p.dir, "orket", "preferences.json"), "utf8"));
    expect(prefs.roles.coder.model_ref).toBe(`replay/${p.coderModel}`);
    expect(prefs.hardware_fingerprint).toBe("abc123");

    // Other roles have no preference: they use the epic environment's model.
    mkdirSync(join(p.dir, "orket", "environments"), { recursive: true });
    writeFileSync(
      join(p.dir, "orket", "environments", "default.json"),
      JSON.stringify({ name: "default", model: `replay/${p.otherModel}` }),
    );
    const events: Array<{ type: string; [k: string]: unknown }> = [];
    const summary = await runEpic({
      projectDir: p.dir,
      home: p.home,
      epicId: "hello-python",
      concurrency: 1,
      providers: { replayPacing: "instant" },
      onEvent: (e) => events.push(e as never),
    });
    expect(summary.status).toBe("done");
    expect(summary.routing.coder?.model_ref).toBe(`replay/${p.coderModel}`);
    expect(summary.routing.coder?.reason).toMatch(/^orket\/preferences\.json: .*adherence 0\.95/);
    expect(summary.routing.reviewer).toEqual({
      model_ref: `replay/${p.otherModel}`,
      reason: "orket/preferences.json has no model for reviewer; the default environment's model",
    });
    const coderTurn = JSON.parse(
      readFileSync(join(summary.run_dir, "turns", "greet", "001-coder", "checkpoint.json"), "utf8"),
    );
    expect(coderTurn.model_ref).toBe(`replay/${p.coderModel}`);
    expect(events.filter((e) => e.type === "seat_routed").map((e) => e.role)).toEqual([
      "coder",
      "reviewer",
      "integrity_guard",
    ]);
  });

  it("an explicit --model serves every seat; a broken preferences file is refused naming the field", async () => {
    const p = project();
    await selectModels({ projectDir: p.dir, sweeps: [p.summary], roles: ["coder"] });
    const explicit = await runEpic({
      projectDir: p.dir,
      home: p.home,
      epicId: "hello-python",
      model: `replay/${p.otherModel}`,
      concurrency: 1,
      maxIterations: 1,
      providers: { replayPacing: "instant" },
    });
    expect(explicit.routing.coder).toEqual({ model_ref: `replay/${p.otherModel}`, reason: "--model" });
    writeFileSync(
      join(p.dir, "orket", "preferences.json"),
      JSON.stringify({ schema_version: "orket.preferences.v1", generated_at: "x", roles: {} }),
    );
    await expect(
      runEpic({ projectDir: p.dir, home: join(p.dir, ".h2"), epicId: "hello-python", concurrency: 1 }),
    ).rejects.toThrow(/orket\/preferences\.json: generated_at: /);
  });

  it("orket select refuses bad input with one line naming the file or flag", async () => {
    const p = project();
    const missing = await runCli(["select", "--sweep", join(p.dir, "nope.json"), "--project", p.dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^orket: BAD_SELECTION_INPUT: .*nope\.json: no such file\n$/);
    writeFileSync(join(p.dir, "bad.json"), JSON.stringify({ schema_version: "orket.sweep.v1" }));
    const bad = await runCli(["select", "--sweep", join(p.dir, "bad.json"), "--project", p.dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json: kind: /);
    const role = await runCli(["select", "--sweep", p.summary, "--project", p.dir, "--role", "pilot"]);
    expect(role.stderr).toMatch(/--role: no role named "pilot"/);
  });
});
