/**
 * Turns a candidate's JavaScript or TypeScript into the file Node runs. Models write plain scripts,
 * CommonJS and ES modules alike, so the module kind is read from the code; TypeScript is transpiled
 * (syntax only, no type check) by the `typescript` package, imported only when a TypeScript solution
 * comes along because it takes a while to load.
 */
import { EvaluatorError } from "./evaluation-result.js";

export type ModuleKind = "esm" | "cjs";

export interface NodeSource {
  /** `.mjs` or `.cjs`, so Node needs no package.json to know how to load it. */
  extension: ".mjs" | ".cjs";
  text: string;
}

/** Where the scope footer leaves the candidate's top-level names for the server. */
export const CANDIDATE_SYMBOL = "orket.candidate";

const ESM_SYNTAX = /^[ \t]*(?:import[ \t]*[\w*{"'$]|export[ \t]*[\w*{$])/m;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** ES module when a line starts with a static `import` or an `export`; otherwise CommonJS or a plain script. */
export function detectModuleKind(source: string): ModuleKind {
  return ESM_SYNTAX.test(source) ? "esm" : "cjs";
}

const TOP_LEVEL_NAME =
  /^(?:export[ \t]+)?(?:(?:async[ \t]+)?function[ \t]*\*?[ \t]*|class[ \t]+|(?:const|let|var)[ \t]+)([A-Za-z_$][\w$]*)/gm;

/** Names declared at the start of a line (top level, as models write code), plus `extra`. */
export function topLevelNames(text: string, extra: readonly string[] = []): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(TOP_LEVEL_NAME)) if (match[1] !== undefined) names.add(match[1]);
  for (const name of extra) if (IDENTIFIER.test(name)) names.add(name);
  return [...names];
}

/**
 * Appends a line that hands the module's top-level names (and `extra`) to the server, declared or
 * exported: `typeof` is safe on an undeclared name, and the line numbers above stay put.
 */
export function withScopeFooter(text: string, extra: readonly string[] = []): string {
  const entries = topLevelNames(text, extra).map(
    (name) => `${JSON.stringify(name)}: typeof ${name} === "undefined" ? undefined : ${name}`,
  );
  return `${text}\n;globalThis[Symbol.for(${JSON.stringify(CANDIDATE_SYMBOL)})] = { ${entries.join(", ")} };\n`;
}

/** The file for Node; throws `COMPILE_FAILED` when TypeScript reports a syntax error. */
export async function toNodeSource(
  source: string,
  language: "javascript" | "typescript",
): Promise<NodeSource> {
  const kind = detectModuleKind(source);
  const extension = kind === "esm" ? ".mjs" : ".cjs";
  if (language === "javascript") return { extension, text: source };
  return { extension, text: await transpile(source, kind) };
}

const MAX_DIAGNOSTICS = 3;

/**
 * Loads the TypeScript compiler (about 80 MiB of this process's memory) before a benchmark measures
 * anything, so the first TypeScript task does not move this process's RSS in the middle of a bench (or
 * of a sweep's first row), where the embedded engine's peak memory is measured.
 */
export async function preloadTranspiler(): Promise<void> {
  await transpile("export const ready = true;\n", "esm");
}

async function transpile(source: string, kind: ModuleKind): Promise<string> {
  const ts = (await import("typescript")).default;
  const fileName = "solution.ts";
  const output = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: kind === "esm" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      sourceMap: false,
      inlineSourceMap: false,
      removeComments: false,
    },
  });
  const diagnostics = output.diagnostics ?? [];
  if (diagnostics.length > 0) {
    const shown = diagnostics.slice(0, MAX_DIAGNOSTICS).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
      if (diagnostic.file === undefined || diagnostic.start === undefined)
        return `error TS${diagnostic.code}: ${message}`;
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      return `${fileName}(${line + 1},${character + 1}): error TS${diagnostic.code}: ${message}`;
    });
    const more =
      diagnostics.length > MAX_DIAGNOSTICS ? ` (+${diagnostics.length - MAX_DIAGNOSTICS} more)` : "";
    throw new EvaluatorError("COMPILE_FAILED", `${shown.join("; ")}${more}`);
  }
  return output.outputText;
}
