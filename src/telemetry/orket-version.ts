/**
 * Orket's version, from its own package.json (two folders up from this module, in `src/` and in
 * `dist/` alike), so the CLI's `--version` and every report's `orket_version` say the same thing as
 * the package that is installed.
 */
import { createRequire } from "node:module";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

export const ORKET_VERSION: string = pkg.version;
