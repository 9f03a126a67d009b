/**
 * The evaluator sandbox: runs a candidate solution against a task's evaluation in child processes and
 * says, per example, whether it passed. Each evaluation gets fresh temp dirs (removed afterwards
 * whatever happens, and by the next evaluator when a killed Orket could not), a minimal environment,
 * stdin closed except for `cli` examples, and the limits: wall time (the whole process group is killed),
 * address space, output size. The verdict is never the candidate's process's to give: values are
 * compared in the parent, test programs run in a second process without the candidate's code. How much
 * of the host the candidate can see depends on the isolation the OS allows (`isolation.ts`).
 */
import { chmod, chown, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Evaluation, Language } from "../../spec/bank.js";
import { detectModuleKind, toNodeSource, withScopeFooter } from "./candidate-source.js";
import {
  type EvaluationResult,
  EvaluatorError,
  type ExampleResult,
  failedEvaluation,
  summarize,
} from "./evaluation-result.js";
import { runFunctionExamples } from "./function-evaluation.js";
import {
  NODE_CHECKER,
  NODE_CHECKER_FILE,
  NODE_PRELOAD,
  NODE_PRELOAD_FILE,
  NODE_SERVER,
  NODE_SERVER_FILE,
} from "./harness-node.js";
import {
  PYTHON_CHECKER,
  PYTHON_CHECKER_FILE,
  PYTHON_RUNNER,
  PYTHON_RUNNER_FILE,
  PYTHON_SERVER,
  PYTHON_SERVER_FILE,
} from "./harness-python.js";
import { type Isolation, type IsolationChoice, probeIsolation } from "./isolation.js";
import { type EvaluatorLimits, resolveLimits } from "./limits.js";
import { runCliExamples } from "./program-evaluation.js";
import { createRuntimeResolver, type RuntimeKind } from "./runtimes.js";
import type { SandboxRun } from "./sandbox-run.js";
import { orketPackageRoot, processTag, removeStaleDirs, TEMP_PREFIXES } from "./temp-dirs.js";
import { runTestProgram } from "./test-program-evaluation.js";

export interface EvaluatorOptions {
  /** The Python 3 interpreter: a command name or a path. Default `python3`. */
  pythonPath?: string;
  /** The Node binary: a path or a command name. Default: the Node running Orket. */
  nodePath?: string;
  /** Where runtimes and sandbox tools are looked up; the children get it too. Default `$PATH`. */
  searchPath?: string;
  /** Environment used only to ask the Python command where it lives. Default `process.env`. */
  resolveEnv?: NodeJS.ProcessEnv;
  /**
   * `auto`: the strongest sandbox the OS allows (bwrap, else unshare); `bwrap` or `unshare`: that one or
   * nothing better than none; `none`: process groups and rlimits only.
   */
  isolation?: IsolationChoice;
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
  const isolation = () => probeIsolation(searchPath, options.isolation ?? "auto");
  const tempRoot = options.tempRoot ?? tmpdir();
  let swept: Promise<void> | undefined;

  return {
    isolation,
    async evaluate(code, language, evaluation, limits) {
      const resolved = resolveLimits(limits);
      const total = evaluation.kind === "test_program" ? 1 : evaluation.examples.length;
      const runtime: RuntimeKind = language === "python" ? "python" : "node";
      const dirs: string[] = [];
      try {
        swept ??= removeStaleDirs(tempRoot);
        const [found, sandbox] = await Promise.all([resolveRuntime(runtime), isolation(), swept]);
        const files = await candidateFiles(code, language, evaluation);
        const dir = await makeDir(tempRoot, TEMP_PREFIXES.candidate, sandbox, "writable", dirs);
        const run: SandboxRun = {
          runtime,
          executable: found.executable,
          dir,
          env: childEnv(runtime, dir, found.executable, searchPath),
          isolation: sandbox,
          limits: resolved,
          readOnly: found.prefixes,
          hidden: hiddenDirs(),
        };
        await writeFiles(dir, files.candidate, sandbox);
        if (files.checker === undefined) return summarize(await runIn(run, files, evaluation, language));
        const checkerDir = await makeDir(tempRoot, TEMP_PREFIXES.checker, sandbox, "readable", dirs);
        await writeFiles(checkerDir, files.checker.files, sandbox);
        const checker = {
          dir: checkerDir,
          env: childEnv(runtime, checkerDir, found.executable, searchPath),
          program: join(checkerDir, files.checker.main),
        };
        const module = join(dir, files.main);
        return summarize(
          await runTestProgram(run, { module, reportLines: language !== "typescript", checker }),
        );
      } catch (error) {
        if (EvaluatorError.is(error)) return failedEvaluation(total, error.code, error.message);
        const message = error instanceof Error ? error.message : String(error);
        return failedEvaluation(total, "SANDBOX_FAILED", message);
      } finally {
        for (const dir of dirs) await removeDir(dir);
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

/** What the default evaluator's sandbox isolates on this machine (probed once). */
export function defaultIsolation(): Promise<Isolation> {
  defaultEvaluator ??= createEvaluator();
  return defaultEvaluator.isolation();
}

interface CandidateFiles {
  /** File name (in the candidate's temp dir) → contents. */
  candidate: Map<string, string>;
  /** The file the runtime loads. */
  main: string;
  /** test_program only: the checker's files (in a dir of its own) and its main file. */
  checker?: { files: Map<string, string>; main: string };
}

/** The files to write; TypeScript is transpiled here, before any process starts. */
async function candidateFiles(
  code: string,
  language: Language,
  evaluation: Evaluation,
): Promise<CandidateFiles> {
  const program = evaluation.kind === "test_program" ? evaluation.program : undefined;
  if (language === "python") {
    const main = "solution.py";
    if (evaluation.kind === "cli") {
      return {
        main,
        candidate: new Map([
          [main, code],
          [PYTHON_RUNNER_FILE, PYTHON_RUNNER],
        ]),
      };
    }
    const candidate = new Map([
      [main, code],
      [PYTHON_SERVER_FILE, PYTHON_SERVER],
    ]);
    if (program === undefined) return { main, candidate };
    const checker = new Map([
      ["test_program.py", program],
      [PYTHON_CHECKER_FILE, PYTHON_CHECKER],
    ]);
    return { main, candidate, checker: { files: checker, main: "test_program.py" } };
  }
  const source = await toNodeSource(code, language);
  const main = `solution${source.extension}`;
  if (evaluation.kind === "cli") {
    return {
      main,
      candidate: new Map([
        [main, source.text],
        [NODE_PRELOAD_FILE, NODE_PRELOAD],
      ]),
    };
  }
  const names = evaluation.kind === "function" ? [evaluation.function_name] : [];
  const candidate = new Map([
    [main, withScopeFooter(source.text, names)],
    [NODE_SERVER_FILE, NODE_SERVER],
  ]);
  if (program === undefined) return { main, candidate };
  const test = await toNodeSource(program, language);
  const testMain = `test_program${detectModuleKind(program) === "esm" ? ".mjs" : test.extension}`;
  const checker = new Map([
    [testMain, test.text],
    [NODE_CHECKER_FILE, NODE_CHECKER],
  ]);
  return { main, candidate, checker: { files: checker, main: testMain } };
}

async function runIn(
  run: SandboxRun,
  candidate: CandidateFiles,
  evaluation: Evaluation,
  language: Language,
): Promise<ExampleResult[]> {
  const main = join(run.dir, candidate.main);
  if (evaluation.kind === "function") {
    return runFunctionExamples(run, {
      module: main,
      functionName: evaluation.function_name,
      examples: evaluation.examples,
      reportLines: language !== "typescript",
    });
  }
  if (evaluation.kind === "cli") return runCliExamples(run, main, evaluation.examples);
  throw new EvaluatorError("SANDBOX_FAILED", "a test program needs the checker's folder");
}

/**
 * A fresh temp dir. Where the sandbox runs the program as another user (unshare as root), the
 * candidate's dir is handed to that user and the checker's is made readable but not writable to it.
 */
async function makeDir(
  root: string,
  prefix: string,
  isolation: Isolation,
  mode: "writable" | "readable",
  made: string[],
): Promise<string> {
  const dir = await mkdtemp(join(root, `${prefix}${processTag()}-`));
  made.push(dir);
  if (isolation.writerUid !== null) {
    if (mode === "writable") await chown(dir, isolation.writerUid, isolation.writerUid);
    else await chmod(dir, 0o755);
  }
  return dir;
}

async function writeFiles(dir: string, files: Map<string, string>, isolation: Isolation): Promise<void> {
  await Promise.all(
    [...files].map(async ([name, text]) => {
      const path = join(dir, name);
      await writeFile(path, text);
      if (isolation.writerUid !== null) await chmod(path, 0o644);
    }),
  );
}

let hidden: string[] | undefined;

/** Orket's own package (its bank, its code): never in a candidate's view. */
function hiddenDirs(): string[] {
  hidden ??= [orketPackageRoot()].filter((dir): dir is string => dir !== null);
  return hidden;
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
