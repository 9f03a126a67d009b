/**
 * Symlinks swapped in between the check and the use. A worker thread flips a folder of the workspace
 * between a real folder and a symlink to a canary outside, as fast as it can, while reads, writes and
 * lists go through it; none may read, list or change the canary.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPinned, probeFdPaths } from "./open-pinned.js";
import { createWorkspace, SANDBOX_ERROR_CODES, SandboxError } from "./workspace.js";

let temp: string;
let root: string;
let canary: string;

beforeEach(async () => {
  temp = await mkdtemp(join(tmpdir(), "orket-race-"));
  root = join(temp, "workspace");
  canary = join(temp, "canary");
  await mkdir(join(root, "d"), { recursive: true });
  await mkdir(canary);
  await writeFile(join(root, "d", "secret.txt"), "INSIDE");
  await writeFile(join(canary, "secret.txt"), "OUTSIDE SECRET");
  await writeFile(join(canary, "only-outside.txt"), "OUTSIDE");
});

afterEach(async () => {
  await rm(temp, { recursive: true, force: true });
});

async function canaryDigest(): Promise<string> {
  const hash = createHash("sha256");
  const entries = await readdir(canary, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(`${entry.name}\0`);
    if (entry.isFile()) hash.update(await readFile(join(canary, entry.name)));
    else hash.update(entry.isDirectory() ? "dir" : "other");
  }
  return hash.digest("hex");
}

const fdPaths = await probeFdPaths(await realpath(tmpdir()));
const hasMkfifo = (() => {
  try {
    execFileSync("mkfifo", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("openPinned", () => {
  it("refuses a symlink as the last name", async () => {
    await symlink(canary, join(temp, "link"));
    await expect(openPinned(join(temp, "link"), "directory", fdPaths)).rejects.toMatchObject({
      code: expect.stringMatching(/^(ELOOP|EMLINK|ENOTDIR)$/),
    });
    await symlink(join(canary, "secret.txt"), join(temp, "file-link"));
    await expect(openPinned(join(temp, "file-link"), "file", fdPaths)).rejects.toMatchObject({
      code: expect.stringMatching(/^(ELOOP|EMLINK)$/),
    });
  });

  it("reports where the opened object really is, with or without /proc", async () => {
    for (const mode of fdPaths ? [true, false] : [false]) {
      const pinned = await openPinned(join(root, "d"), "directory", mode);
      expect(pinned.real).toBe(join(root, "d"));
      await pinned.handle.close();
    }
  });

  // A capability of the OS, not a peer: on Linux CI it is always there, so there a missing one fails.
  it("keeps reaching the opened folder after its name is swapped for a symlink", async () => {
    const pinned = await openPinned(join(root, "d"), "directory", true);
    try {
      await rename(join(root, "d"), join(root, "moved"));
      await symlink(canary, join(root, "d"));
      await writeFile(join(pinned.via, "via-pin.txt"), "PINNED");
      expect(await readFile(join(root, "moved", "via-pin.txt"), "utf8")).toBe("PINNED");
      expect(await readdir(canary)).not.toContain("via-pin.txt");
    } finally {
      await pinned.handle.close();
    }
  });

  it("opens a FIFO without blocking", async () => {
    // Needs mkfifo (coreutils): a machine without it fails here, naming it, instead of skipping.
    expect(hasMkfifo, "mkfifo is not installed").toBe(true);
    execFileSync("mkfifo", [join(root, "pipe")]);
    const pinned = await openPinned(join(root, "pipe"), "file", fdPaths);
    expect((await pinned.handle.stat()).isFIFO()).toBe(true);
    await pinned.handle.close();
  });
});

/** Flips `dir` between the real folder and a symlink to `outside` until `ms` have passed. */
const SWAPPER = `
const { workerData, parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { dir, parked, outside, ms } = workerData;
const end = Date.now() + ms;
let swaps = 0;
// A write may create the folder again in a gap: clear whatever is there (never following a symlink).
const restore = () => {
  for (let attempt = 0; attempt < 10000; attempt++) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(parked, dir);
      return;
    } catch {}
  }
  throw new Error("could not put the folder back");
};
while (Date.now() < end) {
  try {
    fs.renameSync(dir, parked);
  } catch {
    continue;
  }
  try {
    fs.symlinkSync(outside, dir);
    fs.unlinkSync(dir);
  } catch {}
  restore();
  swaps++;
}
parentPort.postMessage(swaps);
`;

describe("racing symlink swaps", () => {
  it("never reads, lists or writes the canary", async () => {
    const ws = await createWorkspace({ root });
    const digest = await canaryDigest();
    const worker = new Worker(SWAPPER, {
      eval: true,
      workerData: { dir: join(root, "d"), parked: join(root, "d.parked"), outside: canary, ms: 1500 },
    });
    let running = true;
    const swaps = new Promise<number>((resolve, reject) => {
      worker.once("message", (count: number) => {
        running = false;
        resolve(count);
      });
      worker.once("error", (error) => {
        running = false;
        reject(error);
      });
    });
    const counts = { ok: 0, refused: 0 };
    const codes = new Set<string>();
    let round = 0;
    while (running) {
      round++;
      const results = await Promise.allSettled([
        ws.readFile("d/secret.txt"),
        ws.writeFile(`d/w-${round}.txt`, "WRITTEN"),
        ws.writeFile("d/secret.txt", "INSIDE"),
        ws.listDirectory("d"),
        ws.readFile("d/only-outside.txt"),
      ]);
      for (const result of results) {
        if (result.status === "rejected") {
          if (!(result.reason instanceof SandboxError)) throw result.reason;
          counts.refused++;
          codes.add(result.reason.code);
          continue;
        }
        counts.ok++;
        const value: unknown = result.value;
        expect(JSON.stringify(value)).not.toContain("OUTSIDE");
        expect(JSON.stringify(value)).not.toContain("only-outside");
      }
    }
    expect(await swaps).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
    // Which refusal a swap meets depends on where it lands in the race; any SandboxError is a refusal.
    // What must hold is that nothing outside was read or written (checked above and below).
    expect([...codes].every((code) => (SANDBOX_ERROR_CODES as readonly string[]).includes(code))).toBe(true);
    expect(await canaryDigest()).toBe(digest);
    expect(await readdir(canary)).toEqual(["only-outside.txt", "secret.txt"]);
  });
});
