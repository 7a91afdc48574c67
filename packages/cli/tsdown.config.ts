import { defineConfig } from "tsdown"

export default defineConfig({
  // An application, not a library: `bin.ts` is the `tensoras-ingest` command
  // (bin/tensoras-ingest.js imports dist/bin.js); the rest is loaded from it.
  entry: ["src/bin.ts"],
  format: "esm",
  platform: "node",
  target: "node20",
  dts: false,
  unbundle: true,
  fixedExtension: false,
  outDir: "dist",
  clean: true
})
