import { z } from "zod";
import { ARTIFACT_SCHEMAS } from "../src/spec/schemas.js";

export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, schema] of Object.entries(ARTIFACT_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "output" });
    out[file] = `${JSON.stringify({ $id: `https://orket.dev/schemas/${file}`, ...json }, null, 2)}\n`;
  }
  return out;
}
