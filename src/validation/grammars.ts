/**
 * The tree-sitter runtime and the Python, TypeScript and JavaScript grammars, loaded once per process
 * from the installed npm packages' `.wasm` files. Bytes are read from disk and handed to the runtime, so
 * nothing is ever fetched; `web-tree-sitter` itself is imported lazily, keeping it off the start-up path
 * of commands that never validate code.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Node, Parser } from "web-tree-sitter";
import type { Language } from "../spec/bank.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";

/** Module specifiers of the wasm files, resolved against this package's `node_modules`. */
const RUNTIME_WASM = "web-tree-sitter/web-tree-sitter.wasm";
const GRAMMAR_WASM: Record<Language, string> = {
  python: "tree-sitter-python/tree-sitter-python.wasm",
  typescript: "tree-sitter-typescript/tree-sitter-typescript.wasm",
  javascript: "tree-sitter-javascript/tree-sitter-javascript.wasm",
};
const LANGUAGES = Object.keys(GRAMMAR_WASM) as Language[];

/** Parsers for the bank's languages. */
export interface Grammars {
  /**
   * Parses `code` and hands the root node to `read`. The tree lives in wasm memory and is freed when
   * `read` returns, so no node may escape it.
   */
  withTree<T>(language: Language, code: string, read: (root: Node) => T): T;
}

/** A grammar or the runtime could not be found or instantiated; `path` names the file. */
export class GrammarLoadError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { GRAMMAR_LOAD_FAILED: "failed" };
  override readonly code = "GRAMMAR_LOAD_FAILED";
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(`cannot load tree-sitter wasm ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = new.target.name;
    this.path = path;
  }
}

let loading: Promise<Grammars> | undefined;

/**
 * The process-wide grammars, loaded on first use. A failed load is not cached, so a later call retries
 * rather than repeating a stale error.
 */
export function loadGrammars(): Promise<Grammars> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<Grammars> {
  const require = createRequire(import.meta.url);
  const read = async (specifier: string): Promise<Uint8Array> => {
    let path = specifier;
    try {
      path = require.resolve(specifier);
      return await readFile(path);
    } catch (error) {
      throw new GrammarLoadError(path, error);
    }
  };

  const treeSitter = await import("web-tree-sitter");
  const runtime = await read(RUNTIME_WASM);
  try {
    await treeSitter.Parser.init({ wasmBinary: runtime });
  } catch (error) {
    throw new GrammarLoadError(RUNTIME_WASM, error);
  }

  // A Parser per language, kept for the process: parsing is synchronous, so sharing them is safe.
  const parsers = {} as Record<Language, Parser>;
  for (const language of LANGUAGES) {
    const bytes = await read(GRAMMAR_WASM[language]);
    try {
      const grammar = await treeSitter.Language.load(bytes);
      parsers[language] = new treeSitter.Parser().setLanguage(grammar);
    } catch (error) {
      throw new GrammarLoadError(GRAMMAR_WASM[language], error);
    }
  }

  return {
    withTree(language, code, readTree) {
      const tree = parsers[language].parse(code);
      if (tree === null) throw new Error(`tree-sitter returned no tree for ${language}`);
      try {
        return readTree(tree.rootNode);
      } finally {
        tree.delete();
      }
    },
  };
}
