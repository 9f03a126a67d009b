/**
 * A sweep summary for people: `renderSweepReport` gives the same document as markdown and as one
 * self-contained HTML page (tables plus a frontier chart, see `sweep-report-html`). Every unknown shows
 * as "—" with its null reason in a footnote; every piece of text from the summary (model refs are user
 * input) is escaped for the format it lands in. Invalid rows appear in the tables always, and in the
 * chart only with `includeInvalid` (the valid-run policy: that option changes views, never a pick).
 */
import type { SweepSummary } from "../spec/lab.js";
import { buildDocument, type Cell, type SweepDocument } from "./sweep-report-document.js";
import { renderHtml } from "./sweep-report-html.js";

export type { Cell, Section, SweepDocument } from "./sweep-report-document.js";

export interface SweepReportOptions {
  /** Show invalid rows in the frontier chart (by their all-runs measures); default false. */
  includeInvalid?: boolean;
}

/**
 * Renders a sweep summary as markdown and as one self-contained HTML page with the frontier chart.
 * `includeInvalid` only adds invalid rows (by their all-runs measures) to the chart; tables, picks and
 * the markdown are the same either way. Pure apart from reading Chart.js's bundle once.
 */
export function renderSweepReport(
  summary: SweepSummary,
  options: SweepReportOptions = {},
): { markdown: string; html: string } {
  const doc = buildDocument(summary);
  return { markdown: renderMarkdown(doc), html: renderHtml(doc, summary, options.includeInvalid === true) };
}

/**
 * Text for markdown: backslash-escapes what markdown or GFM tables would read as syntax, and flattens
 * line breaks. An underscore between two letters or digits is left alone (GFM never reads it as emphasis).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n|\r/g, " ")
    .replace(/[\\`*[\]<>|~&#]/g, "\\$&")
    .replace(/_/g, (m, i: number, all: string) =>
      /[A-Za-z0-9]/.test(all[i - 1] ?? "") && /[A-Za-z0-9]/.test(all[i + 1] ?? "") ? m : `\\${m}`,
    );
}

function mdCell(cell: Cell): string {
  return `${escapeMarkdown(cell.text)}${cell.note === undefined ? "" : `[^${cell.note}]`}`;
}

export function renderMarkdown(doc: SweepDocument): string {
  const out = [
    `# ${escapeMarkdown(doc.title)}`,
    "",
    mdCell({ text: doc.subtitle, note: doc.subtitleNote }),
    "",
  ];
  for (const section of doc.sections) {
    out.push(`## ${escapeMarkdown(section.title)}`, "");
    if (section.pairs) {
      out.push("| | |", "|---|---|");
      for (const [key, cell] of section.pairs) out.push(`| ${escapeMarkdown(key)} | ${mdCell(cell)} |`);
      out.push("");
    }
    if (section.table) {
      out.push(`| ${section.table.head.map(escapeMarkdown).join(" | ")} |`);
      out.push(`|${section.table.head.map(() => "---").join("|")}|`);
      for (const row of section.table.rows) out.push(`| ${row.map(mdCell).join(" | ")} |`);
      out.push("");
    }
    if (section.text !== undefined) out.push(escapeMarkdown(section.text), "");
  }
  if (doc.notes.length) {
    out.push("## Notes", "");
    doc.notes.forEach((note, i) => {
      out.push(`[^${i + 1}]: ${escapeMarkdown(note)}`);
    });
    out.push("");
  }
  return out.join("\n");
}
