import { resolve } from "node:path";
import { defineConfig } from "vite";

// The dashboard of `orket serve`, built into dist/web (shipped in the package; no CDN at run time).
export default defineConfig({
  root: resolve(import.meta.dirname),
  base: "/",
  build: { outDir: resolve(import.meta.dirname, "../dist/web"), emptyOutDir: true, target: "es2022" },
  logLevel: "warn",
});
