/**
 * What `tensoras-cluster wait --json` prints: one NDJSON line per job, when its wait ends.
 */
import type { TestProcess } from "@tensoras/ingestion-testkit"

/** A line of `tensoras-cluster wait --json`. */
export interface Line {
  readonly job_id: string
  readonly outcome: string
  readonly message?: string
}

/** What a running or ended `wait --json` command printed so far: its lines. */
export const linesOf = (run: TestProcess.Spawned): ReadonlyArray<Line> =>
  run
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Line)

/** An ended command's stdout, by job id. */
export const byJob = (stdout: string): Record<string, Line> =>
  Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Line)
      .map((line) => [line.job_id, line])
  )
