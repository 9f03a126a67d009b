import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderJsonSchemas } from "../scripts/render-json-schemas.js";

describe("schemas/", () => {
  it("holds the JSON Schema of every artifact, as the zod schemas produce it (npm run schemas)", () => {
    const rendered = renderJsonSchemas();
    // Exactly the rendered files: a schema dropped from the list, or a stale file left behind, fails.
    expect(Object.keys(rendered).sort()).toEqual(
      readdirSync("schemas")
        .filter((name) => name.endsWith(".schema.json"))
        .sort(),
    );
    expect(Object.keys(rendered).length).toBeGreaterThanOrEqual(10);
    for (const [file, text] of Object.entries(rendered)) {
      expect(readFileSync(join("schemas", file), "utf8"), file).toBe(text);
    }
  });
});
