/**
 * The tab relay's state: this tab, its groups (one per knowledge base it waits on or serves), the
 * waits a group holds, and when a group ends. The other parts: `localWaits.ts` (this tab's waits),
 * `servedWaits.ts` (other tabs' waits, polled while this tab leads), `group.ts` (the channel and the
 * leadership of a knowledge base's group of tabs), `messages.ts` (what crosses tabs).
 */
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type { Observed } from "@tensoras/ingestion/WaitError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Latch from "effect/Latch"
import * as Scope from "effect/Scope"
import type * as tabs from "../tabs.js"
import type { Message } from "./messages.js"

/** What every part of the relay shares. One per engine. */
export interface Relay {
  /** This tab's ID: the `from` and `to` of its messages, and the name of its liveness lock. */
  readonly tabId: string
  /** Of the lock and channel names. */
  readonly prefix: string
  /** This tab's engine, gated: its own waits, and, while it leads, the other tabs' waits. */
  readonly engine: WaitEngine.WaitEngine["Service"]
  /** The cadence of another tab's wait that gave no `pollInterval` (a schedule cannot cross tabs). */
  readonly schedule: PollSchedule.PollSchedule
  /** The engine's scope: each group's scope is forked from it. */
  readonly scope: Scope.Scope
  /** Per knowledge base: open while this tab leads it (see `gate.ts`). */
  readonly latchOf: (knowledgeBaseId: string) => Latch.Latch
  readonly awaitActive: Effect.Effect<unknown>
  readonly awaitInactive: Effect.Effect<unknown>
  readonly groups: Map<string, Group>
  readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>
  /** Numbers this tab's waits. */
  nextWait: number
}

/** A wait of this tab: always registered with this tab's engine (gated), fed by it or the leader. */
export interface LocalWait {
  readonly id: string
  readonly jobId: string
  readonly listener: WaitEngine.Listener
  deadline: number
  pollIntervalMs: number | undefined
  inner: WaitEngine.Registration | undefined
  group: Group | undefined
  lastJob: IngestionJob.IngestionJob | undefined
  /** What came from the leader: added to the engine's own counts in a `WaitTimeout`. */
  relayed: Observed
  ended: boolean
}

/** A wait of another tab that this tab, leading, polls. */
export interface RemoteWait {
  readonly tab: string
  registration: WaitEngine.Registration | undefined
  left: boolean
}

/** This tab's part in one knowledge base's group of tabs. */
export interface Group {
  readonly knowledgeBaseId: string
  readonly scope: Scope.Closeable
  readonly local: Map<string, LocalWait>
  readonly remote: Map<string, RemoteWait>
  /** Per tab served: a wait for its liveness lock, granted when it closes. */
  readonly watchers: Map<string, Fiber.Fiber<void>>
  channel: tabs.TabChannel<Message>
  leading: boolean
  closed: boolean
}

/** From the engine's listeners, which must not re-enter it: started on the next tick. */
export const runForkLater = <A, E>(relay: Relay, effect: Effect.Effect<A, E>): Fiber.Fiber<A, E> =>
  relay.runFork(Effect.andThen(Effect.yieldNow, effect))

/** The lock a tab holds while it lives: a leader serving it learns it closed when it gets it. */
export const aliveName = (relay: Relay, tab: string): string => `${relay.prefix}:tab:${tab}`

/**
 * A group lives while this tab waits on the knowledge base or, leading, serves other tabs'
 * waits there, until their tabs say they ended (so the leader whose own waits end keeps
 * polling for the others). `later`: called from the engine's listeners.
 */
export const closeIfIdle = (relay: Relay, group: Group, later = false): void => {
  if (group.local.size === 0 && group.remote.size === 0) closeGroup(relay, group, later)
}

const closeGroup = (relay: Relay, group: Group, later: boolean) => {
  if (group.closed) return
  group.closed = true
  if (relay.groups.get(group.knowledgeBaseId) === group) relay.groups.delete(group.knowledgeBaseId)
  // Interrupts the leadership (its lock goes to the next tab), then closes the channel.
  const close = Scope.close(group.scope, Exit.void)
  if (later) runForkLater(relay, close)
  else relay.runFork(close)
}
