/**
 * One error base: every error class the library exports extends OrketError and declares its codes with
 * their exit class, and docs/errors.md lists exactly those codes with the same exit codes. A new error
 * class, or a new code, fails here until it is declared and documented.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { EXIT_CODES, type ExitClass, OrketError } from "../src/spec/orket-error.js";

/** Modules that run something when imported. */
const ENTRY_POINTS = new Set(["src/cli/main.ts", "src/lab/row-child.ts"]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

type ErrorClass = (new (...args: never[]) => Error) & { codes?: Readonly<Record<string, ExitClass>> };

async function exportedErrorClasses(): Promise<Map<string, ErrorClass>> {
  const found = new Map<string, ErrorClass>();
  for (const path of sources("src")) {
    const file = relative(".", path);
    if (ENTRY_POINTS.has(file)) continue;
    const module = (await import(pathToFileURL(join(process.cwd(), file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === "function" && value.prototype instanceof Error)
        found.set(name, value as ErrorClass);
    }
  }
  return found;
}

const classes = await exportedErrorClasses();

function documented(): Map<string, number> {
  const text = readFileSync("docs/errors.md", "utf8");
  const rows = new Map<string, number>();
  for (const match of text.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| (\d) \| (.+) \|$/gm)) {
    const [, code, exit, meaning] = match as unknown as [string, string, string, string];
    expect(rows.has(code), `docs/errors.md lists ${code} twice`).toBe(false);
    expect(meaning.trim().length, `docs/errors.md: ${code} has no meaning`).toBeGreaterThan(10);
    rows.set(code, Number(exit));
  }
  return rows;
}

describe("errors", () => {
  it("finds the library's error classes", () => {
    expect(classes.size).toBeGreaterThan(25);
    for (const name of ["ModelCallError", "StoreError", "BankError", "CliUsageError", "SandboxError"]) {
      expect(classes.has(name), name).toBe(true);
    }
  });

  it("gives every exported error class the one base, with declared codes", () => {
    for (const [name, Class] of classes) {
      expect(
        Class === OrketError || Class.prototype instanceof OrketError,
        `${name} extends OrketError`,
      ).toBe(true);
      if (Class === OrketError) continue;
      const codes = Object.entries(Class.codes ?? {});
      expect(codes.length, `${name} declares its codes`).toBeGreaterThan(0);
      for (const [code, exit] of codes) {
        expect(code, name).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(["usage", "failed", "internal"], `${name}.${code}`).toContain(exit);
      }
    }
  });

  it("names each error after its class and keeps its message to one line", () => {
    let constructed = 0;
    for (const [name, Class] of classes) {
      let error: Error;
      try {
        error = new (Class as unknown as new (...args: string[]) => Error)("x", "y", "z");
      } catch {
        continue; // a constructor that needs structured input (a bank's problem list)
      }
      constructed++;
      expect(error.name, name).toBe(name);
      expect(error.message, name).not.toMatch(/\n/);
      expect(OrketError.isInstance(error), name).toBe(true);
    }
    expect(constructed).toBeGreaterThan(20);
  });

  it("lists every code in docs/errors.md with the exit code its class declares, and nothing else", () => {
    const declared = new Map<string, number>();
    for (const Class of classes.values()) {
      for (const [code, exit] of Object.entries(Class.codes ?? {})) {
        const exitCode = EXIT_CODES[exit];
        const seen = declared.get(code);
        expect(seen === undefined || seen === exitCode, `${code} has one exit code`).toBe(true);
        declared.set(code, exitCode);
      }
    }
    const docs = documented();
    const missing = [...declared.keys()].filter((code) => !docs.has(code));
    const extra = [...docs.keys()].filter((code) => !declared.has(code));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    for (const [code, exit] of declared) expect(docs.get(code), code).toBe(exit);
  });

  it("recognises an Orket error from another copy of the module, and nothing else", () => {
    const foreign = Object.assign(new Error("x"), { [Symbol.for("orket.error")]: true, code: "BAD_USAGE" });
    expect(OrketError.isInstance(foreign)).toBe(true);
    expect(OrketError.isInstance(new Error("x"))).toBe(false);
    expect(OrketError.isInstance(null)).toBe(false);
    expect(OrketError.isInstance({ code: "BAD_USAGE" })).toBe(false);
  });
});
