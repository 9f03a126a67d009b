// Layers of docs/architecture.md, lowest first. A module may import its own layer or any lower one, never a higher one.
const layers = [
  ["spec"],
  ["core"],
  ["memory", "validation", "telemetry", "providers", "store"],
  ["runtime"],
  ["bench"],
  ["lab"],
  ["queue"],
  ["cli", "server"],
];

const dir = (name) => `^src/${name}/`;
const forbidden = layers.flatMap((group, level) => {
  const higher = layers.slice(level + 1).flat();
  if (higher.length === 0) return [];
  return group.map((name) => ({
    name: `${name}-imports-upward`,
    comment: `src/${name} is below ${higher.join(", ")} and must not import them (docs/architecture.md, Layers)`,
    severity: "error",
    from: { path: dir(name) },
    to: { path: `^src/(${higher.join("|")})/` },
  }));
});

// Inside core, the same rule by domain: shared primitives, then the runtime's, memory's and the
// bench's rules, then the lab's, which may build on the bench's (a sweep row is made of test runs).
const coreLayers = [["shared"], ["runtime", "memory", "bench"], ["lab"]];
for (const [level, group] of coreLayers.entries()) {
  const higher = coreLayers.slice(level + 1).flat();
  for (const name of group) {
    const siblings = group.filter((other) => other !== name);
    const barred = [...higher, ...siblings];
    if (barred.length === 0) continue;
    forbidden.push({
      name: `core-${name}-imports-sideways-or-up`,
      comment: `src/core/${name} may import only src/core/${coreLayers
        .slice(0, level)
        .flat()
        .concat(name)
        .join(", src/core/")} (docs/architecture.md, Layers)`,
      severity: "error",
      from: { path: `^src/core/${name}/` },
      to: { path: `^src/core/(${barred.join("|")})/` },
    });
  }
}

forbidden.push(
  {
    name: "spec-is-types-only",
    comment: "src/spec holds the contract: it may import zod and nothing else outside itself",
    severity: "error",
    from: { path: "^src/spec/" },
    to: { dependencyTypes: ["npm"], pathNot: "^node_modules/zod/" },
  },
  {
    name: "core-has-no-io",
    comment: "src/core is pure domain rules: no node built-ins (its tests may read their fixtures)",
    severity: "error",
    from: { path: "^src/core/", pathNot: "\\.test\\.ts$" },
    to: { dependencyTypes: ["core"] },
  },
  {
    name: "cli-uses-the-public-library",
    comment:
      "src/cli is a thin shell: it imports only the library's entry (src/index.ts), its version and the spec (docs/architecture.md, The CLI)",
    severity: "error",
    from: { path: "^src/cli/" },
    to: { path: "^src/", pathNot: "^src/(cli/|spec/|index\\.ts$|version\\.ts$)" },
  },
  {
    name: "cli-loads-the-library-lazily",
    comment:
      "a command imports the library when it runs (await import), so `orket --help` loads no engine, database or HTTP stack; types may be imported statically",
    severity: "error",
    from: { path: "^src/cli/", pathNot: "\\.test\\.ts$" },
    to: { path: "^src/index\\.ts$", dynamic: false, dependencyTypesNot: ["type-only"] },
  },
  {
    name: "opentelemetry-loads-only-when-exporting",
    comment:
      "the OpenTelemetry SDK is imported (await import) by src/telemetry/otel-export.ts when export is on, so no other command loads it (docs/telemetry.md, OpenTelemetry)",
    severity: "error",
    from: { path: "^src/", pathNot: "\\.test\\.ts$" },
    to: { path: "@opentelemetry/", dynamic: false, dependencyTypesNot: ["type-only"] },
  },
  {
    name: "opentelemetry-only-in-the-exporter",
    comment:
      "one module speaks to the OpenTelemetry SDK; the rest of Orket tells it through src/telemetry/observers.ts",
    severity: "error",
    from: { path: "^src/", pathNot: "^src/telemetry/otel-export\\.ts$" },
    to: { path: "@opentelemetry/" },
  },
  {
    name: "server-loads-only-when-serving",
    comment:
      "src/server (Hono, prom-client) is imported with await import when a server starts, so no other command loads it (docs/architecture.md, Layers)",
    severity: "error",
    from: { path: "^src/", pathNot: ["^src/server/", "\\.test\\.ts$"] },
    to: { path: "^src/server/", dynamic: false, dependencyTypesNot: ["type-only"] },
  },
  {
    name: "queue-loads-only-when-queued",
    comment:
      "src/queue (BullMQ, ioredis) is imported with await import when a worker starts or a bench is queued, so no other command loads it (docs/scale.md)",
    severity: "error",
    from: { path: "^src/", pathNot: ["^src/queue/", "\\.test\\.ts$"] },
    to: {
      path: "^src/queue/(?!address\\.ts$|errors\\.ts$)",
      dynamic: false,
      dependencyTypesNot: ["type-only"],
    },
  },
  {
    name: "bullmq-only-in-the-queue",
    comment: "BullMQ and ioredis are the queue's: no other folder speaks to Redis",
    severity: "error",
    from: { path: "^src/", pathNot: "^src/queue/" },
    to: { path: "node_modules/(bullmq|ioredis)/" },
  },
  {
    name: "no-circular",
    severity: "error",
    from: {},
    to: { circular: true },
  },
);

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
