/**
 * The lab around one test run: before it, the guards of the lab lane (the thermal gate, and the VRAM
 * pre-flight from current usage plus the model's expected size); during it, the hardware sidecar
 * sampling the generation window; after it, the window's own guards (VRAM peak against the profile's
 * cap, throttling seen). Guard failures become pollution reasons; sidecar values are diagnostics and
 * never change a run's pass/fail. In the ci lane only the sidecar runs (no guard decides anything).
 */
import { stat } from "node:fs/promises";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import { CHECK_SCHEMA_VERSION, type CheckArtifact } from "../spec/lab.js";
import type { ModelAdapter } from "../spec/model.js";
import type { TestRun } from "../spec/report.js";
import type { GuardDecision, SidecarSummary, SidecarTimings } from "../spec/sidecar.js";
import {
  guardPollutionReasons,
  sidecarWindowGuards,
  thermalGate,
  vramPreflight,
} from "../telemetry/gpu-guards.js";
import { type GpuBackend, startSidecar, temperatureProbe } from "../telemetry/sidecar.js";

export interface ThermalSettings {
  targetC: number;
  timeoutMs: number;
  pollMs: number;
  /** Wait for the GPU to cool (wait_for_cooldown); false: judge the start temperature (HOT_START). */
  wait: boolean;
}

/** Defaults of the lab lane's thermal gate (docs/lab.md). */
export const DEFAULT_THERMAL: ThermalSettings = { targetC: 65, timeoutMs: 120_000, pollMs: 2000, wait: true };

export interface LabSettings {
  lane: ExecutionLane;
  profile: VramProfile;
  /** The backend to sample (null: no sidecar at all). */
  gpu: GpuBackend | null;
  thermal: ThermalSettings;
  /** MiB the model adds to VRAM when it loads; null when unknown. */
  expectedModelMb: number | null;
  intervalMs: number;
}

export interface LabWindowResult {
  sidecar: SidecarSummary | null;
  guards: GuardDecision[];
  /** Pollution reasons from failed guards. */
  guardReasons: string[];
  /** The sidecar's parse status, judged in the lab lane only. */
  sidecarStatus: string | null;
}

export interface LabWindow {
  close(timings: SidecarTimings): Promise<LabWindowResult>;
}

/** Runs the pre-run guards (lab lane) and opens the sidecar window. */
export async function openLabWindow(settings: LabSettings): Promise<LabWindow> {
  const pre: GuardDecision[] = [];
  const { gpu } = settings;
  if (settings.lane === "lab" && gpu) {
    const hasGpu = gpu.backend !== "cpu";
    pre.push(
      await thermalGate({
        ...settings.thermal,
        sample: hasGpu ? temperatureProbe(gpu) : null,
      }),
    );
    const reading = hasGpu ? (await gpu.sampleOnce()).gpus[0] : undefined;
    pre.push(
      vramPreflight({
        profile: settings.profile,
        usedMb: reading?.vram_used_mb ?? null,
        totalMb: reading?.vram_total_mb ?? null,
        expectedModelMb: settings.expectedModelMb,
      }),
    );
  }
  const sidecar = gpu ? startSidecar({ backend: gpu, intervalMs: settings.intervalMs }) : null;
  return {
    async close(timings) {
      const summary = sidecar ? await sidecar.stop(timings) : null;
      const guards =
        settings.lane === "lab" && summary
          ? [...pre, ...sidecarWindowGuards(summary, settings.profile)]
          : pre;
      return {
        sidecar: summary,
        guards,
        guardReasons: guardPollutionReasons(guards),
        sidecarStatus: settings.lane === "lab" && summary ? summary.sidecar_parse_status : null,
      };
    },
  };
}

/** What loading the model adds to VRAM: a GGUF file's size; null for a server's model (unknown here). */
export async function expectedModelMb(adapter: ModelAdapter): Promise<number | null> {
  if (adapter.provider !== "gguf") return null;
  const path = adapter.ref.replace(/^gguf\//, "");
  try {
    return Math.round(((await stat(path)).size / 2 ** 20) * 1000) / 1000;
  } catch {
    return null;
  }
}

/**
 * The lab guards' check artifact for a benchmark: one rule per guard check (passed when no test run's
 * decision failed), and every decision with the test run it belongs to.
 */
export function labGuardsArtifact(
  testRuns: readonly TestRun[],
  source: string,
  now: Date,
  lane: ExecutionLane,
  profile: VramProfile,
): CheckArtifact {
  const guards = testRuns.flatMap((run) =>
    ((run.telemetry.guards ?? []) as GuardDecision[]).map((g) => ({ ...g, test_id: run.test_id })),
  );
  const checks = [...new Set(guards.map((g) => `${g.guard}.${g.check}`))].sort();
  const rules = checks.map((check) => {
    const of = guards.filter((g) => `${g.guard}.${g.check}` === check);
    const failed = of.filter((g) => g.decision === "fail");
    const skipped = of.filter((g) => g.decision === "skip").length;
    return {
      rule: check,
      passed: failed.length === 0,
      detail: failed.length
        ? `${failed.length} of ${of.length} failed: ${failed.map((g) => `${g.test_id} ${g.reason}`).join(", ")}`
        : `${of.length - skipped} passed, ${skipped} skipped`,
    };
  });
  return {
    schema_version: CHECK_SCHEMA_VERSION,
    kind: "report",
    source,
    checked_at: now.toISOString(),
    ok: rules.every((r) => r.passed),
    rules,
    guards,
    execution_lane: lane,
    vram_profile: profile,
  };
}
