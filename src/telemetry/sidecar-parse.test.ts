import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { summarizeSidecarWindow } from "../core/bench/sidecar-summary.js";
import type { SidecarPoll } from "../spec/sidecar.js";
import { SidecarSampleSchema, SidecarSummarySchema } from "../spec/sidecar.js";
import {
  decodeThrottleReasons,
  EVENT_REASONS_FIELD,
  fallbackNvidiaFields,
  invalidNvidiaField,
  isMissingValue,
  LEGACY_REASONS_FIELD,
  NVIDIA_QUERY_FIELDS,
  nvidiaQueryArgs,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
} from "./sidecar-parse.js";

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../test/fixtures/sidecar/${name}`, import.meta.url)), "utf8");
const LEGACY_FIELDS = fallbackNvidiaFields(NVIDIA_QUERY_FIELDS, EVENT_REASONS_FIELD) ?? [];

function poll(text: string, fields = NVIDIA_QUERY_FIELDS, at = 0): SidecarPoll {
  const { gpus, errors } = parseNvidiaSmiCsv(text, fields);
  return { elapsed_ms: at, duration_ms: 1, gpus, cpu: null, errors };
}

describe("parseNvidiaSmiCsv over driver generations", () => {
  it("reads a recent driver (550, H100) with clocks_event_reasons", () => {
    const { gpus, errors } = parseNvidiaSmiCsv(fixture("nvidia-550-h100-idle.csv"), NVIDIA_QUERY_FIELDS);
    expect(errors).toEqual([]);
    expect(gpus).toEqual([
      {
        backend: "nvidia",
        gpu_index: 0,
        gpu_name: "NVIDIA H100 80GB HBM3",
        driver_version: "550.54.15",
        temperature_c: 34,
        vram_used_mb: 1,
        vram_total_mb: 81559,
        gpu_clock_mhz: 345,
        power_draw_watts: 71.52,
        fan_speed_percent: null,
        utilization_percent: 0,
        throttle_reasons: ["gpu_idle"],
        errors: ["missing:fan_speed_percent"],
      },
    ]);
    expect(SidecarSampleSchema.safeParse(gpus[0]).success).toBe(true);
  });

  it("reads an older driver's clocks_throttle_reasons once the fields fall back", () => {
    expect(LEGACY_FIELDS).toContain(LEGACY_REASONS_FIELD);
    expect(LEGACY_FIELDS).not.toContain(EVENT_REASONS_FIELD);
    for (const name of ["nvidia-525-a100-legacy.csv", "nvidia-470-t4-legacy.csv"]) {
      const { gpus, errors } = parseNvidiaSmiCsv(fixture(name), LEGACY_FIELDS);
      expect(errors).toEqual([]);
      expect(gpus[0]?.throttle_reasons).toEqual(["gpu_idle"]);
      expect(gpus[0]?.errors).toEqual(["missing:fan_speed_percent"]);
    }
  });

  it("recognizes the invalid-field message and falls back in two steps", () => {
    expect(invalidNvidiaField(fixture("nvidia-525-invalid-field.txt"))).toBe(EVENT_REASONS_FIELD);
    expect(invalidNvidiaField(fixture("nvidia-550-h100-idle.csv"))).toBeNull();
    expect(fallbackNvidiaFields(LEGACY_FIELDS, LEGACY_REASONS_FIELD)).toEqual(
      NVIDIA_QUERY_FIELDS.slice(0, -1),
    );
    expect(fallbackNvidiaFields(NVIDIA_QUERY_FIELDS, "temperature.gpu")).toBeNull();
    expect(fallbackNvidiaFields(NVIDIA_QUERY_FIELDS, "not.asked")).toBeNull();
    expect(nvidiaQueryArgs(["name", "memory.used"])).toEqual([
      "--query-gpu=name,memory.used",
      "--format=csv,noheader,nounits",
    ]);
  });

  it("reads a GeForce with a fan, and no throttle reasons active", () => {
    const [gpu] = parseNvidiaSmiCsv(fixture("nvidia-560-rtx4090.csv"), NVIDIA_QUERY_FIELDS).gpus;
    expect(gpu?.fan_speed_percent).toBe(30);
    expect(gpu?.throttle_reasons).toEqual([]);
    expect(gpu?.errors).toEqual([]);
  });

  it("keeps a laptop's sample when power reads [Not Supported]", () => {
    const [gpu] = parseNvidiaSmiCsv(fixture("nvidia-535-laptop.csv"), NVIDIA_QUERY_FIELDS).gpus;
    expect(gpu?.power_draw_watts).toBeNull();
    expect(gpu?.temperature_c).toBe(52);
    expect(gpu?.errors).toEqual(["missing:fan_speed_percent", "missing:power_draw_watts"]);
  });

  it("gives one sample per GPU in index order", () => {
    const { gpus } = parseNvidiaSmiCsv(fixture("nvidia-545-multi-gpu.csv"), NVIDIA_QUERY_FIELDS);
    expect(gpus.map((gpu) => [gpu.gpu_index, gpu.temperature_c, gpu.vram_used_mb])).toEqual([
      [0, 83, 20311],
      [1, 44, 3],
    ]);
    expect(gpus[0]?.throttle_reasons).toEqual(["hw_thermal_slowdown", "sw_power_cap", "sw_thermal_slowdown"]);
  });

  it("reports a garbage line and a non-numeric value without losing the rest", () => {
    const { gpus, errors } = parseNvidiaSmiCsv(fixture("nvidia-535-garbage.csv"), NVIDIA_QUERY_FIELDS);
    expect(errors).toEqual(["parse:line=WARNING: infoROM is corrupted at gpu 0000:01:00.0"]);
    expect(gpus).toHaveLength(1);
    expect(gpus[0]?.gpu_index).toBe(0);
    expect(gpus[0]?.temperature_c).toBeNull();
    expect(gpus[0]?.vram_used_mb).toBe(512);
    expect(gpus[0]?.errors).toEqual(["parse:temperature.gpu=abc"]);
  });

  it("treats every placeholder as missing, and empty output as a parse error", () => {
    for (const raw of ["[N/A]", "[Not Supported]", "N/A", "[Unknown Error]", "", "  "])
      expect(isMissingValue(raw)).toBe(true);
    expect(isMissingValue("0")).toBe(false);
    expect(parseNvidiaSmiCsv("", NVIDIA_QUERY_FIELDS)).toEqual({ gpus: [], errors: ["parse:empty_output"] });
    const [gpu] = parseNvidiaSmiCsv(
      "X, [Unknown Error], , 1, 2, 3, 4, 5, 6, 0xZZ\n",
      NVIDIA_QUERY_FIELDS,
    ).gpus;
    expect(gpu?.driver_version).toBeNull();
    expect(gpu?.errors).toEqual(["missing:temperature_c", "parse:clocks_event_reasons.active=0xZZ"]);
  });

  it("decodes the reasons bitmask, keeping unknown bits", () => {
    expect(decodeThrottleReasons("0x0000000000000000")).toEqual([]);
    expect(decodeThrottleReasons("0x0000000000000004")).toEqual(["sw_power_cap"]);
    expect(decodeThrottleReasons("0x00000000000001FF")).toHaveLength(9);
    expect(decodeThrottleReasons("0x0000000000000088")).toEqual(["hw_power_brake_slowdown", "hw_slowdown"]);
    expect(decodeThrottleReasons("0x0000000000000300")).toEqual(["display_clock_setting", "unknown:0x200"]);
    expect(decodeThrottleReasons("Not Active")).toBeNull();
  });
});

describe("parseRocmSmiJson over ROCm versions", () => {
  it("reads ROCm 5.7 (edge sensor, average package power)", () => {
    const { gpus, errors } = parseRocmSmiJson(fixture("rocm-5.7-rx7900xtx.json"));
    expect(errors).toEqual([]);
    expect(gpus[0]).toMatchObject({
      backend: "amd",
      gpu_index: 0,
      temperature_c: 45,
      vram_total_mb: 24560,
      vram_used_mb: 13312,
      gpu_clock_mhz: 2482,
      power_draw_watts: 203,
      utilization_percent: 96,
      throttle_reasons: null,
    });
    expect(gpus[0]?.errors).toEqual(["missing:fan_speed_percent", "missing:throttle_reasons"]);
  });

  it("reads ROCm 6.2 (edge N/A → junction, socket power, two cards, system driver)", () => {
    const { gpus } = parseRocmSmiJson(`WARNING: a banner line\n${fixture("rocm-6.2-mi300x.json")}`);
    expect(
      gpus.map((gpu) => [gpu.gpu_index, gpu.temperature_c, gpu.power_draw_watts, gpu.gpu_clock_mhz]),
    ).toEqual([
      [0, 48, 412, 2100],
      [1, 36, 131, 132],
    ]);
    expect(gpus[0]?.vram_total_mb).toBe(196592);
    expect(gpus[0]?.driver_version).toBe("6.8.5");
  });

  it("reports unreadable JSON and a JSON without cards", () => {
    expect(parseRocmSmiJson("{ not json").errors).toEqual(["parse:json"]);
    expect(parseRocmSmiJson('{"system": {}}').errors).toEqual(["parse:no_cards"]);
    expect(parseRocmSmiJson("").errors).toEqual(["parse:empty_output"]);
    const { gpus } = parseRocmSmiJson('{"card0": {"GPU use (%)": "busy", "VRAM Total Memory (B)": 1048576}}');
    expect(gpus[0]?.vram_total_mb).toBe(1);
    expect(gpus[0]?.errors).toContain("parse:GPU use (%)=busy");
  });
});

describe("summarizeSidecarWindow", () => {
  const window = [
    poll(fixture("nvidia-550-h100-idle.csv"), NVIDIA_QUERY_FIELDS, 0),
    poll(fixture("nvidia-550-h100-load.csv"), NVIDIA_QUERY_FIELDS, 100),
    poll(fixture("nvidia-550-h100-load.csv").replace(" 71,", " 69,"), NVIDIA_QUERY_FIELDS, 200),
  ];

  it("takes start/end temperature, VRAM peak and the union of reasons", () => {
    const summary = summarizeSidecarWindow({ backend: "nvidia", intervalMs: 100, polls: window });
    expect(summary).toMatchObject({
      schema_version: "sidecar.parse.v1",
      gpu_index: 0,
      gpu_count: 1,
      gpu_name: "NVIDIA H100 80GB HBM3",
      samples: 3,
      polls: 3,
      polls_failed: 0,
      vram_total_mb: 81559,
      vram_used_mb: 45871,
      vram_peak_mb: 45871,
      thermal_start_c: 34,
      thermal_end_c: 69,
      thermal_peak_c: 71,
      power_draw_watts: 489.92,
      throttle_reasons: ["gpu_idle", "sw_power_cap"],
      sidecar_parse_status: "OPTIONAL_FIELD_MISSING",
      sidecar_parse_errors: ["missing:fan_speed_percent"],
    });
    expect(SidecarSummarySchema.safeParse(summary).success).toBe(true);
  });

  it("is deterministic for the same input", () => {
    const a = summarizeSidecarWindow({ backend: "nvidia", intervalMs: 100, polls: window });
    const b = summarizeSidecarWindow({ backend: "nvidia", intervalMs: 100, polls: structuredClone(window) });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it("is OK when every field is there, and describes the GPU asked for", () => {
    const multi = [poll(fixture("nvidia-545-multi-gpu.csv"))];
    const second = summarizeSidecarWindow({ backend: "nvidia", intervalMs: 100, polls: multi, gpuIndex: 1 });
    expect(second).toMatchObject({ gpu_count: 2, thermal_start_c: 44, sidecar_parse_status: "OK" });
    expect(second.sidecar_parse_errors).toEqual([]);
  });

  it("says PARSE_ERROR for a failed poll and REQUIRED_FIELD_MISSING when nothing was read", () => {
    const failedPoll: SidecarPoll = {
      elapsed_ms: 300,
      duration_ms: 2,
      gpus: [],
      cpu: null,
      errors: ["poll:exit_code_9"],
    };
    const partly = summarizeSidecarWindow({
      backend: "nvidia",
      intervalMs: 100,
      polls: [...window, failedPoll],
    });
    expect(partly.sidecar_parse_status).toBe("PARSE_ERROR");
    expect(partly.polls_failed).toBe(1);
    expect(partly.thermal_end_c).toBe(69);
    expect(partly.sidecar_parse_errors).toEqual(["missing:fan_speed_percent", "poll:exit_code_9"]);

    const none = summarizeSidecarWindow({ backend: "nvidia", intervalMs: 100, polls: [failedPoll] });
    expect(none.sidecar_parse_status).toBe("REQUIRED_FIELD_MISSING");
    expect(none.vram_peak_mb).toBeNull();
    expect(none.sidecar_parse_errors).toEqual([
      "missing:thermal_end_c",
      "missing:thermal_start_c",
      "missing:vram_peak_mb",
      "missing:vram_total_mb",
      "missing:vram_used_mb",
      "poll:exit_code_9",
    ]);
  });

  it("is NOT_APPLICABLE on the CPU backend, with nulls rather than zeros", () => {
    const cpuPoll: SidecarPoll = {
      elapsed_ms: 0,
      duration_ms: 0,
      gpus: [],
      cpu: { process_cpu_percent: 12.5, system_cpu_percent: 40 },
      errors: [],
    };
    const summary = summarizeSidecarWindow({
      backend: "cpu",
      intervalMs: 100,
      polls: [cpuPoll],
      backendReason: "nvidia-smi and rocm-smi not found on PATH",
      timings: { ttft_ms: 123.4567 },
    });
    expect(summary).toMatchObject({
      sidecar_parse_status: "NOT_APPLICABLE",
      sidecar_parse_errors: [],
      gpu_index: null,
      vram_total_mb: null,
      thermal_start_c: null,
      throttle_reasons: null,
      process_cpu_percent_peak: 12.5,
      ttft_ms: 123.457,
    });
  });

  it("bounds the error list, marking what it left out", () => {
    const noisy = Array.from({ length: 100 }, (_, i) => ({
      elapsed_ms: i,
      duration_ms: 1,
      gpus: [],
      cpu: null,
      errors: [`parse:line=junk ${String(i).padStart(3, "0")}`],
    }));
    const summary = summarizeSidecarWindow({ backend: "nvidia", intervalMs: 100, polls: noisy });
    expect(summary.sidecar_parse_errors).toHaveLength(64);
    expect(summary.sidecar_parse_errors.at(-1)).toBe("truncated:+42");
  });
});
