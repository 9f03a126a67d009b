/**
 * Finds the interpreters once per evaluator. Python is asked for `sys.executable`, with the caller's
 * environment, so that a launcher such as a pyenv shim (which needs its own environment and costs a
 * shell start on every call) is resolved to the real interpreter that then runs in the sandbox.
 */
import { constants, realpathSync } from "node:fs";
import { access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute } from "node:path";
import { EvaluatorError } from "./evaluation-result.js";
import { findExecutable, NO_ISOLATION } from "./isolation.js";
import { howEnded, runSandboxed } from "./sandbox-process.js";

export type RuntimeKind = "python" | "node";

export interface RuntimeOptions {
  /** A command name (looked up on the PATH of `env`) or a path. */
  pythonPath: string;
  /** A path, or a command name looked up on `searchPath`. */
  nodePath: string;
  searchPath: string;
  /** Environment for resolving the Python command only; the sandbox never sees it. */
  env: NodeJS.ProcessEnv;
}

const RESOLVE_TIMEOUT_MS = 15_000;
const ASK_PYTHON =
  "import sys; print(sys.executable); print(sys.version_info[0]); print(sys.prefix); print(sys.base_prefix); print(sys.exec_prefix)";

/** An interpreter and the folders it reads from (its installation), for a sandbox's private root. */
export interface Runtime {
  executable: string;
  prefixes: string[];
}

export function createRuntimeResolver(options: RuntimeOptions): (kind: RuntimeKind) => Promise<Runtime> {
  const cache = new Map<RuntimeKind, Promise<Runtime>>();
  return (kind) => {
    let found = cache.get(kind);
    if (found === undefined) {
      found = kind === "python" ? resolvePython(options) : resolveNode(options.nodePath, options.searchPath);
      cache.set(kind, found);
    }
    return found;
  };
}

async function resolvePython(options: RuntimeOptions): Promise<Runtime> {
  // Run like any sandboxed process (own process group, hard deadline), so that even a strange launcher
  // that leaves something holding the pipes cannot hang the evaluator.
  const exit = await runSandboxed({
    argv: [options.pythonPath, "-c", ASK_PYTHON],
    cwd: tmpdir(),
    env: Object.fromEntries(
      Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    isolation: NO_ISOLATION,
    outputBytes: 64 * 1024,
    deadlineMs: RESOLVE_TIMEOUT_MS,
  });
  const name = `python interpreter "${options.pythonPath}"`;
  if (exit.spawnError !== null) {
    throw new EvaluatorError(
      "RUNTIME_MISSING",
      `${name}: ${exit.spawnError.code ?? exit.spawnError.message}`,
    );
  }
  if (exit.timedOut)
    throw new EvaluatorError("RUNTIME_MISSING", `${name} did not answer within ${RESOLVE_TIMEOUT_MS} ms`);
  const [executable, major, ...prefixes] = exit.stdout.trim().split("\n");
  if (exit.exitCode !== 0 || !executable || major !== "3") {
    throw new EvaluatorError("RUNTIME_MISSING", `${name} is not a working Python 3 (${howEnded(exit)})`);
  }
  return { executable, prefixes: installFolders(executable, prefixes) };
}

/** The interpreter's own installation: its prefixes, and the folder above the real binary's folder. */
function installFolders(executable: string, prefixes: readonly string[]): string[] {
  const folders = new Set<string>();
  for (const path of [executable, ...prefixes]) {
    if (!isAbsolute(path)) continue;
    try {
      const real = realpathSync(path);
      folders.add(path === executable ? dirname(dirname(real)) : real);
      if (path === executable) folders.add(dirname(dirname(path)));
    } catch {
      // a prefix that does not exist has nothing to bind
    }
  }
  return [...folders].filter((folder) => folder !== "/");
}

async function resolveNode(nodePath: string, searchPath: string): Promise<Runtime> {
  if (!isAbsolute(nodePath) && !nodePath.includes("/")) {
    const found = await findExecutable(nodePath, searchPath);
    if (found === null)
      throw new EvaluatorError("RUNTIME_MISSING", `node binary "${nodePath}" is not on the PATH`);
    return { executable: found, prefixes: installFolders(found, []) };
  }
  try {
    await access(nodePath, constants.X_OK);
    return { executable: nodePath, prefixes: installFolders(nodePath, []) };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new EvaluatorError("RUNTIME_MISSING", `node binary "${nodePath}": ${reason}`, { cause: error });
  }
}
