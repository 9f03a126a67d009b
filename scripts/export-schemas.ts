/**
 * Writes the JSON Schema of every artifact to `schemas/` (`npm run schemas`). A test fails when the
 * committed files differ from what the zod schemas produce, so they cannot drift apart.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderJsonSchemas } from "./render-json-schemas.js";

const dir = "schemas";
mkdirSync(dir, { recursive: true });
for (const [file, text] of Object.entries(renderJsonSchemas())) {
  writeFileSync(join(dir, file), text);
  console.log(`wrote ${join(dir, file)}`);
}
