import { defineConfig } from "tsdown"

export default defineConfig({
  // Every public module is an entry, so the `./*` export (dist/<Module>.js) resolves for each of them;
  // `bin.ts` is the `tensoras-cluster` command (bin/tensoras-cluster.js imports dist/bin.js).
  entry: [
    "src/index.ts",
    "src/IngestionCluster.ts",
    "src/KnowledgeBaseWatcher.ts",
    "src/WaitForIngestionJob.ts",
    "src/WaitForIngestionJobs.ts",
    "src/WaitStore.ts",
    "src/bin.ts"
  ],
  format: "esm",
  platform: "node",
  target: "node22",
  dts: true,
  unbundle: true,
  fixedExtension: false,
  outDir: "dist",
  clean: true
})
