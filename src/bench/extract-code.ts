/**
 * Code extraction from a model's answer: fenced blocks with or without a language tag (the task's
 * language preferred, then untagged, the longest of those), else an answer that is code from its first
 * line. No code is a result too: adherence is then null and the test run fails.
 */
import type { Language } from "../spec/bank.js";

export interface ExtractedCode {
  code: string | null;
  source: "fenced" | "raw" | "file" | "none";
  /** Why nothing was found, when nothing was. */
  reason: string | null;
}

const TAGS: Record<Language, readonly string[]> = {
  python: ["python", "py", "python3"],
  typescript: ["typescript", "ts", "tsx"],
  javascript: ["javascript", "js", "mjs", "node"],
};

const CODE_START: Record<Language, RegExp> = {
  python: /^(def |class |import |from |async def |@|#!)/,
  typescript: /^(export |function |const |let |import |type |interface |async function |class |\/\/|#!)/,
  javascript:
    /^(export |function |const |let |import |async function |class |"use strict"|'use strict'|\/\/|#!)/,
};

const FENCE = /^([ \t]*)(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)^\1?\2[ \t]*$/gm;

export function extractCode(text: string, language: Language): ExtractedCode {
  const blocks: Array<{ tag: string; body: string }> = [];
  for (const match of text.matchAll(FENCE)) {
    blocks.push({ tag: (match[3] ?? "").toLowerCase(), body: match[4] ?? "" });
  }
  const pick = (candidates: Array<{ body: string }>) =>
    candidates.reduce<string | undefined>(
      (best, b) => (best === undefined || b.body.length > best.length ? b.body : best),
      undefined,
    );
  const tagged = pick(blocks.filter((b) => TAGS[language].includes(b.tag) && b.body.trim() !== ""));
  const untagged = pick(blocks.filter((b) => b.tag === "" && b.body.trim() !== ""));
  const fenced = tagged ?? untagged;
  if (fenced !== undefined) return { code: fenced.replace(/\s+$/, "\n"), source: "fenced", reason: null };
  if (blocks.length > 0) {
    return {
      code: null,
      source: "none",
      reason: `only ${[...new Set(blocks.map((b) => b.tag || "empty"))].join(", ")} blocks, none in ${language}`,
    };
  }
  const trimmed = text.replace(/^\s+/, "");
  if (CODE_START[language].test(trimmed))
    return { code: `${trimmed.replace(/\s+$/, "")}\n`, source: "raw", reason: null };
  return {
    code: null,
    source: "none",
    reason: text.trim() === "" ? "the answer was empty" : "no fenced code block and the answer is not code",
  };
}
