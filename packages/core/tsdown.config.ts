import { defineConfig } from "tsdown"

// One output file per public module, so `@tensoras/ingestion/<Module>` imports stay small.
export default defineConfig({
  entry: ["src/*.ts"],
  format: "esm",
  platform: "neutral",
  dts: true,
  unbundle: true,
  outDir: "dist",
  clean: true
})
