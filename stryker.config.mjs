// Mutation testing of the pure decision logic (`npm run mutate`; not part of `npm test`).
// Each module must keep at least 80 % of its mutants killed; StrykerJS 9 (10 needs Node 22).
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts" },
  plugins: ["@stryker-mutator/vitest-runner"],
  mutate: [
    "src/core/bench/valid-run-policy.ts",
    "src/core/bench/run-quality.ts",
    "src/core/bench/scoring.ts",
    "src/core/lab/frontier.ts",
    "src/core/lab/canary.ts",
    "src/core/runtime/state-machine.ts",
    "src/core/memory/trace-compare.ts",
  ],
  coverageAnalysis: "perTest",
  concurrency: 2,
  thresholds: { high: 90, low: 80, break: 80 },
  reporters: ["clear-text", "json", "progress"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false },
  // The sandbox needs the sources and the fixtures, not build output or local results.
  ignorePatterns: ["dist", "orket-results", ".orket", "workspace"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
