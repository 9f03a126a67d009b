import { describe, expect, it } from "vitest";
import {
  findKnee,
  levelFigures,
  meetsSlo,
  parseDuration,
  parseLevels,
  parseSlo,
  percentiles,
  type RequestSample,
} from "./concurrency.js";

const sample = (over: Partial<RequestSample> = {}): RequestSample => ({
  ok: true,
  error_code: null,
  ttft_ms: 100,
  e2e_ms: 1000,
  itl_ms: [10, 20, 30],
  tpot_ms: 20,
  output_tokens: 4,
  prompt_tokens: 50,
  ...over,
});

describe("the concurrency sweep's arithmetic", () => {
  it("takes percentiles by linear interpolation, and none of nothing", () => {
    expect(percentiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual({
      p50: 5.5,
      p90: 9.1,
      p99: 9.91,
      samples: 10,
    });
    expect(percentiles([])).toEqual({ p50: null, p90: null, p99: null, samples: 0 });
  });

  it("counts throughput over the level's wall time, and goodput only for requests within every limit", () => {
    const samples = [
      sample(),
      sample({ ttft_ms: 900 }), // too slow to first token
      sample({ tpot_ms: 80 }), // too slow between tokens
      sample({
        ok: false,
        error_code: "TIMEOUT",
        ttft_ms: null,
        itl_ms: [],
        tpot_ms: null,
        output_tokens: null,
      }),
    ];
    const row = levelFigures(samples, 2, { ttft_ms: 500, itl_ms: 50 });
    expect(row).toMatchObject({ requests: 4, ok: 3, errors: 1, error_codes: { TIMEOUT: 1 } });
    expect(row.output_tokens).toBe(12);
    expect(row.output_tokens_per_second).toBe(6);
    expect(row.requests_per_second).toBe(1.5);
    expect(row.goodput_rps).toBe(0.5);
    expect(row.slo_met_share).toBe(0.25);
    // p90 TTFT of the answered requests (100, 900, 100) is over 500 ms: the level breaks the SLO.
    expect(row.slo_broken).toBe(true);
    expect(row.itl_ms.samples).toBe(9);
  });

  it("leaves goodput null with a reason without an SLO, and token totals null when a response had no usage", () => {
    const row = levelFigures([sample(), sample({ output_tokens: null })], 1, null);
    expect(row.goodput_rps).toBeNull();
    expect(row.null_reasons.goodput_rps).toMatch(/no --slo/);
    expect(row.output_tokens).toBeNull();
    expect(row.null_reasons.output_tokens).toMatch(/usage/);
    expect(meetsSlo(sample({ ok: false }), { ttft_ms: null, itl_ms: null })).toBe(false);
  });

  it("finds the knee: p90 TTFT over twice the first level's, or the first level that breaks the SLO", () => {
    const row = (concurrency: number, p90: number | null, slo_broken: boolean | null = null) => ({
      concurrency,
      ttft_ms: { p50: p90, p90, p99: p90, samples: 1 },
      slo_broken,
    });
    expect(findKnee([row(1, 20), row(2, 30), row(4, 41), row(8, 90)]).concurrency).toBe(4);
    expect(findKnee([row(1, 20), row(2, 30, true), row(4, 41)]).concurrency).toBe(2);
    const none = findKnee([row(1, 20), row(2, 40)]);
    expect(none.concurrency).toBeNull();
    expect(none.reason).toMatch(/no level/);
    expect(findKnee([]).concurrency).toBeNull();
  });

  it("parses --slo, --levels and --duration, naming what is wrong", () => {
    expect(parseSlo("ttft:500ms,itl:0.05s")).toEqual({ ttft_ms: 500, itl_ms: 50 });
    expect(() => parseSlo("ttft:fast")).toThrow(/--slo "ttft:fast"/);
    expect(() => parseSlo("ttft:1ms,ttft:2ms")).toThrow(/twice/);
    expect(parseLevels("8,1,2")).toEqual([1, 2, 8]);
    expect(() => parseLevels("1,x")).toThrow(/--levels "x"/);
    expect(parseDuration("2m")).toBe(120);
    expect(parseDuration("90")).toBe(90);
    expect(() => parseDuration("soon")).toThrow(/--duration "soon"/);
  });
});
