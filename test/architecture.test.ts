/**
 * docs/architecture.md against the code: every folder of src/ is in its layer table and in the
 * dependency rules, every JSON Schema in schemas/ is in its artifact table, and no source comment cites
 * a document the repository does not have.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const doc = readFileSync("docs/architecture.md", "utf8");
const folders = readdirSync("src").filter((name) => statSync(join("src", name)).isDirectory());

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe("docs/architecture.md", () => {
  it("places every folder of src/ in a layer, as the dependency rules do", () => {
    const rules = readFileSync(".dependency-cruiser.cjs", "utf8");
    for (const folder of folders) {
      expect(doc, `src/${folder}/ in docs/architecture.md`).toContain(`\`src/${folder}/\``);
      expect(rules, `${folder} in .dependency-cruiser.cjs`).toContain(`"${folder}"`);
    }
    const cruiser = createRequire(import.meta.url)("../.dependency-cruiser.cjs") as { forbidden: unknown[] };
    expect(cruiser.forbidden.length).toBeGreaterThan(folders.length - 2);
  });

  it("keeps src/core/ in one folder per domain, each in the layer table and the core rules", () => {
    const rules = readFileSync(".dependency-cruiser.cjs", "utf8");
    const entries = readdirSync("src/core");
    const loose = entries.filter((name) => !statSync(join("src/core", name)).isDirectory());
    expect(loose, "files directly under src/core/").toEqual([]);
    expect(entries.sort()).toEqual(["bench", "lab", "memory", "runtime", "shared"]);
    for (const domain of entries) {
      expect(doc, `src/core/${domain}/ in docs/architecture.md`).toContain(`\`src/core/${domain}/\``);
      expect(rules, `core ${domain} in .dependency-cruiser.cjs`).toContain(`"${domain}"`);
    }
  });

  it("lists every JSON Schema in schemas/", () => {
    const schemas = readdirSync("schemas").filter((name) => name.endsWith(".schema.json"));
    expect(schemas.length).toBeGreaterThan(5);
    for (const schema of schemas) expect(doc, schema).toContain(`schemas/${schema}`);
  });

  it("is what source comments cite: no document outside the repository", () => {
    const cited = files("src")
      .concat(files("test"), [".dependency-cruiser.cjs"])
      .filter((path) => /\.(ts|cjs|mjs)$/.test(path))
      .filter((path) => /\b(?:DESIGN|CONTRACTS|STYLE)\.md\b/.test(readFileSync(path, "utf8")))
      .filter((path) => path !== join("test", "architecture.test.ts"));
    expect(cited).toEqual([]);
  });
});
