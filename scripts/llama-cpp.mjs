#!/usr/bin/env node
// Builds llama.cpp's native tools (llama-server, llama-bench, llama-quantize, llama-perplexity) from
// the source bundle node-llama-cpp ships, and caches them outside the clone, keyed by the source
// commit, so a second run (or a second clone) reuses them.
//
//   node scripts/llama-cpp.mjs build   build if the cache lacks this commit; print the bin folder
//   node scripts/llama-cpp.mjs where   print the bin folder if it is built, else exit 1
//
// Cache: $ORKET_LLAMA_CPP_CACHE, else $XDG_CACHE_HOME/orket/llama.cpp, else ~/.cache/orket/llama.cpp.
// Plain Node (no tsx) so that CI can run it before anything else is built.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const TOOLS = ["llama-server", "llama-bench", "llama-quantize", "llama-perplexity"];
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");

function cacheRoot() {
  if (process.env.ORKET_LLAMA_CPP_CACHE) return resolve(process.env.ORKET_LLAMA_CPP_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "orket", "llama.cpp");
}

function fail(message) {
  process.stderr.write(`llama-cpp: ${message}\n`);
  process.exit(1);
}

function sourceCommit() {
  if (!existsSync(bundle)) fail(`${bundle} not found (run npm install first)`);
  const heads = execFileSync("git", ["bundle", "list-heads", bundle], { encoding: "utf8" });
  const commit = heads.trim().split(/\s+/)[0];
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) fail(`cannot read the commit of ${bundle}`);
  return commit;
}

function binDir(commit) {
  return join(cacheRoot(), `${commit}-${process.platform}-${process.arch}`, "bin");
}

function isBuilt(dir) {
  return existsSync(join(dir, "build.json")) && TOOLS.every((t) => existsSync(join(dir, t)));
}

function run(cmd, args, cwd) {
  process.stderr.write(`llama-cpp: ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args[0]} exited with ${r.status}`);
}

function build(commit) {
  const bin = binDir(commit);
  const home = dirname(bin);
  mkdirSync(home, { recursive: true });
  // One builder at a time per commit: a second caller waits for the first to finish.
  const lock = join(home, "build.lock");
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (isBuilt(bin)) return bin;
      if (Date.now() - started > 60 * 60 * 1000) fail(`${lock} held for an hour; remove it if no build runs`);
      spawnSync("sleep", ["5"]);
    }
  }
  try {
    if (isBuilt(bin)) return bin;
    const src = join(home, "src");
    const out = join(home, "build");
    rmSync(src, { recursive: true, force: true });
    run("git", ["clone", "--quiet", bundle, src], home);
    run("git", ["-c", "advice.detachedHead=false", "checkout", "--quiet", commit], src);
    const gen = spawnSync("ninja", ["--version"]).status === 0 ? ["-G", "Ninja"] : [];
    run(
      "cmake",
      [
        "-S",
        src,
        "-B",
        out,
        ...gen,
        "-DCMAKE_BUILD_TYPE=Release",
        "-DBUILD_SHARED_LIBS=OFF",
        "-DLLAMA_CURL=OFF",
        "-DLLAMA_OPENSSL=OFF",
        "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF",
        "-DLLAMA_BUILD_UI=OFF",
        "-DLLAMA_USE_PREBUILT_UI=OFF",
      ],
      home,
    );
    const jobs = String(Math.max(1, cpus().length));
    run("cmake", ["--build", out, "--config", "Release", "-j", jobs, "--target", ...TOOLS], home);
    const staging = `${bin}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const tool of TOOLS) {
      const built = join(out, "bin", tool);
      if (!existsSync(built)) fail(`the build did not produce ${built}`);
      execFileSync("cp", [built, join(staging, tool)]);
    }
    const stamp = {
      commit,
      platform: process.platform,
      arch: process.arch,
      tools: TOOLS,
      built_at: new Date().toISOString(),
    };
    writeFileSync(join(staging, "build.json"), `${JSON.stringify(stamp, null, 2)}\n`);
    rmSync(bin, { recursive: true, force: true });
    renameSync(staging, bin);
    rmSync(out, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
    process.stderr.write(`llama-cpp: built in ${Math.round((Date.now() - started) / 1000)} s\n`);
    return bin;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const command = process.argv[2] ?? "build";
const commit = sourceCommit();
if (command === "where") {
  const bin = binDir(commit);
  if (!isBuilt(bin)) fail(`not built for ${commit}: run node scripts/llama-cpp.mjs build`);
  process.stdout.write(`${bin}\n`);
} else if (command === "build") {
  const bin = binDir(commit);
  if (isBuilt(bin)) {
    const stamp = JSON.parse(readFileSync(join(bin, "build.json"), "utf8"));
    process.stderr.write(`llama-cpp: reusing ${bin} (built ${stamp.built_at})\n`);
  } else build(commit);
  process.stdout.write(`${bin}\n`);
} else {
  fail(`unknown command "${command}" (build | where)`);
}
