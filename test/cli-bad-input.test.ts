/**
 * Bad input, in real processes: each gets one line that names the flag, file or field, the right exit
 * code, and no stack.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

const lastLine = (text: string) =>
  text
    .trim()
    .split("\n")
    .filter((line) => !line.startsWith("(orket --help"))
    .at(-1);

describe("bad server URLs", () => {
  it.each([
    ["http://127.0.0.1:9/v1", "uses port 9, which fetch refuses to connect to (a blocked port)"],
    ["http://127.0.0.1:1", "uses port 1, which fetch refuses to connect to (a blocked port)"],
    ["not a url", "is not a URL"],
    ["ftp://127.0.0.1/", "is not an http(s) URL (ftp:)"],
  ])("--base-url %s is a usage error naming the flag, in generate, bench and run", async (url, why) => {
    for (const args of [
      ["generate", "--model", "openai/x", "--base-url", url, "hi"],
      ["bench", "--model", "openai/x", "--base-url", url],
      ["run", "--epic", "hello-python", "--base-url", url],
    ]) {
      const result = await runCli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(lastLine(result.stderr)).toContain(`--base-url "${url}" ${why}`);
    }
  });

  it("checks OPENAI_BASE_URL and OLLAMA_HOST the same way, naming the variable", async () => {
    const openai = await runCli(["generate", "--model", "openai/x", "hi"], {
      env: { OPENAI_BASE_URL: "http://127.0.0.1:6000/v1" },
    });
    expect(openai.code).toBe(2);
    expect(lastLine(openai.stderr)).toBe(
      'orket: BAD_USAGE: OPENAI_BASE_URL "http://127.0.0.1:6000/v1" uses port 6000, which fetch refuses to connect to (a blocked port)',
    );
    const ollama = await runCli(["generate", "--ollama-host", "127.0.0.1:22", "hi"]);
    expect(ollama.code).toBe(2);
    expect(lastLine(ollama.stderr)).toContain('--ollama-host "127.0.0.1:22" uses port 22');
  });
});

describe("bad output paths", () => {
  it("names the flag or argument for a folder where a file goes, and a file where a folder goes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orket-bad-paths-"));
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    const cases: [string[], string][] = [
      [
        ["generate", "--model", "replay/x.jsonl", "--record", "/", "hi"],
        '--record "/" is a folder, not a file',
      ],
      [["generate", "--telemetry-out", dir, "hi"], `--telemetry-out "${dir}" is a folder, not a file`],
      [["dev", "tiny-model", "/"], 'orket: BAD_USAGE: dev tiny-model: "/" is a folder, not a file'],
      [
        ["dev", "tiny-model", join(file, "x.gguf")],
        `orket: BAD_USAGE: dev tiny-model: "${join(file, "x.gguf")}" cannot be made: ${file} is a file, not a folder`,
      ],
      [["init", file], `orket: BAD_USAGE: init: "${file}" is a file, not a folder`],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(lastLine(result.stderr)).toContain(message);
      expect(result.stderr).not.toMatch(/EISDIR|ENOTDIR|\n\s+at /);
    }
  });
});

describe("--timeout 0", () => {
  it("says that it means no limit, in the help and when it is given", async () => {
    for (const command of ["bench", "sweep quant", "generate"]) {
      const help = await runCli([...command.split(" "), "--help"]);
      expect(help.stdout.replace(/\s+/g, " "), command).toContain("(0: no limit)");
    }
    const bench = await runCli(["bench", "--model", "replay/missing.jsonl", "--timeout", "0"]);
    expect(bench.stderr).toContain("orket: --timeout 0: model calls have no time limit");
  });
});

describe("a reader that stops early", () => {
  it("ends quietly when stdout is closed (orket … | head), with no EPIPE stack", async () => {
    const child = spawn(process.execPath, [`${process.cwd()}/dist/cli/main.js`, "--help"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});

describe("orket --version", () => {
  it("is the package's own version", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});
