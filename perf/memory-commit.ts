/**
 * Memory commit throughput: N commits of 1–3 writes each through the full open → stage → prepare →
 * apply path of the commit buffer, on a real SQLite file (WAL) in a fresh temp dir, in three settings:
 *   durable      `CommitBuffer({durable: true})`: synchronous = FULL, but open/stage/prepare commit
 *                without an fsync, so the one fsync per commit is apply's (what Orket runs);
 *   FULL always  synchronous = FULL on every one of the commit's 3 + writes transactions;
 *   NORMAL       synchronous = NORMAL: no fsync on commit (WAL is synced at checkpoints only).
 * Target: median under 5 ms per commit, durable. One fsync's cost on the disk is printed beside it.
 *
 *   npx tsx perf/memory-commit.ts [--commits 500] [--dir <parent dir>]
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 } from "../src/core/shared/random.js";
import { CommitBuffer } from "../src/memory/commit-buffer.js";
import type { MemoryWrite } from "../src/spec/memory.js";
import { openDatabase } from "../src/store/db.js";

const TARGET_MS = 5;
const WARMUP = 20;
const NOUNS = ["cache", "parser", "ledger", "schema", "adapter", "lease", "snapshot", "index", "trace"];

interface Options {
  commits: number;
  dir: string;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { commits: 500, dir: tmpdir() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--commits") {
      options.commits = Number(argv[++i]);
      if (!Number.isInteger(options.commits) || options.commits <= 0)
        throw new Error("--commits needs N > 0");
    } else if (arg === "--dir") options.dir = argv[++i] ?? options.dir;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** 1–3 writes a turn might make, the same for every run (seeded). */
function payload(next: () => number, index: number): MemoryWrite[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  return Array.from({ length: 1 + Math.floor(next() * 3) }, (_, w) => ({
    namespace: next() < 0.5 ? "decisions" : "notes",
    record_type: next() < 0.5 ? "decision" : "note",
    content: `commit ${index} write ${w}: keep the ${pick(NOUNS)} ${pick(NOUNS)} because ${pick(NOUNS)} ${"x".repeat(Math.floor(next() * 200))}`,
    tags: [pick(NOUNS), pick(NOUNS)],
    trust: "medium",
  }));
}

/** The disk's own floor: one durable commit cannot be cheaper than one fsync. */
function fsyncMs(parent: string): number {
  const dir = mkdtempSync(join(parent, "orket-fsync-"));
  const fd = openSync(join(dir, "probe"), "w");
  const times: number[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      writeSync(fd, Buffer.alloc(4096, i));
      const t0 = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return quantile(
    [...times].sort((x, y) => x - y),
    0.5,
  );
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

type Setting = "durable" | "FULL always" | "NORMAL";

function run(setting: Setting, options: Options) {
  const dir = mkdtempSync(join(options.dir, "orket-commit-bench-"));
  const db = openDatabase(join(dir, "orket.db"));
  try {
    const buffer = new CommitBuffer(db, { owner: "bench", durable: setting === "durable" });
    if (setting !== "durable") db.pragma(`synchronous = ${setting === "NORMAL" ? "NORMAL" : "FULL"}`);
    const mode = db.pragma("journal_mode", { simple: true });
    const next = mulberry32(42);
    const times: number[] = [];
    let writes = 0;
    for (let i = 0; i < WARMUP + options.commits; i++) {
      const batch = payload(next, i);
      const t0 = performance.now();
      const id = buffer.open({ runId: "bench" });
      for (const write of batch) buffer.stage(id, write);
      const { payload_fingerprint } = buffer.prepare(id);
      const outcome = buffer.apply(id, { expectedFingerprint: payload_fingerprint });
      if (outcome.state !== "commit_applied") throw new Error(`${id}: ${outcome.reason}`);
      if (i >= WARMUP) {
        times.push(performance.now() - t0);
        writes += batch.length;
      }
    }
    const wall = times.reduce((sum, t) => sum + t, 0);
    const sorted = [...times].sort((x, y) => x - y);
    const head = buffer.memory.head();
    if (head.seq !== WARMUP + options.commits) throw new Error(`head is ${head.seq}, expected every commit`);
    return {
      setting,
      mode,
      median: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? Number.NaN,
      perSecond: (options.commits / wall) * 1000,
      writes,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const options = parseArgs(process.argv.slice(2));
console.log(
  `Memory commit buffer: ${options.commits} commits of 1–3 writes (open → stage → prepare → apply), ` +
    `after ${WARMUP} warm-up, on a SQLite file under ${options.dir}`,
);
console.log(`  one fdatasync of a 4 KiB append there: median ${fsyncMs(options.dir).toFixed(2)} ms`);
const results = (["durable", "FULL always", "NORMAL"] as const).map((setting) => run(setting, options));
for (const r of results) {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  console.log(
    `  ${r.setting.padEnd(11)} (${r.mode}): median ${ms(r.median)}, p90 ${ms(r.p90)}, ` +
      `p99 ${ms(r.p99)}, max ${ms(r.max)}; ${r.perSecond.toFixed(0)} commits/s ` +
      `(${r.writes} writes)`,
  );
}
const full = results[0];
if (full) {
  const verdict = full.median < TARGET_MS ? "meets" : "MISSES";
  console.log(`  durable median ${full.median.toFixed(2)} ms ${verdict} the < ${TARGET_MS} ms target`);
}
