/**
 * One throwaway PostgreSQL for the cluster tests (each test file makes its own database in it), stopped and
 * deleted when they end.
 */
import type { TestProject } from "vitest/node"
import { startPostgres } from "./support/postgres.js"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startPostgres()
  project.provide("postgresUrl", postgres.url)
  return () => postgres.stop()
}
