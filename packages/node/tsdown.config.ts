import { defineConfig } from "tsdown"

export default defineConfig({
  // Every public module is an entry, so the `./*` export (dist/<Module>.js) resolves for each of them.
  entry: ["src/index.ts", "src/NodeCommand.ts", "src/NodeIngestion.ts", "src/NodeIngestionClient.ts"],
  format: "esm",
  platform: "node",
  target: "node20",
  dts: true,
  unbundle: true,
  fixedExtension: false,
  outDir: "dist",
  clean: true
})
