import { defineConfig } from "tsdown"

export default defineConfig({
  // Every public module is an entry, so the `./*` export (dist/<Module>.js) resolves for each of them.
  entry: ["src/index.ts", "src/BunIngestion.ts"],
  format: "esm",
  // Bun runs ES modules as they are; the adapter imports no built-in module (`process` is a global).
  platform: "neutral",
  target: "es2022",
  dts: true,
  unbundle: true,
  fixedExtension: false,
  outDir: "dist",
  clean: true
})
