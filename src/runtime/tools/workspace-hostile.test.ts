/**
 * Hostile paths against read, write and list, then proof that nothing outside the workspace changed.
 * Every "outside" a path might reach is real: a canary folder and files beside the root, a sibling whose
 * name starts like the root's, the reference folder, /etc, /tmp, /proc and /dev.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import {
  link,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInside, parseWorkspacePath } from "./sandbox-path.js";
import { createWorkspace, SandboxError, type SandboxErrorCode, type Workspace } from "./workspace.js";

const temp = mkdtempSync(join(tmpdir(), "orket-hostile-"));
const root = join(temp, "workspace");
const canary = join(temp, "canary");
const refs = join(temp, "refs");
const tag = randomBytes(6).toString("hex");
const PAYLOAD = `PWNED-${tag}`;
/** Names that must not exist after the suite, wherever a write might have escaped to. */
const sentinels = [`/etc/orket-pwned-${tag}`, `/tmp/orket-pwned-${tag}`, join(temp, "not-yet")];

type Outcome = SandboxErrorCode | "ok";
interface HostileCase {
  why: string;
  path: string;
  read: Outcome;
  write: Outcome;
  list: Outcome;
}

function hostile(why: string, path: string, read: Outcome, write = read, list = read): HostileCase {
  return { why, path, read, write, list };
}

/**
 * A literal name that merely looks dangerous: not found by the read, written inside the root by the
 * write, and then a file to the list (the three run in that order).
 */
function literal(why: string, path: string): HostileCase {
  return hostile(why, path, "NOT_FOUND", "ok", "NOT_A_DIRECTORY");
}

const CASES: HostileCase[] = [
  // Empty and absolute
  hostile("empty (list reads it as the root)", "", "PATH_EMPTY", "PATH_EMPTY", "ok"),
  hostile("blank", "   ", "PATH_EMPTY"),
  hostile("tab and newline only", "\t\n", "PATH_EMPTY"),
  hostile("absolute /etc/passwd", "/etc/passwd", "PATH_ABSOLUTE"),
  hostile("the filesystem root", "/", "PATH_ABSOLUTE"),
  hostile("double slash", "//etc/passwd", "PATH_ABSOLUTE"),
  hostile("absolute path of a file inside the root", join(root, "docs/readme.md"), "PATH_ABSOLUTE"),
  hostile("Windows drive", "C:\\Windows\\win.ini", "PATH_ABSOLUTE"),
  hostile("drive with forward slash", "c:/x", "PATH_ABSOLUTE"),
  hostile("UNC share", "\\\\server\\share\\x", "PATH_ABSOLUTE"),
  hostile("backslash root", "\\etc\\passwd", "PATH_ABSOLUTE"),
  hostile("home", "~/.ssh/id_rsa", "PATH_ABSOLUTE"),
  hostile("another user's home", "~root/.bashrc", "PATH_ABSOLUTE"),
  hostile("file URL", "file:///etc/passwd", "PATH_ABSOLUTE"),
  // Traversal
  hostile("parent", "..", "PATH_TRAVERSAL"),
  hostile("parent then canary", "../canary/secret.txt", "PATH_TRAVERSAL"),
  hostile("down then up past the root", "a/../../b", "PATH_TRAVERSAL"),
  hostile("dot then parent", "./..", "PATH_TRAVERSAL"),
  hostile("down then up to the root", "a/..", "PATH_TRAVERSAL"),
  hostile("up and back inside", "docs/../docs/readme.md", "PATH_TRAVERSAL"),
  hostile("many parents", "../../../../../../../../etc/passwd", "PATH_TRAVERSAL"),
  hostile("dot segments around a parent", "docs/./../../canary", "PATH_TRAVERSAL"),
  hostile("sibling sharing the root's prefix", "../workspace-evil/file.txt", "PATH_TRAVERSAL"),
  hostile("deep path ending in parents", `${"a/".repeat(2000)}../../etc`, "PATH_TRAVERSAL"),
  hostile("references then parent", "references/../x", "PATH_TRAVERSAL"),
  hostile("references then out", "references/../../canary/secret.txt", "PATH_TRAVERSAL"),
  hostile("backslash traversal", "..\\canary\\secret.txt", "PATH_INVALID"),
  hostile("backslash separator", "docs\\readme.md", "PATH_INVALID"),
  // Literal names that look like traversal
  literal("four dots", "....//canary/secret.txt"),
  literal("three dots", ".../canary"),
  literal("URL-encoded parent", "%2e%2e/canary/secret.txt"),
  literal("URL-encoded parent and slashes", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
  literal("encoded slash between parents", "..%2f..%2fcanary"),
  literal("double-encoded parent", "%252e%252e/x"),
  literal("one-dot leaders", "\u2024\u2024/canary/secret.txt"),
  literal("fullwidth full stops", "\uFF0E\uFF0E/canary/secret.txt"),
  literal("division slash", "..\u2215canary\u2215secret.txt"),
  literal("fullwidth solidus", "\uFF0Fetc\uFF0Fpasswd"),
  literal("dot with combining overlay", ".\u0338./x"),
  // Control, invisible and oversized
  hostile("NUL", "a\u0000b", "PATH_INVALID"),
  hostile("NUL before an extension", "docs/readme.md\u0000.png", "PATH_INVALID"),
  hostile("NUL alone", "\u0000", "PATH_INVALID"),
  hostile("newline", "a\nb", "PATH_INVALID"),
  hostile("trailing newline", "docs/readme.md\n", "PATH_INVALID"),
  hostile("carriage return", "a\rb", "PATH_INVALID"),
  hostile("ANSI escape", "a\u001b[31mred", "PATH_INVALID"),
  hostile("DEL", "a\u007f", "PATH_INVALID"),
  hostile("C1 next-line", "a\u0085b", "PATH_INVALID"),
  hostile("right-to-left override", "evil\u202Etxt.md", "PATH_INVALID"),
  hostile("zero-width space", "a\u200Bb", "PATH_INVALID"),
  hostile("line separator", "a\u2028b", "PATH_INVALID"),
  hostile("byte-order mark", "\uFEFFdocs/readme.md", "PATH_INVALID"),
  hostile("lone surrogate", "\uD800x", "PATH_INVALID"),
  hostile("4097 characters", "x".repeat(4097), "PATH_INVALID"),
  hostile("4098 UTF-8 bytes", "é".repeat(2049), "PATH_INVALID"),
  hostile("256-byte name", `a/${"b".repeat(256)}`, "PATH_INVALID"),
  // Hard-to-see endings
  hostile("trailing slash on a file", "docs/readme.md/", "PATH_INVALID", "PATH_INVALID", "NOT_A_DIRECTORY"),
  hostile("space-only name", "docs/ ", "PATH_INVALID"),
  hostile("trailing space", "docs/readme.md ", "PATH_INVALID"),
  hostile("parent with a trailing space", ".. /canary", "PATH_INVALID"),
  hostile("parent with a leading space", " ../canary", "PATH_INVALID"),
  hostile("no-break space name", "docs/\u00A0", "PATH_INVALID"),
  hostile("ideographic space ending", "docs/readme.md\u3000", "PATH_INVALID"),
  // References
  hostile("the references folder", "references", "NOT_A_FILE", "READ_ONLY", "ok"),
  hostile("a reference file", "references/epic.md", "ok", "READ_ONLY", "NOT_A_DIRECTORY"),
  hostile("a reference file, dotted", "./references/specs/a.md", "ok", "READ_ONLY", "NOT_A_DIRECTORY"),
  hostile("new file in a reference folder", "references/specs/new.md", "NOT_FOUND", "READ_ONLY", "NOT_FOUND"),
  hostile("references in capitals", "References/epic.md", "NOT_FOUND", "READ_ONLY", "NOT_FOUND"),
  hostile("REFERENCES", "REFERENCES", "NOT_FOUND", "READ_ONLY", "NOT_FOUND"),
  hostile("unknown reference", "references/nope/x", "NOT_FOUND", "READ_ONLY", "NOT_FOUND"),
  hostile("symlink out of a reference folder", "references/specs/escape-link", "SYMLINK_ESCAPE", "READ_ONLY"),
  hostile(
    "symlink from a reference to the canary",
    "references/specs/canary-link/secret.txt",
    "SYMLINK_ESCAPE",
    "READ_ONLY",
  ),
  hostile("below a reference file", "references/epic.md/x", "NOT_A_DIRECTORY", "READ_ONLY"),
  // Symlinks that leave
  hostile("symlink to /etc", "etc-link", "SYMLINK_ESCAPE"),
  hostile("through a symlink to /etc", "etc-link/passwd", "SYMLINK_ESCAPE"),
  hostile("new file through a symlink to /etc", `etc-link/orket-pwned-${tag}`, "SYMLINK_ESCAPE"),
  hostile("symlink to /etc/passwd", "passwd-link", "SYMLINK_ESCAPE"),
  hostile("symlink to the parent", "parent-link", "SYMLINK_ESCAPE"),
  hostile("through the parent symlink", "parent-link/canary/secret.txt", "SYMLINK_ESCAPE"),
  hostile("out via the parent and back in", "parent-link/workspace/docs/readme.md", "SYMLINK_ESCAPE"),
  hostile("relative symlink to the canary", "canary-link/secret.txt", "SYMLINK_ESCAPE"),
  hostile("absolute symlink to the canary", "canary-abs/secret.txt", "SYMLINK_ESCAPE"),
  hostile("chain ending outside, through it", "chain1/secret.txt", "SYMLINK_ESCAPE"),
  hostile("chain ending outside", "chain1", "SYMLINK_ESCAPE"),
  hostile("symlinked folder mid-path", "nested/outside-dir/secret.txt", "SYMLINK_ESCAPE"),
  hostile("new file in a symlinked folder mid-path", "nested/outside-dir/new.txt", "SYMLINK_ESCAPE"),
  hostile("deep below a symlinked folder", "nested/outside-dir/sub/deep.txt", "SYMLINK_ESCAPE"),
  hostile("symlink three levels up", "nested/deeper/up/canary/secret.txt", "SYMLINK_ESCAPE"),
  hostile("symlink to the prefix sibling", "prefix-link/file.txt", "SYMLINK_ESCAPE"),
  hostile("new file through a symlink to /tmp", `tmp-link/orket-pwned-${tag}`, "SYMLINK_ESCAPE"),
  hostile("dangling symlink pointing outside", "dangling-out", "SYMLINK_ESCAPE"),
  hostile("folder through a dangling outside symlink", "dangling-out-dir/x", "SYMLINK_ESCAPE"),
  hostile("symlink loop", "loop-a", "PATH_INVALID"),
  hostile("symlink to /proc/self/root", "proc-link/etc/passwd", "SYMLINK_ESCAPE"),
  hostile("symlink to /proc/self/root itself", "proc-link", "SYMLINK_ESCAPE"),
  hostile("symlink to /dev/zero", "dev-link", "SYMLINK_ESCAPE"),
  hostile("self links, then out", "self-link/self-link/etc-link/passwd", "SYMLINK_ESCAPE", "READ_ONLY"),
  // Symlinks that stay inside: followed for reading, never for writing
  hostile("inside folder symlink", "inner-link/readme.md", "ok", "READ_ONLY", "NOT_A_DIRECTORY"),
  hostile("inside folder symlink itself", "inner-link", "NOT_A_FILE", "READ_ONLY", "ok"),
  hostile("inside file symlink", "file-link", "ok", "READ_ONLY", "NOT_A_DIRECTORY"),
  hostile("inside symlink chain", "ok-chain1/readme.md", "ok", "READ_ONLY", "NOT_A_DIRECTORY"),
  hostile("dangling inside symlink", "dangling-in", "NOT_FOUND", "READ_ONLY", "NOT_FOUND"),
  hostile(
    "folder through a dangling inside symlink",
    "dangling-in/new.txt",
    "NOT_FOUND",
    "READ_ONLY",
    "NOT_FOUND",
  ),
  hostile("symlink to the root", "self-link/docs/readme.md", "ok", "READ_ONLY", "NOT_A_DIRECTORY"),
  hostile("absolute symlink inside", "abs-in-link/readme.md", "ok", "READ_ONLY", "NOT_A_DIRECTORY"),
  // Hard links and shapes
  hostile("hard link to an outside file", "hardlink.txt", "ok", "ok", "NOT_A_DIRECTORY"),
  hostile("overwrite a folder", "docs", "NOT_A_FILE", "NOT_A_FILE", "ok"),
  hostile("below a file", "docs/readme.md/x", "NOT_A_DIRECTORY"),
];

let ws: Workspace;
let before: Record<string, string>;
let etcBefore: string[];

async function snapshot(dir: string, skip: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  async function walk(path: string, rel: string): Promise<void> {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (full === skip) continue;
      if (entry.isSymbolicLink()) {
        found[name] = `link ${await readlink(full)}`;
      } else if (entry.isDirectory()) {
        found[name] = "dir";
        await walk(full, name);
      } else {
        const info = await stat(full);
        const hash = createHash("sha256")
          .update(await readFile(full))
          .digest("hex");
        found[name] = `file ${info.size} ${info.mtimeMs} ${hash}`;
      }
    }
  }
  await walk(dir, "");
  return found;
}

beforeAll(async () => {
  await mkdir(join(canary, "sub"), { recursive: true });
  await writeFile(join(canary, "secret.txt"), "CANARY SECRET");
  await writeFile(join(canary, "sub", "deep.txt"), "DEEP SECRET");
  await writeFile(join(canary, "hard-target.txt"), "HARD-LINKED SECRET");
  await writeFile(join(temp, "sibling.txt"), "SIBLING");
  await mkdir(join(temp, "workspace-evil"));
  await writeFile(join(temp, "workspace-evil", "file.txt"), "EVIL TWIN");
  await mkdir(join(refs, "specs"), { recursive: true });
  await writeFile(join(refs, "epic.md"), "# Epic");
  await writeFile(join(refs, "specs", "a.md"), "A");
  await symlink("../epic.md", join(refs, "specs", "escape-link"));
  await symlink("../../canary", join(refs, "specs", "canary-link"));

  await mkdir(join(root, "docs"), { recursive: true });
  await mkdir(join(root, "nested", "deeper"), { recursive: true });
  await writeFile(join(root, "docs", "readme.md"), "README");
  const links: Array<[string, string]> = [
    ["/etc", "etc-link"],
    ["/etc/passwd", "passwd-link"],
    ["..", "parent-link"],
    ["../canary", "canary-link"],
    [canary, "canary-abs"],
    ["chain2", "chain1"],
    ["chain3", "chain2"],
    ["../canary", "chain3"],
    ["ok-chain2", "ok-chain1"],
    ["docs", "ok-chain2"],
    ["/nonexistent-orket-dir/file", "dangling-out"],
    [join(temp, "not-yet"), "dangling-out-dir"],
    ["missing-inside", "dangling-in"],
    ["loop-b", "loop-a"],
    ["loop-a", "loop-b"],
    [canary, "nested/outside-dir"],
    ["../../..", "nested/deeper/up"],
    ["/proc/self/root", "proc-link"],
    ["/dev/zero", "dev-link"],
    ["docs", "inner-link"],
    ["docs/readme.md", "file-link"],
    [".", "self-link"],
    [join(root, "docs"), "abs-in-link"],
    ["../workspace-evil", "prefix-link"],
    ["/tmp", "tmp-link"],
  ];
  for (const [target, name] of links) await symlink(target, join(root, name));
  await link(join(canary, "hard-target.txt"), join(root, "hardlink.txt"));

  ws = await createWorkspace({
    root,
    references: [
      { name: "epic.md", path: join(refs, "epic.md") },
      { name: "specs", path: join(refs, "specs") },
    ],
  });
  before = await snapshot(temp, root);
  etcBefore = readdirSync("/etc").sort();
});

afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

async function outcome(run: () => Promise<unknown>, path: string): Promise<Outcome> {
  try {
    await run();
    return "ok";
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    expect(error.path).toBe(path);
    expect(error.message).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(error.message.startsWith('"')).toBe(true);
    return error.code;
  }
}

describe.each(CASES)("hostile: $why", (c) => {
  it(`read → ${c.read}`, async () => {
    expect(await outcome(() => ws.readFile(c.path), c.path)).toBe(c.read);
  });

  it(`write → ${c.write}`, async () => {
    expect(await outcome(() => ws.writeFile(c.path, PAYLOAD), c.path)).toBe(c.write);
    if (c.write === "ok") {
      // A write that is allowed lands inside the root, at the path it names.
      const written = join(ws.root, ...parseWorkspacePath(c.path).segments);
      expect(isInside(ws.root, await realpath(written))).toBe(true);
      expect(await readFile(written, "utf8")).toBe(PAYLOAD);
    }
  });

  it(`list → ${c.list}`, async () => {
    expect(await outcome(() => ws.listDirectory(c.path), c.path)).toBe(c.list);
  });
});

describe("a symlink created after a check", () => {
  it("is caught on the next call: nothing is cached between calls", async () => {
    await ws.writeFile("swap/inside.txt", "INSIDE");
    expect((await ws.readFile("swap/inside.txt")).content).toBe("INSIDE");
    await rm(join(root, "swap"), { recursive: true });
    await symlink(canary, join(root, "swap"));
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["swap/secret.txt", () => ws.readFile("swap/secret.txt")],
      ["swap/secret.txt", () => ws.writeFile("swap/secret.txt", PAYLOAD)],
      ["swap/new.txt", () => ws.writeFile("swap/new.txt", PAYLOAD)],
      ["swap", () => ws.listDirectory("swap")],
    ];
    for (const [path, run] of calls) expect(await outcome(run, path)).toBe("SYMLINK_ESCAPE");
  });
});

describe("after the hostile suite", () => {
  it("ran at least 50 hostile paths against each operation", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CASES.map((c) => c.path)).size).toBe(CASES.length);
  });

  it("left everything outside the workspace byte-identical, with no new files", async () => {
    expect(await snapshot(temp, root)).toEqual(before);
    for (const path of sentinels) expect(existsSync(path)).toBe(false);
    expect(readdirSync("/etc").sort()).toEqual(etcBefore);
    expect(await readFile(join(canary, "hard-target.txt"), "utf8")).toBe("HARD-LINKED SECRET");
  });
});
