import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { openMemoryWindow } from "./memory-window.js";

describe("openMemoryWindow", () => {
  it.runIf(process.platform === "linux")(
    "measures this process's peak through the kernel high-water mark",
    async () => {
      const window = openMemoryWindow({ kind: "self" });
      const before = process.memoryUsage.rss() / 1024 / 1024;
      const block = Buffer.alloc(96 * 1024 * 1024, 1);
      const result = await window.stop();
      expect(block.length).toBeGreaterThan(0);
      expect(result.method).toBe("vmhwm:self");
      expect(result.peakMiB).not.toBeNull();
      expect(result.peakMiB ?? 0).toBeGreaterThan(before + 80);
    },
  );

  it.runIf(process.platform === "linux")("measures another process by pid", async () => {
    const child = spawn(process.execPath, [
      "-e",
      "const b = Buffer.alloc(64 * 1024 * 1024, 1); process.stdout.write('ready\\n'); setTimeout(() => b, 10000)",
    ]);
    try {
      // Wait for the child to say its 64 MiB are resident, however slow the machine is.
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("ready")) resolve();
        });
        child.on("exit", () => reject(new Error("child exited early")));
      });
      const pid = child.pid;
      if (pid === undefined) throw new Error("child did not start");
      const window = openMemoryWindow({ kind: "pid", pid });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const result = await window.stop();
      expect(result.peakMiB ?? 0).toBeGreaterThan(64);
      expect(result.method).toMatch(/^(vmhwm|sampled):pid:/);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("is null with a reason when inference runs where it cannot look", async () => {
    const window = openMemoryWindow({
      kind: "unknown",
      reason: "inference runs inside the Ollama server",
    });
    expect(await window.stop()).toEqual({
      peakMiB: null,
      method: null,
      reason: "inference runs inside the Ollama server",
    });
  });

  it.runIf(process.platform === "linux")("is null with a reason for a pid that does not exist", async () => {
    const window = openMemoryWindow({ kind: "pid", pid: 2 ** 22 + 7 });
    const result = await window.stop();
    expect(result.peakMiB).toBeNull();
    expect(result.reason).toMatch(/not running/);
  });
});
