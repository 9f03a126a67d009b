/**
 * The evaluator sandbox: runs a candidate solution against a task's evaluation in child processes and
 * says, per example, whether it passed. Each evaluation gets a fresh temp dir (cwd and HOME, removed
 * afterwards whatever happens), a minimal environment, stdin closed except for `cli` examples, and the
 * limits: wall time (the whole process group is killed), address space, output size, and no network
 * where the OS allows a namespace. It is a guard against accidents (loops, forks, floods, memory hogs),
 * not against code written to attack the host: the filesystem outside the temp dir is not hidden.
 */
import { chmod, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Evaluation, Language } from "../../spec/bank.js";
import { toNodeSource, withFunctionFooter } from "./candidate-source.js";
import {
  type EvaluationResult,
  EvaluatorError,
  type ExampleResult,
  failedEvaluation,
  summarize,
} from "./evaluation-result.js";
import { runFunctionExamples } from "./function-evaluation.js";
import { NODE_HARNESS, NODE_HARNESS_FILE, NODE_PRELOAD, NODE_PRELOAD_FILE } from "./harness-node.js";
import { PYTHON_HARNESS, PYTHON_HARNESS_FILE, PYTHON_RUNNER, PYTHON_RUNNER_FILE } from "./harness-python.js";
import { type Isolation, NO_ISOLATION, probeIsolation } from "./isolation.js";
import { type EvaluatorLimits, resolveLimits } from "./limits.js";
import { runCliExamples, runTestProgram } from "./program-evaluation.js";
import { createRuntimeResolver, type RuntimeKind } from "./runtimes.js";
import type { SandboxRun } from "./sandbox-run.js";

export interface EvaluatorOptions {
  /** The Python 3 interpreter: a command name or a path. Default `python3`. */
  pythonPath?: string;
  /** The Node binary: a path or a command name. Default: the Node running Orket. */
  nodePath?: string;
  /** Where runtimes and sandbox tools are looked up; the children get it too. Default `$PATH`. */
  searchPath?: string;
  /** Environment used only to ask the Python command where it lives. Default `process.env`. */
  resolveEnv?: NodeJS.ProcessEnv;
  /** `auto`: namespaces and `prlimit` where the OS allows them; `none`: process groups and rlimits only. */
  isolation?: "auto" | "none";
  /** Parent of the per-evaluation temp dirs. Default the OS temp dir. */
  tempRoot?: string;
}

export interface Evaluator {
  evaluate(
    code: string,
    language: Language,
    evaluation: Evaluation,
    limits?: EvaluatorLimits,
  ): Promise<EvaluationResult>;
  /** What the OS allowed on this machine (probed on first use). */
  isolation(): Promise<Isolation>;
}

const DEFAULT_SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * An evaluator with its own settings; runtimes are resolved on first use and cached. `evaluate` never
 * throws for a candidate's failure or for a missing runtime: those come back in the result.
 */
export function createEvaluator(options: EvaluatorOptions = {}): Evaluator {
  const searchPath = options.searchPath ?? process.env.PATH ?? DEFAULT_SEARCH_PATH;
  const resolveRuntime = createRuntimeResolver({
    pythonPath: options.pythonPath ?? "python3",
    nodePath: options.nodePath ?? process.execPath,
    searchPath,
    env: options.resolveEnv ?? process.env,
  });
  const isolation = () =>
    options.isolation === "none" ? Promise.resolve(NO_ISOLATION) : probeIsolation(searchPath);
  const tempRoot = options.tempRoot ?? tmpdir();

  return {
    isolation,
    async evaluate(code, language, evaluation, limits) {
      const resolved = resolveLimits(limits);
      const total = evaluation.kind === "test_program" ? 1 : evaluation.examples.length;
      const runtime: RuntimeKind = language === "python" ? "python" : "node";
      let dir: string | undefined;
      try {
        const [executable, sandbox] = await Promise.all([resolveRuntime(runtime), isolation()]);
        const files = await candidateFiles(code, language, evaluation);
        dir = await mkdtemp(join(tempRoot, "orket-eval-"));
        const run: SandboxRun = {
          runtime,
          executable,
          dir,
          env: childEnv(runtime, dir, executable, searchPath),
          isolation: sandbox,
          limits: resolved,
        };
        return summarize(await runIn(run, files, evaluation, language));
      } catch (error) {
        if (EvaluatorError.is(error)) return failedEvaluation(total, error.code, error.message);
        const message = error instanceof Error ? error.message : String(error);
        return failedEvaluation(total, "SANDBOX_FAILED", message);
      } finally {
        if (dir !== undefined) await removeDir(dir);
      }
    },
  };
}

let defaultEvaluator: Evaluator | undefined;

/**
 * Evaluates `code` in `language` against `evaluation` with the default evaluator (`python3` from
 * `$PATH`, the current Node). See `createEvaluator` to choose the runtimes.
 */
export function evaluate(
  code: string,
  language: Language,
  evaluation: Evaluation,
  limits?: EvaluatorLimits,
): Promise<EvaluationResult> {
  defaultEvaluator ??= createEvaluator();
  return defaultEvaluator.evaluate(code, language, evaluation, limits);
}

interface CandidateFiles {
  /** File name (in the temp dir) → contents. */
  files: Map<string, string>;
  /** The file the runtime loads. */
  main: string;
}

/** The files to write; TypeScript is transpiled here, before any process starts. */
async function candidateFiles(
  code: string,
  language: Language,
  evaluation: Evaluation,
): Promise<CandidateFiles> {
  const text = evaluation.kind === "test_program" ? `${code}\n\n${evaluation.program}` : code;
  const stem = evaluation.kind === "test_program" ? "program" : "solution";
  if (language === "python") {
    const main = `${stem}.py`;
    const support: [string, string] =
      evaluation.kind === "function"
        ? [PYTHON_HARNESS_FILE, PYTHON_HARNESS]
        : [PYTHON_RUNNER_FILE, PYTHON_RUNNER];
    return { main, files: new Map([[main, text], support]) };
  }
  const source = await toNodeSource(text, language);
  const main = `${stem}${source.extension}`;
  if (evaluation.kind === "function") {
    return {
      main,
      files: new Map([
        [main, withFunctionFooter(source.text, evaluation.function_name)],
        [NODE_HARNESS_FILE, NODE_HARNESS],
      ]),
    };
  }
  return {
    main,
    files: new Map([
      [main, source.text],
      [NODE_PRELOAD_FILE, NODE_PRELOAD],
    ]),
  };
}

async function runIn(
  run: SandboxRun,
  candidate: CandidateFiles,
  evaluation: Evaluation,
  language: Language,
): Promise<ExampleResult[]> {
  await Promise.all([...candidate.files].map(([name, text]) => writeFile(join(run.dir, name), text)));
  const main = join(run.dir, candidate.main);
  switch (evaluation.kind) {
    case "function":
      return runFunctionExamples(run, {
        module: main,
        functionName: evaluation.function_name,
        examples: evaluation.examples,
        reportLines: language !== "typescript",
      });
    case "cli":
      return runCliExamples(run, main, evaluation.examples);
    case "test_program":
      return runTestProgram(run, main);
  }
}

/**
 * PATH (the runtime's own folder first, so `python3` in a subprocess is this interpreter even behind a
 * shim), HOME and TMPDIR in the temp dir, a UTF-8 locale; nothing else of the parent's environment.
 * PYTHONHASHSEED is fixed so that set and dict-of-set orders repeat from run to run. Leaving out the
 * parent's NODE_OPTIONS (test runners' loaders) and NODE_EXTRA_CA_CERTS (a CA bundle parsed at every
 * start) also keeps each Node start at its floor.
 */
function childEnv(
  runtime: RuntimeKind,
  dir: string,
  executable: string,
  searchPath: string,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${dirname(executable)}:${searchPath}`,
    HOME: dir,
    TMPDIR: dir,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
  };
  if (runtime === "python") {
    Object.assign(env, { PYTHONIOENCODING: "utf-8", PYTHONDONTWRITEBYTECODE: "1", PYTHONHASHSEED: "0" });
  }
  return env;
}

async function removeDir(dir: string): Promise<void> {
  const remove = () => rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  try {
    await remove();
  } catch {
    // A candidate can take the permissions off a folder it made (it only matters to a non-root user):
    // give them back and try once more. If even that fails, the result still stands.
    await restorePermissions(dir);
    await remove().catch(() => undefined);
  }
}

async function restorePermissions(dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await restorePermissions(join(dir, entry.name));
  }
}
