/** The world of `tensoras-ingest demo --web`, on the simulator. */
import type { Scenarios } from "@tensoras/ingestion-testkit"

/**
 * The demo's world: three knowledge bases of the simulator's scenarios at once (a sync of 40
 * documents with 3 failing, a job that fails as a whole and one refused while queued, a job with 4
 * of 24 documents failed), and one 429 on the way, so every part of the page has something to show.
 */
export const demoWorld = (builtIn: typeof Scenarios.builtIn): Scenarios.Scenario => ({
  name: "web-demo",
  description: "kb_demo (realistic), kb_failing (failing) and kb_partial (partial), with a 429 in kb_demo",
  setup: (engine) => {
    builtIn.realistic.setup(engine)
    builtIn.failing.setup(engine)
    builtIn.partial.setup(engine)
  },
  faults: [{ kind: "rate-limit", kbId: "kb_demo", route: "get", retryAfter: 1, skip: 3, times: 1 }]
})
