import { defineConfig } from "vitest/config";

/**
 * The real-engine suite: llama.cpp's own llama-server (built by `npm run llama:build`) and the embedded
 * engine on a model that writes real code. One file at a time, alone on the machine: its validity
 * rules judge the machine's load, and another test file running beside it is exactly such load.
 */
export default defineConfig({
  test: {
    include: ["test/real-engine/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    fileParallelism: false,
    // Build dist/ if needed, then wait for a quiet machine (the unit suite's processes winding down).
    globalSetup: ["test/global-setup.ts", "test/real-engine/settle.ts"],
  },
});
