/**
 * What every self-contained HTML page Orket writes shares (the sweep report, the comparison): escaping
 * for text and for JSON inside `<script>`, and Chart.js's bundle inlined so the page loads nothing.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Text for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a `<script>` element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

let chartJs: string | undefined;

/** Chart.js's UMD bundle, found through module resolution so it works from `src/` and `dist/` alike. */
export function chartLibrary(): string {
  if (chartJs === undefined) {
    const entry = createRequire(import.meta.url).resolve("chart.js");
    chartJs = readFileSync(join(dirname(entry), "chart.umd.min.js"), "utf8").replace(
      /<\/script/gi,
      "<\\/script",
    );
  }
  return chartJs;
}

/** The page header every report shares: a strict CSP (inline only, nothing fetched) and the title. */
export const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
