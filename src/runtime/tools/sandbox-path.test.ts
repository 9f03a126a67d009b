import { describe, expect, it } from "vitest";
import { quotePath, SandboxError } from "./sandbox-error.js";
import { isInside, parseWorkspacePath } from "./sandbox-path.js";

function codeOf(raw: unknown): string {
  try {
    parseWorkspacePath(raw);
    return "ok";
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    return error.code;
  }
}

describe("parseWorkspacePath", () => {
  it("normalizes empty and `.` segments and reports a trailing slash", () => {
    expect(parseWorkspacePath("./src//app.py")).toEqual({
      segments: ["src", "app.py"],
      normalized: "src/app.py",
      trailingSlash: false,
    });
    expect(parseWorkspacePath("src/")).toEqual({ segments: ["src"], normalized: "src", trailingSlash: true });
    expect(parseWorkspacePath(".")).toEqual({ segments: [], normalized: ".", trailingSlash: false });
  });

  it("takes lookalikes, encodings and device names literally", () => {
    for (const raw of [
      "%2e%2e",
      "．．",
      "\u2024\u2024",
      "...",
      "....",
      "CON",
      "nul.txt",
      "ab:c",
      "$HOME",
      "é",
    ]) {
      expect(parseWorkspacePath(raw).segments).toEqual([raw]);
    }
  });

  const cases: Array<[unknown, string]> = [
    [42, "PATH_INVALID"],
    [undefined, "PATH_INVALID"],
    ["", "PATH_EMPTY"],
    [" \t", "PATH_EMPTY"],
    ["/a", "PATH_ABSOLUTE"],
    ["\\\\srv\\share", "PATH_ABSOLUTE"],
    ["C:\\x", "PATH_ABSOLUTE"],
    ["c:x", "PATH_ABSOLUTE"],
    ["~", "PATH_ABSOLUTE"],
    ["file:///etc/passwd", "PATH_ABSOLUTE"],
    ["a\\b", "PATH_INVALID"],
    ["a/../b", "PATH_TRAVERSAL"],
    ["..", "PATH_TRAVERSAL"],
    ["a/b\u0000", "PATH_INVALID"],
    ["a\u00ad", "PATH_INVALID"],
    ["a\uE000", "PATH_INVALID"],
    ["a/ b", "PATH_INVALID"],
    ["a\u3000/b", "PATH_INVALID"],
    ["x".repeat(4097), "PATH_INVALID"],
    ["€".repeat(1366), "PATH_INVALID"],
    ["x".repeat(255), "ok"],
    [`${"x".repeat(255)}/`.repeat(16), "ok"],
    ["€".repeat(86), "PATH_INVALID"],
    ["€".repeat(85), "ok"],
  ];
  it.each(cases.map(([raw, code]) => ({ raw, code, label: String(JSON.stringify(raw)).slice(0, 40) })))(
    "$label → $code",
    ({ raw, code }) => {
      expect(codeOf(raw)).toBe(code);
    },
  );
});

describe("quotePath", () => {
  it("keeps a message on one line and escapes invisible characters", () => {
    expect(quotePath('a\n"b"\u202e\\')).toBe('"a\\u000a\\"b\\"\\u202e\\\\"');
  });

  it("shortens long paths and says how long they were", () => {
    const quoted = quotePath("y".repeat(5000));
    expect(quoted.length).toBeLessThan(200);
    expect(quoted).toContain("(5000 chars)");
  });
});

describe("isInside", () => {
  it("does not take a sibling with a common prefix for a child", () => {
    expect(isInside("/w/root", "/w/root")).toBe(true);
    expect(isInside("/w/root", "/w/root/a")).toBe(true);
    expect(isInside("/w/root", "/w/root-evil/a")).toBe(false);
    expect(isInside("/w/root", "/w")).toBe(false);
    expect(isInside("/", "/etc")).toBe(true);
  });
});
