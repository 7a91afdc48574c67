import { defineConfig } from "tsdown"

export default defineConfig({
  // Every public module is an entry, so the `./*` export (dist/<Module>.js) resolves for each of them.
  entry: [
    "src/index.ts",
    "src/bin.ts",
    "src/Canary.ts",
    "src/Documents.ts",
    "src/Eventually.ts",
    "src/Fault.ts",
    "src/FetchHandler.ts",
    "src/NodeServer.ts",
    "src/NodeSimulator.ts",
    "src/RequestLog.ts",
    "src/ScenarioFile.ts",
    "src/Scenarios.ts",
    "src/Simulator.ts",
    "src/SimulatorClock.ts",
    "src/SimulatorControl.ts",
    "src/SimulatorEngine.ts",
    "src/TestLimit.ts",
    "src/TestProcess.ts",
    "src/WireFormat.ts",
    "src/Workload.ts"
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
