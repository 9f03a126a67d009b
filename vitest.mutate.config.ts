import { defineConfig } from "vitest/config";

/**
 * The mutation run (`npm run mutate`, stryker.config.mjs): core's pure tests only. No global setup (they
 * need no built dist/) and none of the real-process suites, which would make every mutant slow.
 */
export default defineConfig({
  test: {
    include: ["src/core/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 30_000,
    pool: "forks",
  },
});
