import { defineConfig } from "tsdown"

export default defineConfig({
  // Every public module is an entry, so the `./*` export (dist/<Module>.js) resolves for each of them.
  // The local page's server is an entry too: the CLI's and the cluster's pages import it by its subpath.
  entry: [
    "src/index.ts",
    "src/NodeCommand.ts",
    "src/NodeIngestion.ts",
    "src/NodeIngestionClient.ts",
    "src/internal/localPage/server.ts",
    "src/internal/localPage/assets.ts"
  ],
  format: "esm",
  platform: "node",
  target: "node20",
  dts: true,
  unbundle: true,
  fixedExtension: false,
  outDir: "dist",
  clean: true
})
