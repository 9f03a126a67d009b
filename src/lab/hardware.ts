/**
 * Where a sweep ran and with what: the hardware fingerprint (this machine's identifying fields and one
 * GPU reading, hashed) that files sweeps into the diagnostics history, and the Orket commit that ran it.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import { arch, cpus, platform, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { canonicalJson } from "../core/shared/canonical-json.js";
import type { HardwareFingerprint } from "../spec/lab.js";
import type { SidecarBackend, SidecarPoll } from "../spec/sidecar.js";

/**
 * The machine's fingerprint. `reading` is one sidecar poll (null on the CPU backend); its first GPU gives
 * the GPU fields. `fingerprint` is the first 16 hex digits of the sha256 of the canonical JSON of every
 * other field, so the same machine with the same GPU and driver files its sweeps in one place.
 */
export function hardwareFingerprint(
  backend: SidecarBackend,
  reading: Pick<SidecarPoll, "gpus"> | null,
): HardwareFingerprint {
  const gpu = reading?.gpus[0];
  const fields = {
    platform: platform(),
    arch: arch(),
    cpu_model: cpus()[0]?.model.trim() ?? "unknown",
    core_count: cpus().length,
    total_memory_mib: Math.round(totalmem() / 2 ** 20),
    gpu_backend: backend,
    gpu_name: gpu?.gpu_name ?? null,
    gpu_vram_total_mb: gpu?.vram_total_mb ?? null,
    gpu_driver: gpu?.driver_version ?? null,
  };
  const fingerprint = createHash("sha256").update(canonicalJson(fields)).digest("hex").slice(0, 16);
  return { fingerprint, ...fields };
}

export interface CommitSha {
  sha: string | null;
  /** Why `sha` is null. */
  reason: string | null;
}

/**
 * `git rev-parse HEAD` of the Orket package this module belongs to. Only when the package folder is the
 * top of its own checkout: an Orket installed under a project's node_modules would otherwise report the
 * project's commit.
 */
export async function orketCommitSha(packageDir = defaultPackageDir()): Promise<CommitSha> {
  const result = await new Promise<{ stdout: string; error: string | null }>((done) => {
    execFile(
      "git",
      ["rev-parse", "--show-toplevel", "HEAD"],
      { cwd: packageDir, timeout: 5_000, windowsHide: true },
      (error, stdout, stderr) => {
        const why = error ? (String(stderr).trim().split("\n")[0] || error.message).slice(0, 200) : null;
        done({ stdout: String(stdout), error: why });
      },
    );
  });
  if (result.error !== null)
    return { sha: null, reason: `${packageDir} is not a git checkout (${result.error})` };
  const [top = "", sha = ""] = result.stdout.trim().split("\n");
  const [here, root] = await Promise.all([realpath(packageDir), realpath(top).catch(() => top)]);
  if (here !== root)
    return { sha: null, reason: `${packageDir} is inside another project's checkout (${root}), not its own` };
  if (!/^[0-9a-f]{40}$/.test(sha)) return { sha: null, reason: `git rev-parse HEAD answered "${sha}"` };
  return { sha, reason: null };
}

/** The package root: two folders above this module, in `src/lab` and in `dist/lab` alike. */
function defaultPackageDir(): string {
  return fileURLToPath(new URL("../../", import.meta.url)).replace(/[\\/]+$/, "");
}
