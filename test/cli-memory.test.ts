/**
 * `orket memory check` and `orket memory compare` in real processes: on trace files and run folders,
 * passing and failing, truncated traces, and bad input files (exit 2, one line naming the file).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeTrace } from "../src/memory/trace-file.js";
import { runCli } from "./support/run-cli.js";
import { clone, jsonBytes, makeTraces, writeTurn } from "./support/trace-fixtures.js";

const root = mkdtempSync(join(tmpdir(), "orket-cli-memory-"));
let folders = 0;
const fresh = () => {
  const dir = join(root, `case-${++folders}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const trace = (dir: string) => join(dir, "turns", "greet", "001-coder", "memory_trace.json");

/** A run folder as the runtime lays it out, with the given turns. */
function runFolder(runId: string, keys: string[], events = 8) {
  const dir = join(fresh(), "workspace", "hello-python", "runs", runId);
  for (const key of keys) {
    const { trace: t, retrieval } = makeTraces({ runId, events });
    writeTurn(dir, key, t, retrieval);
  }
  return dir;
}

describe("orket memory check", () => {
  it("passes a good trace, finding the retrieval trace beside it", async () => {
    const dir = runFolder("run-a", ["greet/001-coder"]);
    const result = await runCli(["memory", "check", "--trace", trace(dir)]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("ok: 1 trace, 8 events, 2 retrievals\n");
    expect(result.code).toBe(0);

    const json = await runCli(["memory", "check", "--trace", trace(dir), "--json"]);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ ok: true, traces: [{ turn: "greet/001-coder", ok: true, errors: [] }] });
    expect(parsed.traces[0].retrieval).toMatch(/memory_retrieval_trace\.json$/);
  });

  it("fails a broken trace with one line per error naming the file, path and rule", async () => {
    const dir = fresh();
    const { trace: t, retrieval } = clone(makeTraces());
    (t.events[2] as { index: number }).index = 5;
    const r = retrieval.events[1]?.selected_records[1] as { rank: number };
    r.rank = 9;
    writeTurn(dir, "greet/001-coder", t, retrieval);
    const result = await runCli(["memory", "check", "--trace", trace(dir)]);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n")).toEqual([
      `${trace(dir)}: events[2].index: index_contiguous: is 5, expected 2`,
      `${join(dir, "turns", "greet", "001-coder", "memory_retrieval_trace.json")}: events[1].selected_records[1].rank: rank_contiguous: is 9, expected 2`,
      "",
    ]);
    const json = await runCli(["memory", "check", "--trace", trace(dir), "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).traces[0].errors).toHaveLength(2);
  });

  it("checks every turn of a run folder", async () => {
    const dir = runFolder("run-a", ["greet/001-coder", "greet/002-reviewer", "farewell/001-coder"]);
    const ok = await runCli(["memory", "check", "--trace", dir]);
    expect(ok.stdout).toBe("ok: 3 traces, 24 events, 6 retrievals\n");
    const { trace: t } = makeTraces({ runId: "run-a" });
    t.events[0]?.retrieval_event_ids.push("ghost");
    writeTurn(dir, "greet/002-reviewer", t);
    const bad = await runCli(["memory", "check", "--trace", dir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /greet\/002-reviewer\/memory_trace\.json: events\[0\]\.retrieval_event_ids\[1\]: link_retrieval: /,
    );
  });

  it("accepts a truncated trace within its cap and fails one over the cap", async () => {
    const dir = fresh();
    const { trace: t, retrieval } = makeTraces({ events: 40 });
    const cap = Math.floor(jsonBytes(t) / 2);
    const path = join(dir, "memory_trace.json");
    const written = await writeTrace(path, t, cap);
    await writeTrace(join(dir, "memory_retrieval_trace.json"), retrieval, cap);
    expect(written.truncated).toBe(true);
    const ok = await runCli(["memory", "check", "--trace", path, "--max-trace-bytes", String(cap)]);
    expect(ok.stdout).toBe(`ok: 1 trace, ${written.keptEvents} events, 10 retrievals, 1 truncated\n`);
    const over = await runCli(["memory", "check", "--trace", dir, "--max-trace-bytes", "1000"]);
    expect(over.code).toBe(1);
    expect(over.stdout).toMatch(
      /memory_trace\.json: \$: size_cap: the file is \d+ bytes, over the cap of 1000\n/,
    );
  });
});

describe("orket memory compare", () => {
  it("finds two runs' traces equivalent, file to file and run to run", async () => {
    const a = runFolder("run-a", ["greet/001-coder", "greet/002-reviewer"]);
    const b = runFolder("run-b", ["greet/001-coder", "greet/002-reviewer"]);
    const files = await runCli(["memory", "compare", "--left", trace(a), "--right", trace(b)]);
    expect(files.stdout).toBe("equivalent: 1 turn, 8 events\n");
    expect(files.code).toBe(0);
    const runs = await runCli(["memory", "compare", "--left", a, "--right", b]);
    expect(runs.stdout).toBe("equivalent: 2 turns, 16 events\n");
    const json = await runCli(["memory", "compare", "--left", a, "--right", b, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      equivalent: true,
      turns: 2,
      events: 16,
      retrievals: 4,
      truncated_turns: [],
    });
  });

  it("names the first divergence: turn, event, decision and field", async () => {
    const a = runFolder("run-a", ["greet/001-coder"]);
    const b = runFolder("run-b", ["greet/001-coder"]);
    const { trace: t, retrieval } = makeTraces({ runId: "run-b" });
    const call = t.events[7]?.tool_calls[0];
    if (call) call.side_effect_fingerprint = "changed";
    writeTurn(b, "greet/001-coder", t, retrieval);
    const result = await runCli(["memory", "compare", "--left", a, "--right", b]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^divergent at greet\/001-coder event 7 \(after_tool\/tool_result\) field events\[7\]\.tool_calls\[0\]\.side_effect_fingerprint: left "0+[0-9a-f]+" right "changed"\n$/,
    );
    const json = await runCli(["memory", "compare", "--left", a, "--right", b, "--json"]);
    expect(JSON.parse(json.stdout).divergence).toMatchObject({
      turn: "greet/001-coder",
      scope: "event",
      index: 7,
      left_event_id: "run-a-ev-7",
      right_event_id: "run-b-ev-7",
    });
  });

  it("compares explicit retrieval files", async () => {
    const dir = fresh();
    const a = makeTraces({ runId: "run-a" });
    const b = clone(makeTraces({ runId: "run-b" }));
    (b.retrieval.events[1] as { retrieval_mode: string }).retrieval_mode = "vector";
    for (const [name, value] of Object.entries({
      a: a.trace,
      ar: a.retrieval,
      b: b.trace,
      br: b.retrieval,
    })) {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(value));
    }
    const p = (name: string) => join(dir, `${name}.json`);
    const without = await runCli(["memory", "compare", "--left", p("a"), "--right", p("b")]);
    expect(without.stdout).toBe("equivalent: 1 turn, 8 events\n");
    const result = await runCli([
      "memory",
      "compare",
      "--left",
      p("a"),
      "--right",
      p("b"),
      "--left-retrieval",
      p("ar"),
      "--right-retrieval",
      p("br"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'divergent at a.json retrieval 1 (before_prompt/compile_prompt) field retrieval.events[1].retrieval_mode: left "lexical" right "vector"\n',
    );
  });

  it("reports a turn one run lacks", async () => {
    const a = runFolder("run-a", ["greet/001-coder", "greet/002-reviewer", "greet/003-coder"]);
    const b = runFolder("run-b", ["greet/001-coder", "greet/003-coder"]);
    const result = await runCli(["memory", "compare", "--left", a, "--right", b]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'divergent at greet/002-reviewer turn field turns: left "greet/002-reviewer" right null\n',
    );
  });

  it("refuses a truncated trace against a whole one, and compares kept events of two truncated ones", async () => {
    const dir = fresh();
    const a = makeTraces({ runId: "run-a", events: 40 });
    const b = makeTraces({ runId: "run-b", events: 40 });
    const cap = Math.floor(jsonBytes(a.trace) / 2);
    const whole = join(dir, "a-whole.json");
    await writeTrace(whole, a.trace);
    const cutA = await writeTrace(join(dir, "a-cut.json"), a.trace, cap);
    await writeTrace(join(dir, "b-cut.json"), b.trace, cap);
    const one = await runCli(["memory", "compare", "--left", whole, "--right", join(dir, "b-cut.json")]);
    expect(one.code).toBe(1);
    expect(one.stdout).toBe(
      "divergent at a-whole.json envelope field metadata.truncated: left false right true\n",
    );
    const both = await runCli([
      "memory",
      "compare",
      "--left",
      join(dir, "a-cut.json"),
      "--right",
      join(dir, "b-cut.json"),
    ]);
    expect(both.stdout).toBe(
      `equivalent: 1 turn, ${cutA.keptEvents} events (truncated, kept events only: a-cut.json)\n`,
    );
    expect(both.code).toBe(0);
  });
});

describe("bad input", () => {
  const dir = fresh();
  const good = join(dir, "good.json");
  writeFileSync(good, JSON.stringify(makeTraces().trace));
  const cases: Array<[string, string, RegExp]> = [
    ["missing.json", "", /no such file or folder/],
    ["broken.json", '{"events": [1,]}', /not JSON: .* at line 1 column 15/],
    [
      "v2.json",
      JSON.stringify({
        ...makeTraces().trace,
        determinism_trace_schema_version: "memory.determinism_trace.v2",
      }),
      /determinism_trace_schema_version is "memory.determinism_trace.v2", expected "memory.determinism_trace.v1"/,
    ],
  ];
  for (const [name, content, message] of cases) {
    const path = join(dir, name);
    if (content) writeFileSync(path, content);
    it(`exits 2 with one line naming ${name}, in check and compare`, async () => {
      for (const args of [
        ["memory", "check", "--trace", path],
        ["memory", "compare", "--left", good, "--right", path],
      ]) {
        const result = await runCli(args);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr.split("\n")).toHaveLength(2);
        expect(result.stderr.startsWith(`orket: BAD_TRACE: ${path}: `)).toBe(true);
        expect(result.stderr).toMatch(message);
      }
    });
  }

  it("exits 2 for a schema-invalid trace in compare, a folder without traces, and bad flags", async () => {
    const invalid = join(dir, "invalid.json");
    writeFileSync(invalid, JSON.stringify({ ...makeTraces().trace, events: [{ index: 0 }] }));
    const compare = await runCli(["memory", "compare", "--left", good, "--right", invalid]);
    expect(compare.code).toBe(2);
    expect(compare.stderr).toMatch(
      /^orket: BAD_TRACE: .*invalid\.json: not a valid determinism trace: events\[0\]\.event_id: /,
    );
    const empty = fresh();
    const folder = await runCli(["memory", "check", "--trace", empty]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/not a trace file, a turn folder or a run folder/);
    expect((await runCli(["memory", "compare", "--left", good])).code).toBe(2);
    expect((await runCli(["memory", "check", "--trace", good, "--max-trace-bytes", "0"])).code).toBe(2);
  });
});
