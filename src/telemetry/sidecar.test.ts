import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeSmi, installFakeNvidiaSmi } from "../../test/support/fake-nvidia-smi.js";
import type { SidecarPoll } from "../spec/sidecar.js";
import { SidecarSummarySchema } from "../spec/sidecar.js";
import { detectGpuBackend, execFileNoShell, startSidecar, temperatureProbe } from "./sidecar.js";
import { LEGACY_REASONS_FIELD, NVIDIA_QUERY_FIELDS } from "./sidecar-parse.js";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/sidecar/${name}`, import.meta.url));

/** Resolves once `count` polls (matching `when`, if given) have completed; no clock involved. */
function waitForPolls(count: number, when: (poll: SidecarPoll) => boolean = () => true) {
  const seen: SidecarPoll[] = [];
  let resolve: () => void = () => {};
  const reached = new Promise<void>((r) => {
    resolve = r;
  });
  const onPoll = (poll: SidecarPoll) => {
    seen.push(poll);
    if (seen.filter(when).length >= count) resolve();
  };
  return { seen, reached, onPoll };
}

const calls = (fake: FakeSmi) => Number(readFileSync(fake.counterPath, "utf8").trim());

describe.runIf(process.platform !== "win32")("sidecar against a fake nvidia-smi on PATH", () => {
  let dir: string;
  let fake: FakeSmi;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orket-sidecar-"));
    fake = installFakeNvidiaSmi(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds nvidia-smi on PATH and runs it with the query arguments, no shell", async () => {
    const gpu = detectGpuBackend({ env: fake.env({ output: fixture("nvidia-550-h100-idle.csv") }) });
    expect(gpu.backend).toBe("nvidia");
    expect(gpu.tool).toBe(join(fake.binDir, "nvidia-smi"));
    const reading = await gpu.sampleOnce();
    expect(reading.errors).toEqual([]);
    expect(reading.gpus[0]).toMatchObject({ gpu_name: "NVIDIA H100 80GB HBM3", temperature_c: 34 });
    expect(readFileSync(fake.logPath, "utf8")).toBe(
      `--query-gpu=${NVIDIA_QUERY_FIELDS.join(",")} --format=csv,noheader,nounits\n`,
    );
    expect(await temperatureProbe(gpu)()).toBe(34);
  });

  it("retries once with clocks_throttle_reasons on an old driver, and keeps that name", async () => {
    const env = fake.env({ output: fixture("nvidia-525-a100-legacy.csv"), oldDriver: true });
    const gpu = detectGpuBackend({ env });
    const first = await gpu.sampleOnce();
    expect(first.errors).toEqual([]);
    expect(first.gpus[0]?.throttle_reasons).toEqual(["gpu_idle"]);
    expect(gpu.fields).toContain(LEGACY_REASONS_FIELD);
    expect(calls(fake)).toBe(2);
    await gpu.sampleOnce();
    expect(calls(fake)).toBe(3);
  });

  it.each([
    ["a helper process", true],
    ["this process", false],
  ])("samples in the background during the window from %s, folding every poll", async (_, relay) => {
    const env = fake.env({ output: fixture("nvidia-545-multi-gpu.csv") });
    const progress = waitForPolls(3);
    const sidecar = startSidecar({ env, intervalMs: 10, relay, relayFlushMs: 20, onPoll: progress.onPoll });
    await progress.reached;
    const summary = await sidecar.stop({ ttft_ms: 41.2 });
    expect(SidecarSummarySchema.safeParse(summary).success).toBe(true);
    // Three polls finished before stop was called, plus stop's own final poll.
    expect(summary.polls).toBeGreaterThanOrEqual(4);
    expect(summary.samples).toBe(summary.polls);
    expect(summary).toMatchObject({
      backend: "nvidia",
      gpu_count: 2,
      thermal_start_c: 83,
      thermal_end_c: 83,
      vram_peak_mb: 20311,
      sidecar_parse_status: "OK",
      throttle_reasons: ["hw_thermal_slowdown", "sw_power_cap", "sw_thermal_slowdown"],
      ttft_ms: 41.2,
    });
    const elapsed = progress.seen.map((poll) => poll.elapsed_ms);
    expect([...elapsed].sort((a, b) => a - b)).toEqual(elapsed);
  });

  it.each([
    ["a helper process", true],
    ["this process", false],
  ])("records a tool failing mid-window as poll errors, polling from %s", async (_, relay) => {
    const env = fake.env({ output: fixture("nvidia-550-h100-load.csv"), failAfter: 2 });
    const progress = waitForPolls(1, (poll) => poll.errors.length > 0);
    const sidecar = startSidecar({ env, intervalMs: 10, relay, relayFlushMs: 20, onPoll: progress.onPoll });
    await progress.reached;
    const summary = await sidecar.stop();
    expect(summary.samples).toBe(2);
    expect(summary.polls_failed).toBe(summary.polls - 2);
    expect(summary.thermal_start_c).toBe(71);
    expect(summary.thermal_end_c).toBe(71);
    expect(summary.sidecar_parse_status).toBe("PARSE_ERROR");
    expect(summary.sidecar_parse_errors).toEqual(["missing:fan_speed_percent", "poll:exit_code_9"]);
  });

  it.each([
    ["a helper process", true],
    ["this process", false],
  ])("never overlaps polls from %s: a tick that finds one running is skipped", async (_, relay) => {
    const env = fake.env({ output: fixture("nvidia-560-rtx4090.csv"), delaySeconds: 0.2 });
    const progress = waitForPolls(3);
    const sidecar = startSidecar({ env, intervalMs: 5, relay, relayFlushMs: 20, onPoll: progress.onPoll });
    await progress.reached;
    const summary = await sidecar.stop();
    expect(existsSync(fake.overlapsPath)).toBe(false);
    expect(summary.polls_skipped).toBeGreaterThan(0);
    expect(calls(fake)).toBe(summary.polls);
  });

  it("leaves every poll of a settled backend's window to the helper", async () => {
    const env = fake.env({ output: fixture("nvidia-560-rtx4090.csv") });
    let here = 0;
    const gpu = detectGpuBackend({
      env,
      exec: (file, args, call) => {
        here++;
        return execFileNoShell(file, args, call);
      },
    });
    expect(gpu.settled).toBe(false);
    await gpu.sampleOnce();
    expect(gpu.settled).toBe(true);
    const progress = waitForPolls(2);
    const sidecar = startSidecar({ backend: gpu, intervalMs: 10, relayFlushMs: 20, onPoll: progress.onPoll });
    await progress.reached;
    const summary = await sidecar.stop();
    expect(here).toBe(1);
    expect(summary.polls).toBe(calls(fake) - 1);
    expect(summary.sidecar_parse_status).toBe("OK");
  });

  it("collects every poll of the helper at stop, even those it had not handed over yet", async () => {
    const env = fake.env({ output: fixture("nvidia-550-h100-idle.csv") });
    const progress = waitForPolls(1);
    const sidecar = startSidecar({ env, intervalMs: 10, relayFlushMs: 60_000, onPoll: progress.onPoll });
    await progress.reached;
    // Wait (without a deadline) until the helper has run the tool a few times; none of it is handed over yet.
    while (!existsSync(fake.counterPath) || calls(fake) < 5) await new Promise((r) => setTimeout(r, 20));
    expect(progress.seen).toHaveLength(1);
    const summary = await sidecar.stop();
    expect(summary.polls).toBe(calls(fake));
    expect(summary.samples).toBe(summary.polls);
  });

  it("reports a hung tool as poll:timeout, here and from the helper alike", async () => {
    const env = fake.env({ output: fixture("nvidia-560-rtx4090.csv"), delaySeconds: 0.5 });
    const gpu = detectGpuBackend({ env, timeoutMs: 50 });
    expect(await gpu.sampleOnce()).toEqual({ gpus: [], cpu: null, errors: ["poll:timeout"] });
    const progress = waitForPolls(2);
    const sidecar = startSidecar({ env, timeoutMs: 50, intervalMs: 10, onPoll: progress.onPoll });
    await progress.reached;
    const summary = await sidecar.stop();
    expect(progress.seen.slice(0, 2).map((poll) => poll.errors)).toEqual([
      ["poll:timeout"],
      ["poll:timeout"],
    ]);
    expect(summary.samples).toBe(0);
    expect(summary.sidecar_parse_status).toBe("REQUIRED_FIELD_MISSING");
  });
});

describe("sidecar without a GPU tool", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orket-sidecar-nogpu-"));
    mkdirSync(join(dir, "bin"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("falls back to the CPU backend: GPU fields NOT_APPLICABLE, CPU sampled", async () => {
    const env = { PATH: join(dir, "bin") };
    const gpu = detectGpuBackend({ env });
    expect(gpu.backend).toBe("cpu");
    expect(gpu.tool).toBeNull();
    expect(await temperatureProbe(gpu)()).toBeNull();
    const progress = waitForPolls(2);
    const sidecar = startSidecar({ env, intervalMs: 5, onPoll: progress.onPoll });
    await progress.reached;
    const summary = await sidecar.stop();
    expect(summary).toMatchObject({
      backend: "cpu",
      sidecar_parse_status: "NOT_APPLICABLE",
      sidecar_parse_errors: [],
      vram_total_mb: null,
      vram_peak_mb: null,
      thermal_start_c: null,
      backend_reason: "nvidia-smi and rocm-smi not found on PATH",
    });
    expect(summary.samples).toBe(summary.polls);
    expect(progress.seen.every((poll) => poll.cpu !== null && poll.gpus.length === 0)).toBe(true);
  });
});

describe("sidecar with an injected tool", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orket-sidecar-exec-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function placeholderTool(name: string): string {
    const path = join(dir, name);
    writeFileSync(path, "#!/bin/sh\nexit 1\n");
    chmodSync(path, 0o755);
    return path;
  }

  it.runIf(process.platform !== "win32")("runs rocm-smi when nvidia-smi is absent", async () => {
    const tool = placeholderTool("rocm-smi");
    const seen: string[][] = [];
    const gpu = detectGpuBackend({
      env: { PATH: dir },
      exec: async (file, args) => {
        seen.push([file, ...args]);
        return {
          stdout: readFileSync(fixture("rocm-6.2-mi300x.json"), "utf8"),
          stderr: "",
          exitCode: 0,
          error: null,
        };
      },
    });
    expect(gpu.backend).toBe("amd");
    const reading = await gpu.sampleOnce();
    expect(seen).toEqual([
      [tool, "--showtemp", "--showmeminfo", "vram", "--showuse", "--showpower", "--showclocks", "--json"],
    ]);
    expect(reading.gpus.map((sample) => sample.temperature_c)).toEqual([48, 36]);
  });

  it.runIf(process.platform !== "win32")("keeps the GPUs a failing run still printed", async () => {
    placeholderTool("nvidia-smi");
    const gpu = detectGpuBackend({
      env: { PATH: dir },
      exec: async () => ({
        stdout: readFileSync(fixture("nvidia-545-multi-gpu.csv"), "utf8").split("\n")[0] ?? "",
        stderr: "Unable to determine the device handle for GPU1: Unknown Error",
        exitCode: 15,
        error: "exit_code_15",
      }),
    });
    const reading = await gpu.sampleOnce();
    expect(reading.gpus).toHaveLength(1);
    expect(reading.errors).toEqual(["poll:exit_code_15"]);
  });

  it("gives up on a poll that never returns when stopped, as poll:stuck", async () => {
    const stuck = {
      backend: "nvidia" as const,
      tool: "/nowhere/nvidia-smi",
      reason: null,
      fields: [],
      sampleOnce: () => new Promise<never>(() => {}),
    };
    const summary = await startSidecar({ backend: stuck, intervalMs: 5, stopWaitMs: 20 }).stop();
    expect(summary.polls).toBe(1);
    expect(summary.sidecar_parse_errors).toContain("poll:stuck");
    expect(summary.sidecar_parse_status).toBe("REQUIRED_FIELD_MISSING");
  });

  it("records a backend that throws as poll:internal, not a crash", async () => {
    const throwing = {
      backend: "nvidia" as const,
      tool: "/nowhere/nvidia-smi",
      reason: null,
      fields: [],
      sampleOnce: () => Promise.reject(new Error("boom")),
    };
    const summary = await startSidecar({ backend: throwing, intervalMs: 5 }).stop();
    expect(summary.polls).toBe(2);
    expect(summary.sidecar_parse_errors).toContain("poll:internal");
  });
});
