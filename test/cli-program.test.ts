/**
 * The command tree in-process (`orket/cli`): `runCli` gives each command line's exit code, prints what
 * the binary prints, and restores the caller's own `process.exitCode`. The binary's behaviour in real
 * processes is covered by the other cli-*.test.ts files; these run the same commands without a spawn.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readEnvironment } from "../src/cli/environment.js";
import { createProgram, runCli } from "../src/cli/program.js";
import { ORKET_VERSION } from "../src/version.js";

let stdout = "";
let stderr = "";

beforeEach(() => {
  stdout = "";
  stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const env = () => ({ ...readEnvironment({}), home: mkdtempSync(join(tmpdir(), "orket-cli-program-")) });

describe("createProgram", () => {
  it("registers every top-level command", () => {
    const names = createProgram(env()).commands.map((c) => c.name());
    for (const name of ["generate", "run", "bench", "sweep", "report", "check", "lab", "memory", "bank"])
      expect(names).toContain(name);
  });
});

describe("runCli", () => {
  it("prints the package's version and exits 0", async () => {
    expect(await runCli(["--version"], env())).toBe(0);
    expect(stdout.trim()).toBe(ORKET_VERSION);
  });

  it("validates the built-in bank", async () => {
    expect(await runCli(["bank", "validate", "builtin"], env())).toBe(0);
    expect(stdout).toMatch(/^builtin: .* \d+ tasks, valid\n$/);
  });

  it("turns a bad flag into exit 2 and one line naming the flag", async () => {
    expect(await runCli(["bench", "--runs", "zero"], env())).toBe(2);
    expect(stderr).toContain("--runs");
  });

  it("turns an unknown command into exit 2", async () => {
    expect(await runCli(["frobnicate"], env())).toBe(2);
    expect(stderr).toContain("frobnicate");
  });

  it("turns a library error into its code and exit class", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-program-"));
    const file = join(dir, "not-a-report.json");
    writeFileSync(file, '{"schema":"nope"}');
    const code = await runCli(["check", "report", file], env());
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain(file);
  });

  it("reads back a command's own exit code and restores the caller's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-cli-program-"));
    const bank = join(dir, "bank.json");
    writeFileSync(bank, JSON.stringify({ name: "x", version: "1", tasks: [{ id: "t" }] }));
    process.exitCode = 7;
    try {
      expect(await runCli(["bank", "validate", bank], env())).toBe(2);
      expect(stderr).toContain("BAD_BANK");
      expect(process.exitCode).toBe(7);
      expect(await runCli(["--version"], env())).toBe(0);
    } finally {
      process.exitCode = undefined;
    }
  });
});
