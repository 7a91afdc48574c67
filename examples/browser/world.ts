// The example's simulated API: three knowledge bases, one per scenario a visitor can choose, and how
// to start a fresh job of each, so that a visitor watches a job from its start, not its end.
import type { Scenarios, Simulator } from "../../packages/testkit/src/index.js"

export const SCENARIOS = {
  realistic: {
    knowledgeBaseId: "kb_demo",
    description: "a sync of 40 documents, 3 of which fail (about 15 s)",
    start: (control: Simulator.SimulatorControl) =>
      control.syncDataSource("kb_demo", "ds_handbook", { queuedMs: 1_500 })
  },
  failing: {
    knowledgeBaseId: "kb_failing",
    description: "a crawl that fails as a whole after 5.5 s (the embedding service is down)",
    start: (control: Simulator.SimulatorControl) =>
      control.syncDataSource("kb_failing", "ds_crawler", {
        queuedMs: 1_000,
        failure: {
          afterMs: 5_500,
          error: {
            message: "Embedding service unavailable after 3 attempts",
            type: "ingestion_error",
            code: "embedding_service_unavailable"
          }
        }
      })
  },
  partial: {
    knowledgeBaseId: "kb_partial",
    description: "a shared drive of 24 documents, 4 of which fail (about 9 s)",
    start: (control: Simulator.SimulatorControl) =>
      control.syncDataSource("kb_partial", "ds_shared_drive", { queuedMs: 1_000 })
  }
} as const

export type ScenarioName = keyof typeof SCENARIOS

export const isScenarioName = (name: string): name is ScenarioName => Object.hasOwn(SCENARIOS, name)

/** The knowledge bases of the built-in scenarios `realistic`, `failing` and `partial`, side by side. */
export const exampleWorld = (builtIn: typeof Scenarios.builtIn): Scenarios.Scenario => ({
  name: "browser-example",
  description: "kb_demo (realistic), kb_failing (failing) and kb_partial (partial)",
  setup: (engine) => {
    builtIn.realistic.setup(engine)
    builtIn.failing.setup(engine)
    builtIn.partial.setup(engine)
  }
})
