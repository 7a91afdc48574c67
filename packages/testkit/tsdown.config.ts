import { defineConfig } from "tsdown"

export default defineConfig({
  // Every public module is an entry, so the `./*` export (dist/<Module>.js) resolves for each of them.
  entry: [
    "src/index.ts",
    "src/bin.ts",
    "src/FetchHandler.ts",
    "src/Fault.ts",
    "src/generateDocuments.ts",
    "src/RequestLog.ts",
    "src/Simulator.ts",
    "src/SimulatorClock.ts",
    "src/SimulatorEngine.ts",
    "src/scenarios.ts",
    "src/serveNode.ts",
    "src/startSimulator.ts",
    "src/TestLimit.ts",
    "src/Canary.ts",
    "src/WireFormat.ts"
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
