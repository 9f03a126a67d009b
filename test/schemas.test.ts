import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderJsonSchemas } from "../scripts/render-json-schemas.js";

describe("schemas/", () => {
  it("holds the JSON Schema of every artifact, as the zod schemas produce it (npm run schemas)", () => {
    for (const [file, text] of Object.entries(renderJsonSchemas())) {
      expect(readFileSync(join("schemas", file), "utf8"), file).toBe(text);
    }
  });
});
