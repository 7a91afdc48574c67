/** A test file's simulator: started before its tests, closed after them, back to the docs scenario before each. */
import { afterAll, beforeAll, beforeEach } from "@effect/vitest"
import type { NodeSimulator } from "@tensoras/ingestion-testkit"

export const useSimulatorOf = (
  start: () => Promise<NodeSimulator.RunningSimulator>
): { readonly simulator: NodeSimulator.RunningSimulator } => {
  const world = {} as { simulator: NodeSimulator.RunningSimulator }
  beforeAll(async () => {
    world.simulator = await start()
  })
  afterAll(() => world.simulator.close())
  beforeEach(() => world.simulator.control.setScenario("docs"))
  return world
}
