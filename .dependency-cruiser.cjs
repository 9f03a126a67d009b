// Layers of docs/architecture.md, lowest first. A module may import its own layer or any lower one, never a higher one.
const layers = [
  ["spec"],
  ["core"],
  ["memory", "validation", "telemetry", "providers", "store"],
  ["runtime"],
  ["bench"],
  ["lab"],
  ["cli", "serve"],
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
