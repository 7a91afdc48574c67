/**
 * What the page shows, kept by the server: a row per watched job, the engine's figures per
 * knowledge base, and what changed since the last event sent. Fed by the jobs' machines and the
 * engine's round reports; read by the server (`hello` for a new connection, `update` each tick).
 * Plain data, no Effect: every callback that feeds it is synchronous and short.
 */
import type * as JobMachine from "@tensoras/ingestion/JobMachine"
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import {
  completedAtOf,
  DOCS_LOOP_INTERVAL_MS,
  docsLoopRequests,
  documentsOf,
  RATE_LIMITED,
  rowOf
} from "./jobRow.js"
import type { Diagram, Documents, Hello, JobRow, KnowledgeBaseStats, Update } from "./protocol.js"

interface Engine {
  rounds: number
  requests: number
  retries: number
  lastMode: "get" | "sweep" | null
  /** One key per 429 pause: when the retry it caused is due (every wait it concerns hears the same). */
  readonly pauses: Set<number>
  readonly keys: Array<number>
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

/** The board of one command. */
export class Board {
  private readonly rows: Array<JobRow> = []
  private readonly completedAt: Array<number | null> = []
  private readonly documents = new Map<number, Documents>()
  private readonly engines = new Map<string, Engine>()
  private readonly changedRows = new Set<number>()
  private readonly changedBases = new Set<string>()
  private listing = true
  /** When the running waits' docs'-loop counts were last sent. */
  private countedAt = 0

  constructor(private readonly diagram: Diagram) {}

  /** The knowledge bases, in the order given, before their jobs are known (so an empty one shows). */
  addKnowledgeBase(knowledgeBaseId: string): void {
    if (this.engines.has(knowledgeBaseId)) return
    this.engines.set(knowledgeBaseId, {
      rounds: 0,
      requests: 0,
      retries: 0,
      lastMode: null,
      pauses: new Set(),
      keys: []
    })
    this.changedBases.add(knowledgeBaseId)
  }

  /** A job to watch; returns its key. */
  addJob(knowledgeBaseId: string, jobId: string, startedAt: number): number {
    this.addKnowledgeBase(knowledgeBaseId)
    const key = this.rows.length
    this.rows.push({
      key,
      knowledgeBaseId,
      jobId,
      states: [],
      status: null,
      processed: 0,
      failed: 0,
      chunks: 0,
      documentsEnded: null,
      documentsTotal: null,
      startedAt,
      endedAt: null,
      ending: null,
      polls: 0,
      retries: 0,
      lastError: null
    })
    this.completedAt.push(null)
    this.engines.get(knowledgeBaseId)?.keys.push(key)
    this.changedRows.add(key)
    this.changedBases.add(knowledgeBaseId)
    return key
  }

  /** Every job is known (the listings of `--all-active` are done). */
  listed(): void {
    this.listing = false
    for (const knowledgeBaseId of this.engines.keys()) this.changedBases.add(knowledgeBaseId)
  }

  /** A machine's new snapshot. */
  snapshot(key: number, snapshot: JobMachine.Snapshot, now: number): void {
    const previous = this.rows[key]
    if (previous === undefined) return
    const done = snapshot.status === "done"
    const row = rowOf(previous, snapshot, done ? (previous.endedAt ?? now) : null)
    this.rows[key] = row
    this.changedRows.add(key)
    this.changedBases.add(row.knowledgeBaseId)
    const engine = this.engines.get(row.knowledgeBaseId)
    const { context } = snapshot
    if (engine !== undefined && row.states.includes(RATE_LIMITED) && context.nextPollAt !== null) {
      engine.pauses.add(context.nextPollAt)
    }
    if (done && previous.endedAt === null) {
      const output = snapshot.output as JobMachine.Output
      this.completedAt[key] = completedAtOf(output)
      const documents = documentsOf(key, output)
      if (documents !== undefined) this.documents.set(key, documents)
    }
  }

  /** A round of the engine's loop for a knowledge base. */
  round(report: WaitEngine.RoundReport): void {
    const engine = this.engines.get(report.knowledgeBaseId)
    if (engine === undefined) return
    engine.rounds++
    engine.requests += report.requests + report.retries
    engine.retries += report.retries
    engine.lastMode = report.mode
    this.changedBases.add(report.knowledgeBaseId)
  }

  /** An ended job's documents (`undefined` while it runs, or when its wait ended without it). */
  documentsOf(key: number): Documents | undefined {
    return this.documents.get(key)
  }

  /** Whether every wait has ended (and every job is known). */
  allEnded(): boolean {
    return !this.listing && this.rows.every((row) => row.endedAt !== null)
  }

  private statsOf(knowledgeBaseId: string, engine: Engine, now: number): KnowledgeBaseStats {
    let ended = 0
    let docsLoop = 0
    for (const key of engine.keys) {
      const row = this.rows[key]
      if (row === undefined) continue
      if (row.endedAt !== null) ended++
      docsLoop += docsLoopRequests(row, this.completedAt[key] ?? null, now)
    }
    return {
      knowledgeBaseId,
      jobs: engine.keys.length,
      ended,
      rounds: engine.rounds,
      requests: engine.requests,
      retries: engine.retries,
      rateLimitPauses: engine.pauses.size,
      docsLoopRequests: docsLoop,
      lastMode: engine.lastMode
    }
  }

  /** Everything, for a new connection. Pending changes stay pending for the others. */
  private title(): string {
    return `${plural(this.engines.size, "knowledge base")}, ${plural(this.rows.length, "job")}`
  }

  hello(now: number): Hello {
    return {
      type: "hello",
      title: this.title(),
      now,
      diagram: this.diagram,
      knowledgeBases: [...this.engines].map(([id, engine]) => this.statsOf(id, engine, now)),
      jobs: this.rows,
      listing: this.listing
    }
  }

  /**
   * What changed since the last call, or `undefined` when nothing did. While a job runs, the docs'
   * loop's count grows with time: its knowledge base is reported every second.
   */
  takeUpdate(now: number): Update | undefined {
    if (now - this.countedAt >= DOCS_LOOP_INTERVAL_MS / 5) {
      this.countedAt = now
      for (const [id, engine] of this.engines) {
        if (engine.keys.some((key) => this.rows[key]?.endedAt === null)) this.changedBases.add(id)
      }
    }
    if (this.changedRows.size === 0 && this.changedBases.size === 0) return undefined
    const jobs = [...this.changedRows].flatMap((key) => this.rows[key] ?? [])
    const knowledgeBases = [...this.changedBases].flatMap((id) => {
      const engine = this.engines.get(id)
      return engine === undefined ? [] : [this.statsOf(id, engine, now)]
    })
    this.changedRows.clear()
    this.changedBases.clear()
    return { type: "update", title: this.title(), now, jobs, knowledgeBases, listing: this.listing }
  }
}
