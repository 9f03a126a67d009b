import { describe, expect, it } from "vitest";
import { openDatabase } from "../store/db.js";
import {
  EMPTY_SNAPSHOT_ID,
  MemoryStore,
  MemoryValidationError,
  normalizeQuery,
  parseMemoryWrite,
  recordIdFor,
} from "./memory-store.js";

const NOW = new Date("2026-11-21T00:00:00.000Z");
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

function store() {
  return new MemoryStore(openDatabase(":memory:"));
}

const w = (content: string, extra: Record<string, unknown> = {}) =>
  parseMemoryWrite({ namespace: "decisions", content, ...extra });

describe("MemoryStore", () => {
  it("starts at snapshot 0, the empty memory, and each apply makes the next snapshot", () => {
    const m = store();
    expect(m.head()).toEqual({ seq: 0, snapshot_id: EMPTY_SNAPSHOT_ID });
    const first = m.applyWrites([w("use argparse for flags")], { now: NOW });
    expect(first).toMatchObject({ advanced: true, snapshot: { seq: 1 } });
    expect(first.snapshot.snapshot_id).toMatch(/^mem-[0-9a-f]{32}$/);
    const second = m.applyWrites([w("tests use pytest")], { now: NOW });
    expect(second.snapshot.seq).toBe(2);
    expect(m.records(1).map((r) => r.content)).toEqual(["use argparse for flags"]);
    expect(
      m
        .records()
        .map((r) => r.content)
        .sort(),
    ).toEqual(["tests use pytest", "use argparse for flags"]);
  });

  it("snapshot ids depend on contents only: two databases given the same writes agree", () => {
    const a = store();
    const b = store();
    a.applyWrites([w("one")], { now: NOW });
    b.applyWrites([w("one")], { now: later(3600) });
    expect(a.head()).toEqual(b.head());
    a.applyWrites([w("two")], { now: NOW });
    b.applyWrites([w("three")], { now: NOW });
    expect(a.head().snapshot_id).not.toBe(b.head().snapshot_id);
  });

  it("a record already remembered is not written twice, and the head does not move", () => {
    const m = store();
    m.applyWrites([w("same"), w("same")], { now: NOW });
    const again = m.applyWrites([w("same")], { now: NOW });
    expect(again).toMatchObject({ advanced: false, inserted: [], snapshot: { seq: 1 } });
    expect(m.records()).toHaveLength(1);
  });

  it("record ids are content fingerprints: tag order and duplicates do not matter, trust does", () => {
    expect(recordIdFor(w("x", { tags: ["b", "a", "a"] }))).toBe(recordIdFor(w("x", { tags: ["a", "b"] })));
    expect(recordIdFor(w("x", { trust: "high" }))).not.toBe(recordIdFor(w("x")));
  });

  it("ranks by BM25, best first, ranks from 1, and breaks ties by record id", () => {
    const m = store();
    m.applyWrites(
      [
        w("argparse argparse argparse handles the flags"),
        w("argparse is mentioned once among many other words about the program layout"),
        w("nothing relevant here"),
        w("tie alpha"),
        w("tie beta"),
      ],
      { now: NOW },
    );
    const result = m.search({ text: "argparse", asOf: NOW });
    expect(result.candidate_count).toBe(2);
    expect(result.hits.map((h) => h.rank)).toEqual([1, 2]);
    expect(result.hits[0]?.record.content).toContain("argparse argparse");
    expect(result.hits[0]?.score).toBeGreaterThan(result.hits[1]?.score ?? Number.POSITIVE_INFINITY);
    const ties = m.search({ text: "tie", asOf: NOW }).hits;
    const ids = ties.map((h) => h.record.record_id);
    expect(ids).toEqual([...ids].sort());
  });

  it("applies and states every filter: namespace, all tags, minimum trust, scope and expiry", () => {
    const m = store();
    m.applyWrites(
      [
        w("cache the parser", { tags: ["perf", "parser"], trust: "high" }),
        w("cache the results", { tags: ["perf"], trust: "low" }),
        parseMemoryWrite({ namespace: "notes", content: "cache nothing" }),
        w("cache per epic", { scope: "epic:demo" }),
        w("cache briefly", { ttl_seconds: 60 }),
      ],
      { now: NOW },
    );
    const texts = (q: Parameters<MemoryStore["search"]>[0]) =>
      m
        .search(q)
        .hits.map((h) => h.record.content)
        .sort();
    expect(texts({ text: "cache", asOf: NOW })).toHaveLength(5);
    expect(texts({ text: "cache", asOf: NOW, namespaces: ["notes"] })).toEqual(["cache nothing"]);
    expect(texts({ text: "cache", asOf: NOW, tags: ["perf", "parser"] })).toEqual(["cache the parser"]);
    expect(texts({ text: "cache", asOf: NOW, minTrust: "medium" })).toEqual(["cache the parser"]);
    expect(texts({ text: "cache", asOf: NOW, scopes: ["project"] })).not.toContain("cache per epic");
    expect(texts({ text: "cache", asOf: later(61) })).not.toContain("cache briefly");
    expect(texts({ text: "cache", asOf: later(61), includeExpired: true })).toContain("cache briefly");
    const stated = m.search({
      text: "cache",
      asOf: NOW,
      namespaces: ["notes", "decisions", "notes"],
      minTrust: "low",
    });
    expect(stated.applied_filters).toEqual({
      namespace: ["decisions", "notes"],
      tags: null,
      trust: "low",
      scope: null,
      ttl: { exclude_expired: true, as_of: NOW.toISOString() },
    });
  });

  it("an expired record written again comes back with a fresh expiry", () => {
    const m = store();
    m.applyWrites([w("short lived", { ttl_seconds: 60 })], { now: NOW });
    expect(m.search({ text: "short", asOf: later(120) }).hits).toHaveLength(0);
    const again = m.applyWrites([w("short lived", { ttl_seconds: 60 })], { now: later(120) });
    expect(again.advanced).toBe(true);
    expect(m.search({ text: "short", asOf: later(150) }).hits).toHaveLength(1);
    expect(m.records()).toHaveLength(1);
  });

  it("reads at a pinned snapshot: later records are invisible to it", () => {
    const m = store();
    m.applyWrites([w("first decision")], { now: NOW });
    m.applyWrites([w("second decision")], { now: NOW });
    expect(m.search({ text: "decision", asOf: NOW, snapshotSeq: 1 }).hits).toHaveLength(1);
    expect(m.search({ text: "decision", asOf: NOW }).hits).toHaveLength(2);
    expect(() => m.search({ text: "decision", asOf: NOW, snapshotSeq: 9 })).toThrow(/no memory snapshot 9/);
  });

  it("query text is normalized: NFC, lowercase, words only, so FTS5 syntax cannot be injected", () => {
    expect(normalizeQuery("Café  CAFE\u0301 cafe")).toEqual(["café", "cafe"]);
    expect(normalizeQuery('"quoted" NEAR(a b) col:term * -x')).toEqual([
      "quoted",
      "near",
      "a",
      "b",
      "col",
      "term",
      "x",
    ]);
    const m = store();
    m.applyWrites([w("near the col term")], { now: NOW });
    expect(m.search({ text: 'NEAR(") col:term *', asOf: NOW }).hits).toHaveLength(1);
    const empty = m.search({ text: "?!", asOf: NOW });
    expect(empty).toMatchObject({ tokens: [], candidate_count: 0, hits: [] });
  });

  it("the same query and filters give the same fingerprint; different ones do not", () => {
    const m = store();
    const a = m.search({ text: "Flags, argparse", asOf: NOW }).query_fingerprint;
    const b = m.search({ text: "flags argparse!", asOf: later(10) }).query_fingerprint;
    const c = m.search({ text: "flags argparse", asOf: NOW, namespaces: ["notes"] }).query_fingerprint;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it("a bad write names the field", () => {
    expect(() => parseMemoryWrite({ namespace: "Bad Space", content: "x" })).toThrow(MemoryValidationError);
    expect(() => parseMemoryWrite({ namespace: "ok", content: "" })).toThrow(/memory write: content:/);
    expect(() => parseMemoryWrite({ namespace: "ok", content: "x", scope: "galaxy" })).toThrow(/scope/);
  });
});
