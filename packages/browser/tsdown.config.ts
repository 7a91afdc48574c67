import { defineConfig } from "tsdown"

export default defineConfig({
  // Every public module is an entry, so the `./*` export (dist/<Module>.js) resolves for each of them.
  entry: [
    "src/index.ts",
    "src/BrowserIngestion.ts",
    "src/BrowserEngine.ts",
    "src/IngestionProxy.ts",
    "src/PageSignals.ts"
  ],
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: true,
  unbundle: true,
  fixedExtension: false,
  outDir: "dist",
  clean: true
})
