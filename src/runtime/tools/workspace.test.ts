import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspace, SandboxError, type Workspace } from "./workspace.js";

let temp: string;
let root: string;

beforeEach(async () => {
  temp = await mkdtemp(join(tmpdir(), "orket-ws-"));
  root = join(temp, "workspace");
});

afterEach(async () => {
  await rm(temp, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<SandboxError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof SandboxError)) throw new Error(`expected a SandboxError, got ${String(outcome)}`);
  return outcome;
}

/** Tests that need a peer (a tool, a privilege) run in CI whatever this machine lacks, and fail there. */
const inCI = process.env.CI !== undefined;

describe("createWorkspace", () => {
  it("creates a missing root and reports its real path", async () => {
    await mkdir(join(temp, "real"));
    await symlink(join(temp, "real"), join(temp, "alias"));
    const ws = await createWorkspace({ root: join(temp, "alias", "deep", "ws") });
    expect(ws.root).toBe(join(temp, "real", "deep", "ws"));
    expect((await ws.listDirectory()).entries).toEqual([]);
  });

  it("refuses a relative root, bad limits and bad references", async () => {
    await expect(createWorkspace({ root: "relative/ws" })).rejects.toThrow(TypeError);
    await expect(createWorkspace({ root, maxReadBytes: 0 })).rejects.toThrow(RangeError);
    await expect(createWorkspace({ root, maxListEntries: 1.5 })).rejects.toThrow(RangeError);
    const missing = await refusal(
      createWorkspace({ root, references: [{ name: "x", path: join(temp, "nope") }] }),
    );
    expect(missing.code).toBe("NOT_FOUND");
    for (const name of ["a/b", "..", ".", "", " x"]) {
      await expect(createWorkspace({ root, references: [{ name, path: temp }] })).rejects.toThrow(
        SandboxError,
      );
    }
    await expect(
      createWorkspace({
        root,
        references: [
          { name: "x", path: temp },
          { name: "x", path: temp },
        ],
      }),
    ).rejects.toThrow(TypeError);
    await expect(createWorkspace({ root, references: [{ name: "x", path: "rel" }] })).rejects.toThrow(
      TypeError,
    );
  });
});

describe("write and read", () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await createWorkspace({ root, maxReadBytes: 64, maxWriteBytes: 64 });
  });

  it("writes nested files, creating folders, and reads them back", async () => {
    expect(await ws.writeFile("src/pkg/app.py", "print('héllo')\n")).toEqual({
      path: "src/pkg/app.py",
      bytes: 16,
      created: true,
    });
    expect(await readFile(join(root, "src/pkg/app.py"), "utf8")).toBe("print('héllo')\n");
    expect(await ws.readFile("./src//pkg/app.py")).toEqual({
      path: "src/pkg/app.py",
      content: "print('héllo')\n",
      bytes: 16,
    });
    expect(await ws.writeFile("src/pkg/app.py", "v2")).toEqual({
      path: "src/pkg/app.py",
      bytes: 2,
      created: false,
    });
    expect((await ws.readFile("src/pkg/app.py")).content).toBe("v2");
  });

  it("keeps the rwx bits of a file it replaces, never setuid", async () => {
    await ws.writeFile("run.sh", "#!/bin/sh\n");
    await chmod(join(root, "run.sh"), 0o4750);
    await ws.writeFile("run.sh", "#!/bin/sh\necho hi\n");
    expect((await stat(join(root, "run.sh"))).mode & 0o7777).toBe(0o750);
  });

  it("leaves no temporary files or folders behind", async () => {
    await ws.writeFile("a.txt", "1");
    await ws.writeFile("a.txt", "2");
    await ws.writeFile("d/b.txt", "3");
    expect(await readdir(root)).toEqual(["a.txt", "d"]);
    expect(await readdir(join(root, "d"))).toEqual(["b.txt"]);
  });

  it("takes literal names that look like encodings or traversal", async () => {
    for (const path of ["%2e%2e/x", "....//y", "．．/z", "CON", ".../w"]) {
      await ws.writeFile(path, path);
      expect((await ws.readFile(path)).content).toBe(path);
    }
    expect((await readdir(root)).sort()).toEqual(["%2e%2e", "....", "...", "CON", "．．"].sort());
  });

  it("enforces the write limit in UTF-8 bytes, at the boundary", async () => {
    expect((await ws.writeFile("ok.txt", "é".repeat(32))).bytes).toBe(64);
    const over = await refusal(ws.writeFile("over.txt", `${"é".repeat(32)}x`));
    expect(over.code).toBe("TOO_LARGE");
    expect(over.message).toContain("65 bytes");
    expect(await readdir(root)).toEqual(["ok.txt"]);
  });

  it("enforces the read limit at the boundary and names the size", async () => {
    await writeFile(join(root, "64.txt"), "x".repeat(64));
    await writeFile(join(root, "65.txt"), "x".repeat(65));
    expect((await ws.readFile("64.txt")).bytes).toBe(64);
    const over = await refusal(ws.readFile("65.txt"));
    expect(over.code).toBe("TOO_LARGE");
    expect(over.message).toBe('"65.txt": is 65 bytes; the limit is 64');
  });

  it("refuses binary files, judged by a NUL in the first 8 KiB", async () => {
    const big = await createWorkspace({ root });
    await writeFile(join(root, "bin"), Buffer.from([0x89, 0x50, 0, 1]));
    await writeFile(join(root, "late-nul"), Buffer.concat([Buffer.alloc(8192, 0x61), Buffer.from([0])]));
    expect((await refusal(big.readFile("bin"))).code).toBe("BINARY_FILE");
    expect((await big.readFile("late-nul")).bytes).toBe(8193);
  });

  it("keeps a byte-order mark and replaces invalid UTF-8", async () => {
    await writeFile(join(root, "bom.txt"), "\uFEFFhi");
    await writeFile(join(root, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect((await ws.readFile("bom.txt")).content).toBe("\uFEFFhi");
    expect((await ws.readFile("latin1.txt")).content).toBe("caf\uFFFD");
  });

  it("names what is missing, and refuses folders and the root as files", async () => {
    await ws.writeFile("d/a.txt", "a");
    const missing = await refusal(ws.readFile("d/e/f.txt"));
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toBe('"d/e/f.txt": "d/e" does not exist');
    expect((await refusal(ws.readFile("d"))).code).toBe("NOT_A_FILE");
    expect((await refusal(ws.readFile("."))).code).toBe("NOT_A_FILE");
    expect((await refusal(ws.writeFile("d", "x"))).code).toBe("NOT_A_FILE");
    expect((await refusal(ws.writeFile(".", "x"))).code).toBe("NOT_A_FILE");
    expect((await refusal(ws.writeFile("d/a.txt/b", "x"))).code).toBe("NOT_A_DIRECTORY");
    expect((await refusal(ws.readFile("d/a.txt/b"))).code).toBe("NOT_A_DIRECTORY");
  });

  it("reads through a symlink that stays inside, and refuses to write through it", async () => {
    await ws.writeFile("real/a.txt", "a");
    await symlink("real", join(root, "alias"));
    await symlink("real/a.txt", join(root, "a-link"));
    expect((await ws.readFile("alias/a.txt")).content).toBe("a");
    expect((await ws.readFile("a-link")).content).toBe("a");
    const through = await refusal(ws.writeFile("alias/a.txt", "b"));
    expect(through.code).toBe("READ_ONLY");
    expect(through.message).toBe(
      '"alias/a.txt": "alias" is a symlink; writes never follow one; write to "real" instead',
    );
    expect((await refusal(ws.writeFile("a-link", "b"))).message).toContain('write to "real/a.txt" instead');
    expect(await readFile(join(root, "real/a.txt"), "utf8")).toBe("a");
  });
});

describe("listDirectory", () => {
  it("lists sorted by name with types and file sizes, not following symlinks", async () => {
    const ws = await createWorkspace({ root });
    await ws.writeFile("b.txt", "bbb");
    await ws.writeFile("a/x.txt", "x");
    await ws.writeFile("C.md", "");
    await symlink("/etc", join(root, "link"));
    const listing = await ws.listDirectory();
    expect(listing).toEqual({
      path: ".",
      entries: [
        { name: "C.md", type: "file", bytes: 0 },
        { name: "a", type: "directory" },
        { name: "b.txt", type: "file", bytes: 3 },
        { name: "link", type: "symlink" },
      ],
      truncated: false,
    });
    expect(await ws.listDirectory("")).toEqual(listing);
    expect(await ws.listDirectory(".")).toEqual(listing);
    expect(await ws.listDirectory("./")).toEqual(listing);
    expect(await ws.listDirectory("a/")).toEqual({
      path: "a",
      entries: [{ name: "x.txt", type: "file", bytes: 1 }],
      truncated: false,
    });
    expect((await refusal(ws.listDirectory("b.txt"))).code).toBe("NOT_A_DIRECTORY");
    expect((await refusal(ws.listDirectory("nope"))).code).toBe("NOT_FOUND");
  });

  // mkfifo is coreutils': a machine without it fails this test, naming it, rather than skipping it.
  it("lists a FIFO as other and refuses to read or write it", async () => {
    const ws = await createWorkspace({ root });
    try {
      execFileSync("mkfifo", [join(root, "pipe")]);
    } catch (error) {
      throw new Error(`mkfifo (coreutils) is needed to make a FIFO: ${(error as Error).message}`);
    }
    expect((await ws.listDirectory()).entries).toEqual([{ name: "pipe", type: "other" }]);
    expect((await refusal(ws.readFile("pipe"))).code).toBe("NOT_A_FILE");
    expect((await refusal(ws.writeFile("pipe", "x"))).code).toBe("NOT_A_FILE");
  });

  it("truncates past maxListEntries, and not at it", async () => {
    const ws = await createWorkspace({ root, maxListEntries: 3 });
    for (const name of ["e", "d", "c"]) await ws.writeFile(name, name);
    expect(await ws.listDirectory()).toMatchObject({ truncated: false });
    await ws.writeFile("b", "b");
    await ws.writeFile("a", "a");
    const listing = await ws.listDirectory();
    expect(listing.truncated).toBe(true);
    expect(listing.entries.map((e) => e.name)).toEqual(["a", "b", "c"]);
  });
});

describe("references", () => {
  let refs: string;
  beforeEach(async () => {
    refs = join(temp, "refs");
    await mkdir(join(refs, "specs", "nested"), { recursive: true });
    await writeFile(join(refs, "epic.md"), "# Epic");
    await writeFile(join(refs, "specs", "a.md"), "A");
    await writeFile(join(refs, "specs", "nested", "b.md"), "B");
  });

  async function withReferences(): Promise<Workspace> {
    return createWorkspace({
      root,
      references: [
        { name: "epic.md", path: join(refs, "epic.md") },
        { name: "specs", path: join(refs, "specs") },
      ],
    });
  }

  it("shows a virtual references folder that lists the references", async () => {
    const ws = await withReferences();
    await ws.writeFile("main.py", "");
    expect((await ws.listDirectory()).entries).toEqual([
      { name: "main.py", type: "file", bytes: 0 },
      { name: "references", type: "directory" },
    ]);
    expect(await ws.listDirectory("references")).toEqual({
      path: "references",
      entries: [
        { name: "epic.md", type: "file", bytes: 6 },
        { name: "specs", type: "directory" },
      ],
      truncated: false,
    });
    expect(await ws.listDirectory("references/specs")).toEqual({
      path: "references/specs",
      entries: [
        { name: "a.md", type: "file", bytes: 1 },
        { name: "nested", type: "directory" },
      ],
      truncated: false,
    });
  });

  it("reads reference files and files under reference folders", async () => {
    const ws = await withReferences();
    expect(await ws.readFile("references/epic.md")).toEqual({
      path: "references/epic.md",
      content: "# Epic",
      bytes: 6,
    });
    expect((await ws.readFile("references/specs/nested/b.md")).content).toBe("B");
    expect((await refusal(ws.readFile("references/specs"))).code).toBe("NOT_A_FILE");
    expect((await refusal(ws.readFile("references"))).code).toBe("NOT_A_FILE");
    expect((await refusal(ws.readFile("references/specs/zz.md"))).code).toBe("NOT_FOUND");
    expect((await refusal(ws.readFile("references/other.md"))).message).toContain(
      "there are: epic.md, specs",
    );
  });

  it("never writes into references, in any letter case", async () => {
    const ws = await withReferences();
    for (const path of [
      "references/epic.md",
      "references/specs/a.md",
      "references/new.md",
      "references",
      "REFERENCES/x",
    ]) {
      expect((await refusal(ws.writeFile(path, "pwned"))).code).toBe("READ_ONLY");
    }
    expect(await readFile(join(refs, "epic.md"), "utf8")).toBe("# Epic");
    expect(await readdir(root)).toEqual([]);
  });

  it("hides a real references folder in the root behind the virtual one", async () => {
    await mkdir(join(root, "references"), { recursive: true });
    await writeFile(join(root, "references", "shadowed.md"), "S");
    const plain = await createWorkspace({ root });
    expect((await plain.listDirectory()).entries).toEqual([]);
    expect((await refusal(plain.readFile("references/shadowed.md"))).code).toBe("NOT_FOUND");
    expect((await refusal(plain.listDirectory("references"))).code).toBe("NOT_FOUND");
    const ws = await withReferences();
    expect((await ws.listDirectory()).entries).toEqual([{ name: "references", type: "directory" }]);
    expect((await refusal(ws.readFile("references/shadowed.md"))).code).toBe("NOT_FOUND");
  });

  it("keeps a reference that lives inside the workspace read-only there too", async () => {
    await mkdir(join(root, "docs"), { recursive: true });
    await writeFile(join(root, "docs", "spec.md"), "S");
    const ws = await createWorkspace({ root, references: [{ name: "docs", path: join(root, "docs") }] });
    expect((await ws.readFile("docs/spec.md")).content).toBe("S");
    expect((await refusal(ws.writeFile("docs/spec.md", "x"))).code).toBe("READ_ONLY");
    expect((await refusal(ws.writeFile("docs/new/file.md", "x"))).code).toBe("READ_ONLY");
    expect(await readdir(join(root, "docs"))).toEqual(["spec.md"]);
  });
});

// Needs root to mount a tmpfs; CI runs as root, and there a missing privilege fails instead of skipping.
describe.runIf(process.platform === "linux" && (process.getuid?.() === 0 || inCI))("a full disk", () => {
  it("is a NO_SPACE tool error, with the old file intact and nothing half-written left (a real 64 KiB tmpfs)", async () => {
    const mount = await mkdtemp(join(tmpdir(), "orket-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount]);
    try {
      const workspace = await createWorkspace({ root: join(mount, "output") });
      await workspace.writeFile("keep.txt", "old");
      const error = await workspace.writeFile("keep.txt", "x".repeat(200_000)).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(SandboxError);
      expect((error as SandboxError).code).toBe("NO_SPACE");
      expect((error as SandboxError).message).toBe('"keep.txt": the disk is full: nothing was written');
      expect(await readFile(join(mount, "output", "keep.txt"), "utf8")).toBe("old");
      expect(await readdir(join(mount, "output"))).toEqual(["keep.txt"]);
    } finally {
      execFileSync("umount", [mount]);
      await rm(mount, { recursive: true, force: true });
    }
  });
});
