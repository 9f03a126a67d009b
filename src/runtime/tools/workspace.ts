/**
 * The workspace sandbox behind `read_file`, `write_file` and `list_directory`, whose paths an untrusted
 * model chooses. Nothing read, written or listed lies outside the workspace root, and the epic's
 * reference files, shown under the virtual folder `references/`, are readable and never writable.
 *
 * Containment is checked twice. Lexically (`sandbox-path.ts`): a relative POSIX path with no `..`.
 * Then on the filesystem: each name is looked up with `lstat`, each symlink met is resolved with
 * `realpath` and must stay inside the root (or inside its reference), and the object finally opened is
 * asked where it really is (`open-pinned.ts`), which defeats a symlink swapped in after the check.
 *
 * Writes never go through a symlink, not even one that stays inside: the model is told the real path to
 * write instead. A write goes into a fresh private folder beside the target (so no file is ever opened
 * for writing at a name someone else could have planted a symlink at) and is renamed over the target,
 * which replaces the name and never follows it: a hard link to a file elsewhere is left alone.
 *
 * The name `references` at the root is reserved: when references exist it is the virtual folder and a
 * real `references` entry in the root is hidden; when none exist it is not found. It can never be
 * written, in any letter case.
 */
import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { chmod, mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { writeFileAtomic } from "../../store/atomic-file.js";
import { openPinned, probeFdPaths } from "./open-pinned.js";
import { quotePath as q, SandboxError } from "./sandbox-error.js";
import { isInside, parseWorkspacePath, type WorkspacePath } from "./sandbox-path.js";
import { followLink, pinInScope, resolveExisting, type Scope, shownName } from "./scope-resolver.js";
import {
  byName,
  type EntryType,
  entryType,
  errorCode,
  fsFailure,
  lstatIfExists,
  positive,
  readAtMost,
  relativeName,
  withSize,
} from "./workspace-fs.js";

export { SANDBOX_ERROR_CODES, SandboxError, type SandboxErrorCode } from "./sandbox-error.js";
export type { EntryType } from "./workspace-fs.js";

export interface WorkspaceOptions {
  /** Absolute path of the workspace folder; created if missing. */
  root: string;
  /** Files or folders the agents may read and never write, shown as `references/<name>`. */
  references?: Array<{ name: string; path: string }>;
  /** Default 1 MiB. */
  maxReadBytes?: number;
  /** Default 1 MiB, counted in UTF-8 bytes. */
  maxWriteBytes?: number;
  /** Default 500. */
  maxListEntries?: number;
}

export interface DirectoryEntry {
  name: string;
  type: EntryType;
  /** Size of a file; absent for anything else. */
  bytes?: number;
}

export interface Workspace {
  /** The real path of the workspace folder (symlinks in the given root resolved). */
  readonly root: string;
  readFile(path: string): Promise<{ path: string; content: string; bytes: number }>;
  writeFile(path: string, content: string): Promise<{ path: string; bytes: number; created: boolean }>;
  /** The root when `path` is omitted, empty or `.`. */
  listDirectory(path?: string): Promise<{ path: string; entries: DirectoryEntry[]; truncated: boolean }>;
}

export const DEFAULT_MAX_READ_BYTES = 1024 * 1024;
export const DEFAULT_MAX_WRITE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_LIST_ENTRIES = 500;
/** A NUL byte in this many first bytes marks a file as binary, as git decides it. */
const BINARY_SNIFF_BYTES = 8192;
const REFERENCES = "references";
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

interface Limits {
  read: number;
  write: number;
  list: number;
}

/** Creates the root folder if missing and checks the options; the references must exist. */
export async function createWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  if (!isAbsolute(options.root)) throw new TypeError(`workspace root must be absolute: ${options.root}`);
  await mkdir(options.root, { recursive: true });
  const root = await realpath(options.root);
  const limits: Limits = {
    read: positive("maxReadBytes", options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES),
    write: positive("maxWriteBytes", options.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES),
    list: positive("maxListEntries", options.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES),
  };
  const references = new Map<string, string>();
  for (const { name, path } of options.references ?? []) {
    const segments = parseWorkspacePath(name).segments;
    if (segments.length !== 1 || segments[0] !== name) {
      throw new SandboxError("PATH_INVALID", name, "a reference name must be one plain name");
    }
    if (references.has(name)) throw new TypeError(`two references are named ${q(name)}`);
    if (!isAbsolute(path)) throw new TypeError(`reference ${q(name)} must have an absolute path: ${path}`);
    try {
      references.set(name, await realpath(path));
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      throw new SandboxError("NOT_FOUND", path, `reference ${q(name)} does not exist`, { cause: error });
    }
  }
  return new SandboxedWorkspace(root, limits, references, await probeFdPaths(root));
}

class SandboxedWorkspace implements Workspace {
  constructor(
    readonly root: string,
    private readonly limits: Limits,
    /** name → real path */
    private readonly references: ReadonlyMap<string, string>,
    /** Whether `/proc/self/fd` pins opened folders (Linux). */
    private readonly fdPaths: boolean,
  ) {}

  async readFile(path: string): Promise<{ path: string; content: string; bytes: number }> {
    const parsed = parseWorkspacePath(path);
    if (parsed.trailingSlash) throw new SandboxError("PATH_INVALID", path, "a trailing `/` names a folder");
    const scope = this.scope(path, parsed);
    if (scope === undefined) throw new SandboxError("NOT_A_FILE", path, "is a folder, not a file");
    const { real, stats } = await resolveExisting(path, scope);
    this.assertReadable(path, stats);
    const pinned = await pinInScope(path, real, "file", scope, this.fdPaths);
    try {
      this.assertReadable(path, await pinned.handle.stat());
      const data = await readAtMost(pinned, this.limits.read);
      if (data === undefined) {
        throw new SandboxError("TOO_LARGE", path, `grew past the read limit of ${this.limits.read} bytes`);
      }
      if (data.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
        throw new SandboxError("BINARY_FILE", path, "is a binary file (it holds a NUL byte)");
      }
      return { path: parsed.normalized, content: decoder.decode(data), bytes: data.length };
    } finally {
      await pinned.handle.close();
    }
  }

  async writeFile(path: string, content: string): Promise<{ path: string; bytes: number; created: boolean }> {
    const parsed = parseWorkspacePath(path);
    if (parsed.trailingSlash) throw new SandboxError("PATH_INVALID", path, "a trailing `/` names a folder");
    if (parsed.segments.length === 0) throw new SandboxError("NOT_A_FILE", path, "is the workspace folder");
    if (parsed.segments[0]?.toLowerCase() === REFERENCES) {
      throw new SandboxError("READ_ONLY", path, "the epic's reference files are read-only");
    }
    const bytes = Buffer.byteLength(content, "utf8");
    if (bytes > this.limits.write) {
      throw new SandboxError(
        "TOO_LARGE",
        path,
        `content is ${bytes} bytes; the limit is ${this.limits.write}`,
      );
    }
    const scope = this.rootScope(parsed.segments);
    const { dir, name, mode } = await this.prepareWrite(path, scope);
    const pinned = await pinInScope(path, dir, "directory", scope, this.fdPaths);
    try {
      await this.commit(path, pinned.via, name, content, mode);
    } finally {
      await pinned.handle.close();
    }
    return { path: parsed.normalized, bytes, created: mode === undefined };
  }

  async listDirectory(path = "."): Promise<{ path: string; entries: DirectoryEntry[]; truncated: boolean }> {
    const parsed = path === "" ? parseWorkspacePath(".") : parseWorkspacePath(path);
    const scope = this.scope(path, parsed);
    if (scope === undefined) return this.listReferences();
    const { real, stats } = await resolveExisting(path, scope);
    if (!stats.isDirectory()) throw new SandboxError("NOT_A_DIRECTORY", path, "is a file, not a folder");
    const pinned = await pinInScope(path, real, "directory", scope, this.fdPaths);
    try {
      const atRoot = scope.base === this.root && real === this.root;
      const named = (await readdir(pinned.via, { withFileTypes: true }))
        .filter((dirent) => !(atRoot && dirent.name === REFERENCES))
        .map((dirent) => ({ name: dirent.name, type: entryType(dirent) }));
      if (atRoot && this.references.size > 0) named.push({ name: REFERENCES, type: "directory" });
      named.sort(byName);
      const shown = named.slice(0, this.limits.list);
      const entries = await Promise.all(
        shown.map(async (entry) =>
          entry.type === "file" ? withSize(entry, join(pinned.via, entry.name)) : entry,
        ),
      );
      return { path: parsed.normalized, entries, truncated: named.length > shown.length };
    } finally {
      await pinned.handle.close();
    }
  }

  private async listReferences(): Promise<{ path: string; entries: DirectoryEntry[]; truncated: boolean }> {
    const all = await Promise.all(
      [...this.references].map(async ([name, real]): Promise<DirectoryEntry> => {
        const stats = await stat(real).catch(() => undefined);
        if (stats?.isDirectory()) return { name, type: "directory" };
        return stats?.isFile() ? { name, type: "file", bytes: stats.size } : { name, type: "other" };
      }),
    );
    all.sort(byName);
    const entries = all.slice(0, this.limits.list);
    return { path: REFERENCES, entries, truncated: all.length > entries.length };
  }

  /** The scope a path is looked up in, or undefined for the virtual `references` folder itself. */
  private scope(path: string, parsed: WorkspacePath): Scope | undefined {
    const [first, name, ...rest] = parsed.segments;
    if (first !== REFERENCES) return this.rootScope(parsed.segments);
    if (this.references.size === 0) throw new SandboxError("NOT_FOUND", path, "there are no references");
    if (name === undefined) return undefined;
    const base = this.references.get(name);
    if (base === undefined) {
      const known = [...this.references.keys()].join(", ");
      throw new SandboxError("NOT_FOUND", path, `no reference is named ${q(name)} (there are: ${known})`);
    }
    return { base, segments: rest, prefix: [REFERENCES, name], label: `reference ${q(name)}` };
  }

  private rootScope(segments: string[]): Scope {
    return { base: this.root, segments, prefix: [], label: "the workspace" };
  }

  /**
   * Walks the path of a write, creating missing folders one at a time inside pinned parents. Returns
   * the real folder and name to write, and the mode of the file there (undefined: a new file); refuses
   * symlinks, references, and anything but a regular file at the target.
   */
  private async prepareWrite(
    path: string,
    scope: Scope,
  ): Promise<{ dir: string; name: string; mode: number | undefined }> {
    let dir = scope.base;
    for (const [index, segment] of scope.segments.entries()) {
      const shown = shownName(scope, index);
      const target = join(dir, segment);
      this.assertNotReference(path, target, shown);
      let entry = await lstatIfExists(path, target, shown);
      if (entry?.isSymbolicLink()) return this.refuseLink(path, target, shown, scope);
      if (index === scope.segments.length - 1) {
        if (entry?.isDirectory()) throw new SandboxError("NOT_A_FILE", path, "is a folder, not a file");
        if (entry && !entry.isFile()) throw new SandboxError("NOT_A_FILE", path, "is not a regular file");
        return { dir, name: segment, mode: entry?.mode };
      }
      if (entry === undefined) {
        await this.makeDirectory(path, dir, segment, scope);
        entry = await lstatIfExists(path, target, shown);
        if (entry === undefined) {
          throw new SandboxError("NOT_FOUND", path, `${q(shown)} vanished as it was made`);
        }
        if (entry.isSymbolicLink()) return this.refuseLink(path, target, shown, scope);
      }
      if (!entry.isDirectory()) {
        throw new SandboxError("NOT_A_DIRECTORY", path, `${q(shown)} is a file, not a folder`);
      }
      dir = target;
    }
    throw new SandboxError("NOT_A_FILE", path, "is the workspace folder");
  }

  private async refuseLink(path: string, link: string, shown: string, scope: Scope): Promise<never> {
    const target = await followLink(path, link, shown, scope);
    const instead = target === undefined ? "" : `; write to ${q(relativeName(this.root, target))} instead`;
    throw new SandboxError("READ_ONLY", path, `${q(shown)} is a symlink; writes never follow one${instead}`);
  }

  /** A reference inside the workspace folder is read-only there too. */
  private assertNotReference(path: string, target: string, shown: string): void {
    for (const [name, real] of this.references) {
      if (isInside(real, target)) {
        throw new SandboxError("READ_ONLY", path, `${q(shown)} is reference ${q(name)}, which is read-only`);
      }
    }
  }

  private async makeDirectory(path: string, parent: string, name: string, scope: Scope): Promise<void> {
    const pinned = await pinInScope(path, parent, "directory", scope, this.fdPaths);
    try {
      await mkdir(join(pinned.via, name));
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw fsFailure(path, name, error);
    } finally {
      await pinned.handle.close();
    }
  }

  /**
   * Writes atomically in a fresh private folder inside `dir`, then renames the file over `name`. A file
   * replaced keeps its rwx bits (a script stays executable) but never setuid or setgid. The private
   * folder is reached through its own pinned handle, so `writeFileAtomic` creates nothing there but its
   * temporary file (Node's recursive mkdir spins forever below a folder deleted meanwhile).
   */
  private async commit(
    path: string,
    dir: string,
    name: string,
    content: string,
    mode: number | undefined,
  ): Promise<void> {
    const stage = join(dir, `.orket-write-${randomBytes(8).toString("hex")}`);
    try {
      await mkdir(stage, { mode: 0o700 });
      const pinned = await openPinned(stage, "directory", this.fdPaths);
      try {
        // No fsync: rename is atomic, so a killed process never leaves half a file; only a power cut could.
        await writeFileAtomic(join(pinned.via, name), content, { durable: false });
        if (mode !== undefined) await chmod(join(pinned.via, name), mode & 0o777);
        await rename(join(pinned.via, name), join(dir, name));
      } finally {
        await pinned.handle.close();
      }
    } catch (error) {
      const code = errorCode(error);
      if (code === "EISDIR" || code === "ENOTEMPTY" || code === "EEXIST") {
        throw new SandboxError("NOT_A_FILE", path, "became a folder during the write", { cause: error });
      }
      if (code === "ENOENT") {
        throw new SandboxError("NOT_FOUND", path, "its folder was removed during the write", {
          cause: error,
        });
      }
      throw fsFailure(path, name, error);
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  }

  private assertReadable(path: string, stats: Stats): void {
    if (stats.isDirectory()) throw new SandboxError("NOT_A_FILE", path, "is a folder, not a file");
    if (!stats.isFile()) throw new SandboxError("NOT_A_FILE", path, "is not a regular file");
    if (stats.size > this.limits.read) {
      throw new SandboxError("TOO_LARGE", path, `is ${stats.size} bytes; the limit is ${this.limits.read}`);
    }
  }
}
