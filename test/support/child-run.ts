/**
 * A real child process for crash tests: runs a fixture script through tsx (so it uses this very code),
 * collects its stdout lines, lets a test wait for a line, and kills it with SIGKILL.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

export class ChildRun {
  readonly process: Child;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = "";
  #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(script: string, args: string[]) {
    this.process = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.process.stderr.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    createInterface({ input: this.process.stdout }).on("line", (line) => {
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.match(line)) return true;
        waiter.resolve(line);
        return false;
      });
    });
    this.exited = new Promise((resolve) => {
      this.process.on("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  waitFor(match: (line: string) => boolean): Promise<string> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ match, resolve });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`child exited (${code ?? signal}) before the line; stderr:\n${this.#stderr}`)),
      );
    });
  }

  async kill(): Promise<void> {
    this.process.kill("SIGKILL");
    expect((await this.exited).signal).toBe("SIGKILL");
  }
}
