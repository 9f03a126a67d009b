/**
 * Tool-parser speed on ~1 MB answers: a realistic one (prose, fenced and bare calls with braces and
 * quotes in strings) and adversarial ones (unterminated objects, fences and tags). Linear work reads a
 * megabyte in tens of milliseconds; a quadratic scan would take minutes.
 */
import { parseToolCalls } from "../src/runtime/tool-parser.js";

const MB = 1_000_000;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
const CALL = String.raw`{"tool": "write_file", "args": {"path": "a.ts", "content": "const o = {a: 1, b: \"}\"};\n"}}`;
const unit = `Some prose about {braces} and "quotes". ${CALL}\n\`\`\`json\n${CALL}\n\`\`\`\n`;
const inputs: Record<string, string> = {
  realistic: unit.repeat(Math.round(MB / unit.length)),
  hugeFile: `{"tool": "write_file", "args": {"content": "${String.raw`line {x}\n\"q\"`.repeat(MB / 16)}"}}`,
  cutOff: `{"tool": "write_file", "args": {"content": "${"a".repeat(MB)}`,
  openBraces: "{".repeat(MB),
  openKeys: fill('{"a":'),
  openCalls: fill('{"tool": "x'),
  openTags: fill('<tool_call>{"name": "a"\n'),
  openFences: fill('```json\n{"tool": "a", "args": {"c": "x\n```\n'),
  deepToolCalls: fill('{"tool_calls": ['),
};

console.log("tool parser on ~1 MB inputs (median of 7 runs)");
for (const [name, text] of Object.entries(inputs)) {
  const times = Array.from({ length: 7 }, () => {
    const started = performance.now();
    parseToolCalls(text);
    return performance.now() - started;
  }).sort((a, b) => a - b);
  const mbPerSecond = text.length / 1e6 / ((times[3] ?? 1) / 1000);
  console.log(
    `  ${name.padEnd(14)} ${(times[3] ?? 0).toFixed(1).padStart(7)} ms  (${mbPerSecond.toFixed(1)} MB/s)`,
  );
}
