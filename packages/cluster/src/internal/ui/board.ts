/**
 * What the page of `tensoras-cluster ui` shows, kept by its server: the last read of PostgreSQL, and what changed
 * since the last event sent. Fed by the reads (`apply`, or `failed` when one fails), read by the page's server
 * (`hello` for a new connection, `takeUpdate` each tick: the knowledge bases that changed, the lists that did).
 * Plain data, no Effect.
 */
import type { Hello, KnowledgeBaseView, Snapshot, Update } from "./protocol.js"

type Section = "found" | "runners" | "rounds" | "endedWaits"
const SECTIONS: ReadonlyArray<Section> = ["found", "runners", "rounds", "endedWaits"]

export class Board {
  private snapshot: Snapshot | null = null
  private error: string | null = null
  /** Each knowledge base's and section's JSON as last sent: what changed is what differs. */
  private readonly sentKnowledgeBases = new Map<string, string>()
  private readonly sentSections = new Map<Section, string>()
  private readonly changedKnowledgeBases = new Set<string>()
  private readonly removed = new Set<string>()
  private readonly changedSections = new Set<Section>()
  private readTime = { readAt: 0, readMs: 0 }
  private stale = false

  constructor(
    private readonly database: string,
    private readonly intervalMs: number
  ) {}

  /** A read succeeded: its snapshot replaces the last. */
  apply(snapshot: Snapshot): void {
    const ids = new Set<string>()
    for (const kb of snapshot.knowledgeBases) {
      ids.add(kb.id)
      const json = JSON.stringify(kb)
      if (this.sentKnowledgeBases.get(kb.id) !== json) {
        this.sentKnowledgeBases.set(kb.id, json)
        this.changedKnowledgeBases.add(kb.id)
        this.removed.delete(kb.id)
      }
    }
    for (const id of this.sentKnowledgeBases.keys()) {
      if (ids.has(id)) continue
      this.sentKnowledgeBases.delete(id)
      this.changedKnowledgeBases.delete(id)
      this.removed.add(id)
    }
    for (const section of SECTIONS) {
      const json = JSON.stringify(snapshot[section])
      if (this.sentSections.get(section) !== json) {
        this.sentSections.set(section, json)
        this.changedSections.add(section)
      }
    }
    this.snapshot = snapshot
    this.readTime = { readAt: snapshot.readAt, readMs: snapshot.readMs }
    this.error = null
    this.stale = true
  }

  /** A read failed (its message without the password): the page says so, and keeps the last read. */
  failed(message: string): void {
    if (this.error === message) return
    this.error = message
    this.stale = true
  }

  hello(now: number): Hello {
    return {
      type: "hello",
      now,
      database: this.database,
      intervalMs: this.intervalMs,
      snapshot: this.snapshot,
      error: this.error
    }
  }

  /** What changed since the last call (every read is news: the page shows when it read), or `undefined`. */
  takeUpdate(now: number): Update | undefined {
    if (!this.stale) return undefined
    this.stale = false
    const snapshot = this.snapshot
    const knowledgeBases: Array<KnowledgeBaseView> =
      snapshot === null ? [] : snapshot.knowledgeBases.filter((kb) => this.changedKnowledgeBases.has(kb.id))
    const update: Update = {
      type: "update",
      now,
      ...this.readTime,
      error: this.error,
      ...(knowledgeBases.length === 0 ? {} : { knowledgeBases }),
      ...(this.removed.size === 0 ? {} : { removed: [...this.removed] }),
      ...(snapshot === null
        ? {}
        : Object.fromEntries(
            [...this.changedSections].map((section) => [section, snapshot[section]] as const)
          ))
    }
    this.changedKnowledgeBases.clear()
    this.removed.clear()
    this.changedSections.clear()
    return update
  }
}
