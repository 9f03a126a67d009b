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

/**
 * A whole self-contained page: a strict Content-Security-Policy (inline only, nothing fetched), the
 * body as given, then the chart data (JSON in a script element, under `dataId`), Chart.js and the
 * page's own chart script.
 */
export function htmlPage(page: {
  title: string;
  css: string;
  body: string;
  dataId: string;
  data: unknown;
  chartScript: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${page.css}</style>
</head>
<body>
${page.body}
<script type="application/json" id="${page.dataId}">${scriptJson(page.data)}</script>
<script>${chartLibrary()}</script>
<script>${page.chartScript}</script>
</body>
</html>
`;
}
