/**
 * Pure parsers for the GPU vendor tools' output, one sample per GPU per poll (the window summary is in
 * `sidecar-summary.ts`).
 *
 * Vendor tools differ across driver generations: fields appear, get renamed (`clocks_throttle_reasons` →
 * `clocks_event_reasons` in driver 535), or read `[N/A]` / `[Not Supported]` on some boards. A value the
 * tool cannot give becomes null with a `missing:` entry; a value that is not what it should be becomes
 * null with a `parse:` entry. Neither ever fails the whole sample, and the same text always yields the
 * same result.
 */

import { round3 } from "../core/shared/rounding.js";
import type { SidecarBackend, SidecarSample } from "../spec/sidecar.js";
import { THROTTLE_REASONS } from "../spec/sidecar.js";

export const EVENT_REASONS_FIELD = "clocks_event_reasons.active";
/** The name drivers before 535 know the active clock event reasons by. */
export const LEGACY_REASONS_FIELD = "clocks_throttle_reasons.active";

/** The fields the sampler asks `nvidia-smi --query-gpu` for, in column order. */
export const NVIDIA_QUERY_FIELDS: readonly string[] = [
  "name",
  "driver_version",
  "temperature.gpu",
  "memory.used",
  "memory.total",
  "clocks.sm",
  "power.draw",
  "fan.speed",
  "utilization.gpu",
  EVENT_REASONS_FIELD,
];

export function nvidiaQueryArgs(fields: readonly string[]): string[] {
  return [`--query-gpu=${fields.join(",")}`, "--format=csv,noheader,nounits"];
}

/** The field nvidia-smi rejected (`Field "x" is not a valid field to query.`), or null. */
export function invalidNvidiaField(output: string): string | null {
  return /Field "([^"]+)" is not a valid field to query/.exec(output)?.[1] ?? null;
}

/**
 * The field list to retry with after nvidia-smi rejected `invalid`: the legacy name for the event
 * reasons, then none at all (very old drivers). Null when there is nothing sensible to fall back to.
 */
export function fallbackNvidiaFields(fields: readonly string[], invalid: string): string[] | null {
  if (!fields.includes(invalid)) return null;
  if (invalid === EVENT_REASONS_FIELD)
    return fields.map((field) => (field === EVENT_REASONS_FIELD ? LEGACY_REASONS_FIELD : field));
  if (invalid === LEGACY_REASONS_FIELD) return fields.filter((field) => field !== LEGACY_REASONS_FIELD);
  return null;
}

type MeasureKey =
  | "temperature_c"
  | "vram_used_mb"
  | "vram_total_mb"
  | "gpu_clock_mhz"
  | "power_draw_watts"
  | "fan_speed_percent"
  | "utilization_percent";
type FieldTarget =
  | { kind: "text"; key: "gpu_name" | "driver_version" }
  | { kind: "number"; key: MeasureKey }
  | { kind: "reasons" };

const NVIDIA_FIELDS: Record<string, FieldTarget> = {
  name: { kind: "text", key: "gpu_name" },
  driver_version: { kind: "text", key: "driver_version" },
  "temperature.gpu": { kind: "number", key: "temperature_c" },
  "memory.used": { kind: "number", key: "vram_used_mb" },
  "memory.total": { kind: "number", key: "vram_total_mb" },
  "clocks.sm": { kind: "number", key: "gpu_clock_mhz" },
  "clocks.current.sm": { kind: "number", key: "gpu_clock_mhz" },
  "power.draw": { kind: "number", key: "power_draw_watts" },
  "power.draw.average": { kind: "number", key: "power_draw_watts" },
  "power.draw.instant": { kind: "number", key: "power_draw_watts" },
  "fan.speed": { kind: "number", key: "fan_speed_percent" },
  "utilization.gpu": { kind: "number", key: "utilization_percent" },
  [EVENT_REASONS_FIELD]: { kind: "reasons" },
  [LEGACY_REASONS_FIELD]: { kind: "reasons" },
};

/** Every measured sample field; a null one is reported as `missing:` unless a `parse:` entry explains it. */
const MEASURED: readonly (MeasureKey | "throttle_reasons")[] = [
  "fan_speed_percent",
  "gpu_clock_mhz",
  "power_draw_watts",
  "temperature_c",
  "throttle_reasons",
  "utilization_percent",
  "vram_total_mb",
  "vram_used_mb",
];

/** `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `N/A`, empty: the tool has no value to give. */
export function isMissingValue(raw: string): boolean {
  const value = raw.trim();
  return value === "" || /^\[.*\]$/.test(value) || /^n\/a$/i.test(value);
}

/** A number with an optional unit the tool may print without `nounits` (`71.52 W`, `1800Mhz`). */
function parseNumber(raw: string): number | null {
  const match = /^(-?\d+(?:\.\d+)?)\s*(?:w|mib|mb|mhz|%|c)?$/i.exec(raw.trim());
  if (!match?.[1]) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : null;
}

/** Decodes an active-reasons bitmask (`0x0000000000000004`) into sorted names; null if not a bitmask. */
export function decodeThrottleReasons(raw: string): string[] | null {
  const value = raw.trim();
  if (!/^0x[0-9a-f]{1,16}$/i.test(value)) return null;
  let mask = BigInt(value);
  const names: string[] = [];
  for (let bit = 0n; mask > 0n; bit++, mask >>= 1n) {
    if ((mask & 1n) === 0n) continue;
    names.push(THROTTLE_REASONS[Number(bit)] ?? `unknown:0x${(1n << bit).toString(16)}`);
  }
  return names.sort();
}

function clip(raw: string, max = 40): string {
  const flat = raw.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

function emptySample(backend: SidecarBackend, index: number): SidecarSample {
  return {
    backend,
    gpu_index: index,
    gpu_name: null,
    driver_version: null,
    temperature_c: null,
    vram_used_mb: null,
    vram_total_mb: null,
    gpu_clock_mhz: null,
    power_draw_watts: null,
    fan_speed_percent: null,
    utilization_percent: null,
    throttle_reasons: null,
    errors: [],
  };
}

/** Adds `missing:` for each measured field left null without a `parse:` entry, and sorts the errors. */
function finishSample(sample: SidecarSample, parseErrorKeys: Set<string>): SidecarSample {
  const errors = new Set(sample.errors);
  for (const key of MEASURED) {
    if (sample[key] === null && !parseErrorKeys.has(key)) errors.add(`missing:${key}`);
  }
  sample.errors = [...errors].sort();
  return sample;
}

export interface ParsedOutput {
  gpus: SidecarSample[];
  /** Problems that belong to no one GPU (a garbage line, unreadable JSON), sorted. */
  errors: string[];
}

/**
 * Parses `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits`: one sample per GPU line, in
 * the tool's (index) order. A line with the wrong number of columns (a driver warning, garbage) is
 * reported and skipped without shifting the GPUs after it.
 */
export function parseNvidiaSmiCsv(text: string, fields: readonly string[]): ParsedOutput {
  const gpus: SidecarSample[] = [];
  const errors = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const columns = line.split(",");
    if (columns.length !== fields.length) {
      errors.add(`parse:line=${clip(line, 80)}`);
      continue;
    }
    const sample = emptySample("nvidia", gpus.length);
    const parseErrorKeys = new Set<string>();
    fields.forEach((field, i) => {
      const target = NVIDIA_FIELDS[field];
      const raw = (columns[i] ?? "").trim();
      if (target === undefined || isMissingValue(raw)) return;
      if (target.kind === "text") {
        sample[target.key] = raw;
        return;
      }
      const value = target.kind === "number" ? parseNumber(raw) : decodeThrottleReasons(raw);
      const key = target.kind === "number" ? target.key : "throttle_reasons";
      if (value === null) {
        sample.errors.push(`parse:${field}=${clip(raw)}`);
        parseErrorKeys.add(key);
      } else if (target.kind === "number") {
        sample[target.key] = value as number;
      } else {
        sample.throttle_reasons = value as string[];
      }
    });
    gpus.push(finishSample(sample, parseErrorKeys));
  }
  if (gpus.length === 0 && errors.size === 0) errors.add("parse:empty_output");
  return { gpus, errors: [...errors].sort() };
}

const MIB = 1024 * 1024;

type RocmCard = Record<string, unknown>;

/**
 * The key to read a value from: the known names in order of preference, then any key matching the
 * pattern (in the tool's order). A key whose value is present wins over one that reads N/A, so an MI300X
 * whose edge sensor is N/A still reports its junction temperature.
 */
function findKey(card: RocmCard, exact: readonly string[], pattern?: RegExp): string | undefined {
  const keys = [
    ...exact.filter((key) => key in card),
    ...(pattern ? Object.keys(card).filter((key) => pattern.test(key)) : []),
  ];
  return keys.find((key) => rocmText(card[key]) !== null) ?? keys[0];
}

function rocmText(value: unknown): string | null {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string" || isMissingValue(value)) return null;
  return value.trim();
}

/**
 * Parses `rocm-smi --showtemp --showmeminfo vram --showuse --showpower --showclocks --json`. Key names
 * vary across ROCm releases (edge vs junction sensor, average vs current socket power), so each value is
 * looked up by its known names first and then by pattern.
 */
export function parseRocmSmiJson(text: string): ParsedOutput {
  const start = text.indexOf("{");
  let root: unknown;
  try {
    root = start < 0 ? undefined : JSON.parse(text.slice(start));
  } catch {
    root = undefined;
  }
  if (root === null || typeof root !== "object" || Array.isArray(root))
    return { gpus: [], errors: [text.trim() === "" ? "parse:empty_output" : "parse:json"] };
  const entries = Object.entries(root as Record<string, unknown>);
  const system = (root as Record<string, unknown>).system;
  const systemDriver =
    system !== null && typeof system === "object"
      ? rocmText((system as RocmCard)["Driver version"] ?? (system as RocmCard)["Driver Version"])
      : null;
  const cards = entries
    .map(([key, value]) => ({ index: Number(/^card(\d+)$/.exec(key)?.[1] ?? Number.NaN), value }))
    .filter(
      (card): card is { index: number; value: RocmCard } =>
        Number.isInteger(card.index) && card.value !== null && typeof card.value === "object",
    )
    .sort((a, b) => a.index - b.index);
  if (cards.length === 0) return { gpus: [], errors: ["parse:no_cards"] };
  const gpus = cards.map(({ index, value: card }) => {
    const sample = emptySample("amd", index);
    const parseErrorKeys = new Set<string>();
    const read = (key: MeasureKey, found: string | undefined, convert: (raw: string) => number | null) => {
      if (found === undefined) return;
      const raw = rocmText(card[found]);
      if (raw === null) return;
      const value = convert(raw);
      if (value === null) {
        sample.errors.push(`parse:${found}=${clip(raw)}`);
        parseErrorKeys.add(key);
      } else {
        sample[key] = value;
      }
    };
    const bytesToMib = (raw: string) => {
      const bytes = parseNumber(raw);
      return bytes === null ? null : round3(bytes / MIB);
    };
    const mhz = (raw: string) => {
      const match = /(\d+(?:\.\d+)?)\s*mhz/i.exec(raw);
      return match?.[1] ? Number(match[1]) : null;
    };
    read(
      "temperature_c",
      findKey(
        card,
        ["Temperature (Sensor edge) (C)", "Temperature (Sensor junction) (C)"],
        /^temperature \(sensor/i,
      ),
      parseNumber,
    );
    read("vram_total_mb", findKey(card, ["VRAM Total Memory (B)"], /^vram total memory/i), bytesToMib);
    read(
      "vram_used_mb",
      findKey(card, ["VRAM Total Used Memory (B)"], /^vram total used memory/i),
      bytesToMib,
    );
    read("utilization_percent", findKey(card, ["GPU use (%)"], /^gpu use/i), parseNumber);
    read(
      "power_draw_watts",
      findKey(
        card,
        ["Average Graphics Package Power (W)", "Current Socket Graphics Package Power (W)"],
        /^(?!max).*graphics package power/i,
      ),
      parseNumber,
    );
    read("gpu_clock_mhz", findKey(card, ["sclk clock speed:"], /^sclk clock speed/i), mhz);
    read("fan_speed_percent", findKey(card, [], /^fan speed \(%\)/i), parseNumber);
    const nameKey = findKey(card, ["Card Series", "Card series", "Device Name", "Card SKU"]);
    sample.gpu_name = nameKey === undefined ? null : rocmText(card[nameKey]);
    sample.driver_version = rocmText(card["Driver version"]) ?? systemDriver;
    return finishSample(sample, parseErrorKeys);
  });
  return { gpus, errors: [] };
}
