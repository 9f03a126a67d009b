/**
 * Orket's version, from its own package.json (one folder up from this module, in `src/` and in
 * `dist/` alike), so the CLI's `--version` and every report's `orket_version` say the same thing as
 * the package that is installed. Read directly: the CommonJS loader would cost the CLI's start-up more.
 */
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export const ORKET_VERSION: string = pkg.version;
