import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { EXIT_FAILED } from "../errors.js";
import { intArg } from "../options.js";

interface ProbeFlags {
  json?: boolean;
  gpu: number;
}

interface CooldownFlags {
  target: number;
  timeout: number;
  poll: number;
  gpu: number;
  json?: boolean;
}

interface SelectFlags {
  sweep: string[];
  project: string;
  role?: string[];
  dryRun?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `orket lab probe|cooldown` (the hardware sidecar and the thermal gate) and `orket select`. */
export function registerLab(program: Command, env: CliEnvironment): void {
  const lab = program.command("lab").description("the lab's hardware tools: sidecar probe, thermal gate");
  lab
    .command("probe")
    .description(
      "take one hardware sample (nvidia-smi, rocm-smi, or the CPU) and print it as sidecar.parse.v1",
    )
    .option("--gpu <index>", "which GPU to summarize", intArg("--gpu", 0), 0)
    .option("--json", "print the sample and its summary as JSON")
    .action(async (flags: ProbeFlags) => {
      const { startSidecar } = await import("../../index.js");
      const polls: unknown[] = [];
      const sidecar = startSidecar({ relay: false, gpuIndex: flags.gpu, onPoll: (p) => polls.push(p) });
      const summary = await sidecar.stop();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ summary, polls }, null, 2)}\n`);
        return;
      }
      const show = (v: unknown) => (v === null || v === undefined ? "—" : String(v));
      const lines = [
        `backend           ${summary.backend}${summary.backend_reason ? ` (${summary.backend_reason})` : ""}`,
        `gpu               ${show(summary.gpu_name)} (index ${show(summary.gpu_index)} of ${summary.gpu_count}), driver ${show(summary.driver_version)}`,
        `temperature       ${show(summary.thermal_end_c)} °C`,
        `vram              ${show(summary.vram_used_mb)} / ${show(summary.vram_total_mb)} MiB`,
        `sm clock          ${show(summary.gpu_clock_mhz)} MHz`,
        `power             ${show(summary.power_draw_watts)} W`,
        `fan               ${show(summary.fan_speed_percent)} %`,
        `utilization       ${show(summary.utilization_percent)} %`,
        `throttle reasons  ${summary.throttle_reasons?.length ? summary.throttle_reasons.join(", ") : show(summary.throttle_reasons === null ? null : "none")}`,
        `parse status      ${summary.sidecar_parse_status}${summary.sidecar_parse_errors.length ? ` (${summary.sidecar_parse_errors.join(", ")})` : ""}`,
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  lab
    .command("cooldown")
    .description("wait until the GPU is at or under a temperature (the lab's thermal gate)")
    .option("--target <celsius>", "target temperature, °C", intArg("--target", 20, 110), 60)
    .option(
      "--timeout <seconds>",
      "give up after this long (then COOLDOWN_TIMEOUT)",
      intArg("--timeout", 0),
      300,
    )
    .option("--poll <seconds>", "seconds between readings", intArg("--poll", 1), 5)
    .option("--gpu <index>", "which GPU", intArg("--gpu", 0), 0)
    .option("--json", "print the guard decision as JSON")
    .action(async (flags: CooldownFlags) => {
      const { detectGpuBackend, temperatureProbe, waitForCooldown } = await import("../../index.js");
      const gpu = detectGpuBackend();
      const decision = await waitForCooldown({
        targetC: flags.target,
        timeoutMs: flags.timeout * 1000,
        pollMs: flags.poll * 1000,
        sample: gpu.backend === "cpu" ? null : temperatureProbe(gpu, flags.gpu),
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
      else {
        const m = decision.measured;
        process.stdout.write(
          `${decision.decision}: ${decision.reason} (target ${m.target_c} °C, start ${m.start_c ?? "—"} °C, end ${m.end_c ?? "—"} °C, waited ${m.waited_ms} ms)\n`,
        );
      }
      if (decision.decision === "fail") process.exitCode = EXIT_FAILED;
    });

  lab
    .command("analyze")
    .description(
      "thermal stability (heat soak) and VRAM fragmentation of a report or sweep, filed under .orket/diagnostics/",
    )
    .argument("<file>", "an orket_report.json or a sweep_summary.json")
    .option("--json", "print the analyses as JSON")
    .action(async (file: string, flags: { json?: boolean }) => {
      const { analyze } = await import("../../index.js");
      const result = await analyze({ path: file, home: env.home });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      for (const a of result.analyses) process.stdout.write(`${a.analyzer}: ${a.verdict} — ${a.reason}\n`);
      for (const path of result.written) process.stdout.write(`written: ${path}\n`);
    });

  program
    .command("select")
    .description("choose a model per role from sweep results and write orket/preferences.json")
    .requiredOption("--sweep <file>", "a sweep_summary.json (repeat for several models)", collect)
    .option("--project <dir>", "the project folder holding orket/", ".")
    .option("--role <name>", "only this role (repeatable; default every role)", collect)
    .option("--dry-run", "show the choices without writing preferences")
    .option("--json", "print the choices as JSON")
    .action(async (flags: SelectFlags) => {
      const { selectModels } = await import("../../index.js");
      const result = await selectModels({
        projectDir: flags.project,
        sweeps: flags.sweep,
        roles: flags.role,
        dryRun: flags.dryRun,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ path: result.path, choices: result.choices }, null, 2)}\n`);
        return;
      }
      for (const choice of result.choices) {
        process.stdout.write(
          `${choice.role.padEnd(22)} ${choice.chosen ? choice.chosen.model_ref : "(default model)"}\n  ${choice.reason}\n`,
        );
      }
      process.stdout.write(result.path ? `written: ${result.path}\n` : "dry run: nothing written\n");
    });
}
