/**
 * `orket lab analyze`: runs the analyzers over a benchmark report (thermal stability across its test
 * runs) or a sweep summary (thermal stability across quantizations, VRAM fragmentation between them),
 * and files each result into the diagnostics history, one folder per hardware fingerprint, lane and
 * VRAM profile: `<home>/diagnostics/<fingerprint>/<lane>-<profile>/<timestamp>-<analyzer>.json`, with an
 * `index.jsonl` line per artifact so the history can be listed without opening every file.
 */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type ThermalPoint,
  type ThermalProfile,
  thermalStabilityProfile,
  type VramProfile,
  vramFragmentationProfile,
} from "../core/lab/analyzers.js";
import type { HardwareFingerprint, SweepSummary } from "../spec/lab.js";
import { SweepSummarySchema } from "../spec/lab.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { type Report, ReportSchema } from "../spec/report.js";
import type { GuardDecision, SidecarSummary } from "../spec/sidecar.js";
import { writeFileAtomic } from "../store/atomic-file.js";
import { SLOWDOWN_REASONS } from "../telemetry/gpu-guards.js";
import { hardwareFingerprint } from "./hardware.js";

export class AnalyzeInputError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_ANALYZE_INPUT: "usage" };
  override readonly code = "BAD_ANALYZE_INPUT";
}

export interface AnalyzeResult {
  source: string;
  fingerprint: HardwareFingerprint;
  analyses: Array<ThermalProfile | VramProfile>;
  written: string[];
}

export async function analyze(options: { path: string; home: string; now?: Date }): Promise<AnalyzeResult> {
  const json = await readJson(options.path);
  const kind = (json as { schema_version?: unknown }).schema_version;
  let lane: string;
  let profile: string;
  let fingerprint: HardwareFingerprint;
  const analyses: Array<ThermalProfile | VramProfile> = [];
  if (kind === "orket.sweep.v1") {
    const sweep = parse(SweepSummarySchema, json, options.path) as SweepSummary;
    ({ execution_lane: lane, vram_profile: profile, hardware_fingerprint: fingerprint } = sweep);
    analyses.push(
      thermalStabilityProfile(
        sweep.rows.map((row) => thermalPoint(row.quant_tag, row.hardware_sidecar ?? null, row.total_latency)),
      ),
      vramFragmentationProfile(
        sweep.rows.map((row) => {
          const preflight = (row.guards as GuardDecision[]).find((g) => g.check === "vram_preflight");
          return {
            quant_tag: row.quant_tag,
            before_mb: numberOf(preflight?.measured.used_mb),
            peak_mb: row.hardware_sidecar?.vram_peak_mb ?? null,
            model_mb: row.model_size_bytes === null ? null : row.model_size_bytes / 2 ** 20,
            total_mb: row.hardware_sidecar?.vram_total_mb ?? numberOf(preflight?.measured.total_mb),
          };
        }),
      ),
    );
  } else if (kind === "orket.report.v1") {
    const report = parse(ReportSchema, json, options.path) as Report;
    lane = report.execution_lane;
    profile = report.vram_profile;
    const first = report.test_runs.find((r) => r.telemetry.hardware_sidecar)?.telemetry.hardware_sidecar;
    fingerprint = hardwareFingerprint(first?.backend ?? "cpu", first ? readingOf(first) : null);
    analyses.push(
      thermalStabilityProfile(
        report.test_runs.map((run) =>
          thermalPoint(run.test_id, run.telemetry.hardware_sidecar ?? null, run.telemetry.total_latency),
        ),
      ),
    );
  } else {
    throw new AnalyzeInputError(
      `${options.path}: schema_version: expected an orket_report.json (orket.report.v1) or a sweep_summary.json (orket.sweep.v1), found ${JSON.stringify(kind)}`,
    );
  }

  const folder = join(options.home, "diagnostics", fingerprint.fingerprint, `${lane}-${profile}`);
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const written: string[] = [];
  await mkdir(folder, { recursive: true });
  for (const analysis of analyses) {
    const path = join(folder, `${stamp}-${analysis.analyzer}.json`);
    const artifact = {
      ...analysis,
      source: resolve(options.path),
      hardware_fingerprint: fingerprint,
      execution_lane: lane,
      vram_profile: profile,
    };
    await writeFileAtomic(path, `${JSON.stringify(artifact, null, 2)}\n`);
    await appendFile(
      join(folder, "index.jsonl"),
      `${JSON.stringify({ at: stamp, analyzer: analysis.analyzer, verdict: analysis.verdict, file: path, source: resolve(options.path) })}\n`,
    );
    written.push(path);
  }
  return { source: options.path, fingerprint, analyses, written };
}

function thermalPoint(label: string, sidecar: SidecarSummary | null, latency: number | null): ThermalPoint {
  return {
    label,
    start_c: sidecar?.thermal_start_c ?? null,
    end_c: sidecar?.thermal_end_c ?? null,
    slowdowns: (sidecar?.throttle_reasons ?? []).filter((r) => SLOWDOWN_REASONS.includes(r)).sort(),
    total_latency: latency,
  };
}

function readingOf(sidecar: SidecarSummary) {
  return {
    gpus:
      sidecar.backend === "cpu"
        ? []
        : [
            {
              gpu_name: sidecar.gpu_name,
              vram_total_mb: sidecar.vram_total_mb,
              driver_version: sidecar.driver_version,
            },
          ],
  } as unknown as Parameters<typeof hardwareFingerprint>[1];
}

function numberOf(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AnalyzeInputError(
      `${path}: ${code === "ENOENT" ? "no such file" : `not JSON: ${(error as Error).message}`}`,
    );
  }
}

function parse(
  schema: {
    safeParse(v: unknown): {
      success: boolean;
      error?: { issues: Array<{ path: PropertyKey[]; message: string }> };
      data?: unknown;
    };
  },
  value: unknown,
  path: string,
): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error?.issues[0];
    throw new AnalyzeInputError(
      `${path}: ${issue?.path.map(String).join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}
