import { IngestionError } from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type { IngestionJobs } from "@tensoras/ingestion/IngestionJobs"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import { type Observed, timedOut } from "@tensoras/ingestion/WaitError"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Latch from "effect/Latch"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import type * as BrowserEngine from "../BrowserEngine.js"
import * as PageSignals from "../PageSignals.js"
import * as tabs from "./tabs.js"

type EncodedError = typeof IngestionError.Encoded
const encodeError = Schema.encodeSync(IngestionError)
const decodeError = Schema.decodeUnknownSync(IngestionError)

/** An event as it crosses tabs: plain, structured-cloneable data. */
type RelayedEvent =
  | WaitEngine.Polled
  | (Omit<WaitEngine.Retrying, "error"> & { readonly error: EncodedError })

/** What the tabs of one knowledge base say to each other on its channel. */
type Message =
  /** The sender holds the knowledge base's lock now: every other tab (re)sends its waits. */
  | { readonly kind: "leader"; readonly from: string }
  /** A wait of a following tab, for the leader to poll. */
  | {
      readonly kind: "join"
      readonly from: string
      readonly wait: string
      readonly jobId: string
      readonly deadline: number
      readonly pollIntervalMs: number | undefined
    }
  | { readonly kind: "leave"; readonly from: string; readonly wait: string }
  /** From the leader to the tab of one wait. */
  | { readonly kind: "event"; readonly to: string; readonly wait: string; readonly event: RelayedEvent }
  | {
      readonly kind: "done"
      readonly to: string
      readonly wait: string
      readonly job: IngestionJob.IngestionJobDetail
    }
  | { readonly kind: "failed"; readonly to: string; readonly wait: string; readonly error: EncodedError }

/** A wait of this tab: always registered with this tab's engine (gated), fed by it or the leader. */
interface LocalWait {
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
interface RemoteWait {
  readonly tab: string
  registration: WaitEngine.Registration | undefined
  left: boolean
}

/** This tab's part in one knowledge base's group of tabs. */
interface Group {
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

/** A listener is user code: whatever it throws stays out of the relay. */
const call = <A>(f: ((a: A) => void) | undefined, a: A) => {
  if (f === undefined) return
  try {
    f(a)
  } catch {
    // A listener's failure is its own.
  }
}

const randomId = (): string =>
  Array.from(globalThis.crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36)).join("")

export const lockName = (knowledgeBaseId: string, prefix = "tensoras-ingestion"): string =>
  `${prefix}:${knowledgeBaseId}`

export const make = (
  options: BrowserEngine.Options = {}
): Effect.Effect<
  WaitEngine.WaitEngine["Service"],
  never,
  IngestionJobs | PageSignals.PageSignals | Scope.Scope
> =>
  Effect.gen(function* () {
    const signals = yield* PageSignals.PageSignals
    const awaitActive = Effect.provideService(PageSignals.awaitActive, PageSignals.PageSignals, signals)
    const awaitInactive = Effect.provideService(PageSignals.awaitInactive, PageSignals.PageSignals, signals)
    const prefix = options.channelPrefix ?? "tensoras-ingestion"
    const share = (options.shareAcrossTabs ?? true) && tabs.canShare()

    /** Per knowledge base: open while this tab leads it. Never removed (a loop may await it). */
    const latches = new Map<string, Latch.Latch>()
    const latchOf = (knowledgeBaseId: string) => {
      let latch = latches.get(knowledgeBaseId)
      if (latch === undefined) {
        latch = Latch.makeUnsafe(false)
        latches.set(knowledgeBaseId, latch)
      }
      return latch
    }

    // The page-signal gate: a round runs only while the page is visible and online and, when
    // tabs share, only in the tab that leads the knowledge base.
    const inner = yield* WaitEngine.make({
      onRound: options.onRound,
      gate: share
        ? (knowledgeBaseId) =>
            Effect.andThen(
              awaitActive,
              Effect.suspend(() => latchOf(knowledgeBaseId).await)
            )
        : () => Effect.asVoid(awaitActive)
    })
    if (!share) return inner

    const engineScope = yield* Effect.scope
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    /** From the engine's listeners, which must not re-enter it: started on the next tick. */
    const runForkLater = <A, E>(effect: Effect.Effect<A, E>): Fiber.Fiber<A, E> =>
      runFork(Effect.andThen(Effect.yieldNow, effect))
    const tabId = randomId()
    const aliveName = (tab: string) => `${prefix}:tab:${tab}`
    // Held while this engine lives: a leader serving this tab learns it closed when it gets it.
    yield* tabs.holdLock(aliveName(tabId))
    const remoteSchedule = options.schedule ?? PollSchedule.defaultSchedule
    const groups = new Map<string, Group>()
    let nextWait = 0

    // --- This tab's waits -----------------------------------------------------------------

    const joinMessage = (wait: LocalWait): Message => ({
      kind: "join",
      from: tabId,
      wait: wait.id,
      jobId: wait.jobId,
      deadline: wait.deadline,
      pollIntervalMs: wait.pollIntervalMs
    })

    const deliver = (wait: LocalWait, event: WaitEngine.WaitEvent, relayed: boolean) => {
      if (wait.ended) return
      // The engine counted its own events; the leader's are counted here, as the engine would.
      if (relayed) wait.relayed = WaitEngine.observe(wait.relayed, event)
      if (event._tag === "Polled") {
        // `changed` against what this wait saw, from this tab or the leader.
        const changed = IngestionJob.differs(wait.lastJob, event.job)
        wait.lastJob = event.job
        call(wait.listener.onEvent, changed === event.changed ? event : { ...event, changed })
        return
      }
      call(wait.listener.onEvent, event)
    }

    /** A timeout counts what the wait saw from both sources. */
    const withObserved = (wait: LocalWait, exit: WaitEngine.WaitExit): WaitEngine.WaitExit => {
      if (Exit.isSuccess(exit)) return exit
      const failure = Cause.findErrorOption(exit.cause)
      if (failure._tag === "None" || failure.value._tag !== "WaitTimeout") return exit
      const error = failure.value
      return Exit.fail(
        timedOut({
          lastJob: wait.lastJob ?? error.lastJob,
          elapsedMs: error.elapsedMs,
          reason: error.reason,
          observed: WaitEngine.combineObserved(error.observed, wait.relayed)
        })
      )
    }

    /** `fromEngine`: called by this tab's engine, whose wait has ended already. */
    const finish = (wait: LocalWait, exit: WaitEngine.WaitExit | undefined, fromEngine = false) => {
      if (wait.ended) return
      wait.ended = true
      // Out of this tab's engine at once (a relayed end): its gate may open any moment.
      if (wait.inner !== undefined) {
        if (fromEngine) runForkLater(wait.inner.leave)
        else runFork(wait.inner.leave)
      }
      const group = wait.group
      if (group !== undefined) {
        group.local.delete(wait.id)
        // Also the leader's cue that this tab no longer waits here (see `join`).
        if (!group.leading) group.channel.post({ kind: "leave", from: tabId, wait: wait.id })
        closeIfIdle(group, fromEngine)
      }
      if (exit !== undefined) call(wait.listener.onExit, withObserved(wait, exit))
    }

    // --- Other tabs' waits, while this tab leads --------------------------------------------

    const dropRemote = (group: Group, key: string) => {
      const remote = group.remote.get(key)
      if (remote === undefined) return
      remote.left = true
      group.remote.delete(key)
      if (remote.registration !== undefined) runFork(remote.registration.leave)
      closeIfIdle(group)
    }

    const dropTab = (group: Group, tab: string) => {
      group.watchers.delete(tab)
      for (const [key, remote] of [...group.remote]) if (remote.tab === tab) dropRemote(group, key)
    }

    const dropRemotes = (group: Group) => {
      for (const key of [...group.remote.keys()]) dropRemote(group, key)
      for (const fiber of group.watchers.values()) runFork(Fiber.interrupt(fiber))
      group.watchers.clear()
    }

    /** A closed tab releases its liveness lock: its waits are dropped when this tab gets it. */
    const watchTab = (group: Group, tab: string) => {
      if (group.watchers.has(tab)) return
      group.watchers.set(
        tab,
        runFork(
          tabs.withLock(
            aliveName(tab),
            Effect.sync(() => dropTab(group, tab))
          )
        )
      )
    }

    const join = (group: Group, message: Extract<Message, { kind: "join" }>) => {
      if (!group.leading) return
      const key = `${message.from}/${message.wait}`
      if (group.remote.has(key)) return
      const remote: RemoteWait = { tab: message.from, registration: undefined, left: false }
      group.remote.set(key, remote)
      watchTab(group, message.from)
      const to = message.from
      const wait = message.wait
      const post = (reply: Message) => group.channel.post(reply)
      runFork(
        inner
          .register(
            group.knowledgeBaseId,
            message.jobId,
            // A schedule cannot cross tabs: a wait polled for another tab follows its
            // `pollInterval` if it gave one, else this engine's `schedule`.
            message.pollIntervalMs === undefined
              ? { deadline: message.deadline, schedule: remoteSchedule }
              : { deadline: message.deadline, pollInterval: Duration.millis(message.pollIntervalMs) },
            {
              onEvent: (event) =>
                post({
                  kind: "event",
                  to,
                  wait,
                  event: event._tag === "Polled" ? event : { ...event, error: encodeError(event.error) }
                }),
              // The wait stays in `group.remote` until its tab answers `leave` (or closes): this
              // tab holds the lock until then, so a tab that has not heard of the end yet never
              // takes over to poll it again.
              onExit: (exit) => {
                if (Exit.isSuccess(exit)) return post({ kind: "done", to, wait, job: exit.value })
                const failure = Cause.findErrorOption(exit.cause)
                // A deadline is the waiting tab's own: it times out there.
                if (failure._tag === "Some" && failure.value._tag !== "WaitTimeout") {
                  post({ kind: "failed", to, wait, error: encodeError(failure.value) })
                }
              }
            }
          )
          .pipe(
            Effect.match({
              // Not a wait this engine accepts (InvalidInput): nothing to poll.
              onFailure: () => {},
              onSuccess: (registration) => {
                if (remote.left) runFork(registration.leave)
                else remote.registration = registration
              }
            })
          )
      )
    }

    // --- The group of tabs of a knowledge base ----------------------------------------------

    const receive = (group: Group) => (message: Message) => {
      switch (message.kind) {
        case "leader":
          for (const wait of group.local.values()) group.channel.post(joinMessage(wait))
          return
        case "join":
          return join(group, message)
        case "leave":
          return dropRemote(group, `${message.from}/${message.wait}`)
        case "event": {
          const wait = message.to === tabId ? group.local.get(message.wait) : undefined
          if (wait === undefined) return
          const event = message.event
          return deliver(
            wait,
            event._tag === "Polled"
              ? event
              : { ...event, error: decodeError(event.error) as WaitEngine.Retrying["error"] },
            true
          )
        }
        case "done": {
          const wait = message.to === tabId ? group.local.get(message.wait) : undefined
          if (wait !== undefined) finish(wait, Exit.succeed(message.job))
          return
        }
        case "failed": {
          const wait = message.to === tabId ? group.local.get(message.wait) : undefined
          if (wait !== undefined) finish(wait, Exit.fail(decodeError(message.error)))
          return
        }
      }
    }

    /** Leads while the page is active and the lock is this tab's; lets it go when inactive. */
    const lead = (group: Group, name: string) => {
      const latch = latchOf(group.knowledgeBaseId)
      return Effect.forever(
        Effect.andThen(
          awaitActive,
          // A tab that turns inactive before its turn withdraws its request for the lock.
          tabs
            .withLock(
              name,
              Effect.acquireUseRelease(
                Effect.sync(() => {
                  group.leading = true
                  latch.openUnsafe()
                  group.channel.post({ kind: "leader", from: tabId })
                }),
                () => awaitInactive,
                () =>
                  Effect.sync(() => {
                    group.leading = false
                    latch.closeUnsafe()
                    dropRemotes(group)
                  })
              )
            )
            .pipe(Effect.raceFirst(awaitInactive))
        )
      )
    }

    const groupOf = (knowledgeBaseId: string) =>
      Effect.gen(function* () {
        const existing = groups.get(knowledgeBaseId)
        if (existing !== undefined) return existing
        const scope = yield* Scope.fork(engineScope, "sequential")
        const group: Group = {
          knowledgeBaseId,
          scope,
          local: new Map(),
          remote: new Map(),
          watchers: new Map(),
          channel: { post: () => {} },
          leading: false,
          closed: false
        }
        const name = lockName(knowledgeBaseId, prefix)
        group.channel = yield* Scope.provide(tabs.openChannel<Message>(name, receive(group)), scope)
        groups.set(knowledgeBaseId, group)
        yield* Effect.forkIn(Effect.interruptible(lead(group, name)), scope)
        return group
      })

    /**
     * A group lives while this tab waits on the knowledge base or, leading, serves other tabs'
     * waits there, until their tabs say they ended (so the leader whose own waits end keeps
     * polling for the others). `later`: called from the engine's listeners.
     */
    const closeIfIdle = (group: Group, later = false) => {
      if (group.local.size === 0 && group.remote.size === 0) closeGroup(group, later)
    }

    const closeGroup = (group: Group, later: boolean) => {
      if (group.closed) return
      group.closed = true
      if (groups.get(group.knowledgeBaseId) === group) groups.delete(group.knowledgeBaseId)
      // Interrupts the leadership (its lock goes to the next tab), then closes the channel.
      const close = Scope.close(group.scope, Exit.void)
      if (later) runForkLater(close)
      else runFork(close)
    }

    const register: WaitEngine.WaitEngine["Service"]["register"] = (
      knowledgeBaseId,
      jobId,
      waitOptions,
      listener
    ) =>
      Effect.gen(function* () {
        const wait: LocalWait = {
          id: `w${nextWait++}`,
          jobId,
          listener,
          deadline: 0,
          pollIntervalMs: undefined,
          inner: undefined,
          group: undefined,
          lastJob: undefined,
          relayed: { responses: 0, retries: 0, statuses: {}, httpStatuses: {} },
          ended: false
        }
        const startedAt = yield* Clock.currentTimeMillis
        // Validates (InvalidInput, nothing sent or posted) and registers, gated: this tab's
        // engine polls it only while this tab leads the knowledge base.
        wait.inner = yield* inner.register(knowledgeBaseId, jobId, waitOptions, {
          onEvent: (event) => deliver(wait, event, false),
          onExit: (exit) => finish(wait, exit, true)
        })
        wait.deadline = WaitEngine.deadlineOf(waitOptions, startedAt)
        wait.pollIntervalMs =
          waitOptions.pollInterval === undefined ? undefined : Duration.toMillis(waitOptions.pollInterval)
        const group = yield* groupOf(knowledgeBaseId)
        if (wait.ended) {
          closeIfIdle(group)
          return { leave: Effect.void }
        }
        wait.group = group
        group.local.set(wait.id, wait)
        if (!group.leading) group.channel.post(joinMessage(wait))
        return { leave: Effect.sync(() => finish(wait, undefined)) }
      })

    return WaitEngine.WaitEngine.of({ register })
  })
