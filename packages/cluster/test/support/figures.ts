/**
 * The failover scenario's figures (`scenario.ts`), from the rows of `tensoras_waits` once every wait ended: the
 * outcomes, detection latency (job ended in the simulator → outcome stored) inside and outside the failover, and
 * what the `tensoras-cluster wait` commands printed (stored → printed, and how many times each job).
 */

export interface Latencies {
  readonly samples: number
  readonly medianMs: number
  readonly p95Ms: number
  readonly maxMs: number
}

export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const latencies = (values: ReadonlyArray<number>): Latencies => ({
  samples: values.length,
  medianMs: quantile(values, 0.5),
  p95Ms: quantile(values, 0.95),
  maxMs: values.length === 0 ? Number.NaN : Math.max(...values)
})

/** A wait's row as the figures read it. */
export interface EndedRow {
  readonly knowledge_base_id: string
  readonly job_id: string
  readonly ended_ms: number | string
  /** The outcome's error tag, or `Completed`. */
  readonly tag: string
}

export interface FiguresInput {
  readonly rows: ReadonlyArray<EndedRow>
  /** When each job ended in the simulator (`knowledgeBaseId/jobId` → epoch ms). */
  readonly endedAt: ReadonlyMap<string, number>
  /** When each job's lines were printed by the commands (one time per line). */
  readonly printedAt: ReadonlyMap<string, ReadonlyArray<number>>
  /** The jobs the commands waited for (`knowledgeBaseId/jobId`). */
  readonly commanded: ReadonlyArray<string>
  readonly killedAt: number
  /** The killed runner's knowledge bases, and when the last of them was polled again. */
  readonly victimKnowledgeBases: ReadonlyArray<string>
  readonly lastFailoverAt: number
}

export interface Figures {
  readonly outcomes: Readonly<Record<string, number>>
  /** Outside the failover: jobs of knowledge bases that were not moving when they ended. */
  readonly detection: Latencies
  readonly detectionInFailover: { readonly samples: number; readonly maxMs: number }
  /** From an outcome stored (`ended_at`) to its first line printed. */
  readonly toCaller: Latencies
  /** Of the jobs the commands waited for: printed once, more than once, never. */
  readonly printed: { readonly once: number; readonly twice: number; readonly never: number }
}

export const figuresOf = (input: FiguresInput): Figures => {
  const outcomes: Record<string, number> = {}
  const toCaller: Array<number> = []
  const outside: Array<number> = []
  const inFailover: Array<number> = []
  const printed = { once: 0, twice: 0, never: 0 }
  for (const row of input.rows) {
    const key = `${row.knowledge_base_id}/${row.job_id}`
    const storedAt = Number(row.ended_ms)
    outcomes[row.tag] = (outcomes[row.tag] ?? 0) + 1
    const lines = input.printedAt.get(key)
    if (lines !== undefined && lines.length > 0) toCaller.push(lines[0]! - storedAt)
    const ended = input.endedAt.get(key)
    if (ended === undefined) continue
    const moving =
      input.victimKnowledgeBases.includes(row.knowledge_base_id) &&
      ended <= input.lastFailoverAt &&
      storedAt >= input.killedAt
    ;(moving ? inFailover : outside).push(storedAt - ended)
  }
  for (const key of input.commanded) {
    const count = input.printedAt.get(key)?.length ?? 0
    if (count === 0) printed.never++
    else if (count === 1) printed.once++
    else printed.twice++
  }
  return {
    outcomes,
    detection: latencies(outside),
    detectionInFailover: {
      samples: inFailover.length,
      maxMs: inFailover.length === 0 ? 0 : Math.max(...inFailover)
    },
    toCaller: latencies(toCaller),
    printed
  }
}
