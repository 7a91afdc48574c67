/**
 * One throwaway PostgreSQL for the cluster tests (each test file makes its own database in it), and the
 * `tensoras-cluster` command bundled from its sources (`support/command.ts`), the runners' and `wait`
 * commands' program; both deleted when the tests end.
 */
import type { TestProject } from "vitest/node"
import { bundleCommand } from "./support/command.js"
import { startPostgres } from "./support/postgres.js"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
    /** The bundled `tensoras-cluster` (an ES module): `support/setup.ts` makes `processes.ts` start it. */
    clusterCommand: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [started, bundled] = await Promise.allSettled([startPostgres(), bundleCommand()])
  if (started.status === "rejected" || bundled.status === "rejected") {
    if (started.status === "fulfilled") await started.value.stop()
    if (bundled.status === "fulfilled") await bundled.value.remove()
    throw started.status === "rejected" ? started.reason : (bundled as PromiseRejectedResult).reason
  }
  const [postgres, command] = [started.value, bundled.value]
  project.provide("postgresUrl", postgres.url)
  project.provide("clusterCommand", command.file)
  return async () => {
    await Promise.all([postgres.stop(), command.remove()])
  }
}
