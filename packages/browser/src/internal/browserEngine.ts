/**
 * The browser's engine: core's `WaitEngine` behind the page-signal gate (`gate.ts`) and, when tabs
 * share, the tab relay (`tabRelay/`): every wait is registered with this tab's engine, and joins
 * the group of tabs of its knowledge base, whose leader polls for all of them.
 */
import type { IngestionJobs } from "@tensoras/ingestion/IngestionJobs"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as BrowserEngine from "../BrowserEngine.js"
import * as PageSignals from "../PageSignals.js"
import { gate, makeLatches } from "./gate.js"
import { groupOf } from "./tabRelay/group.js"
import { deliver, finish, joinMessage, makeLocalWait } from "./tabRelay/localWaits.js"
import { aliveName, closeIfIdle, type Relay } from "./tabRelay/relay.js"
import * as tabs from "./tabs.js"

export { lockName } from "./tabRelay/group.js"

const randomId = (): string =>
  Array.from(globalThis.crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36)).join("")

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
    const share = (options.shareAcrossTabs ?? true) && tabs.canShare()
    const latchOf = share ? makeLatches() : undefined
    const engine = yield* WaitEngine.make({ onRound: options.onRound, gate: gate(awaitActive, latchOf) })
    if (latchOf === undefined) return engine

    const relay: Relay = {
      tabId: randomId(),
      prefix: options.channelPrefix ?? "tensoras-ingestion",
      engine,
      schedule: options.schedule ?? PollSchedule.defaultSchedule,
      scope: yield* Effect.scope,
      latchOf,
      awaitActive,
      awaitInactive,
      groups: new Map(),
      runFork: Effect.runForkWith(yield* Effect.context<never>()),
      nextWait: 0
    }
    // Held while this engine lives: a leader serving this tab learns it closed when it gets it.
    yield* tabs.holdLock(aliveName(relay, relay.tabId))
    return WaitEngine.WaitEngine.of({ register: register(relay) })
  })

/**
 * Validates (InvalidInput, nothing sent or posted) and registers with this tab's engine, gated: it
 * polls the wait only while this tab leads the knowledge base. Then the wait joins its group: the
 * leader, if another tab, polls it too.
 */
const register =
  (relay: Relay): WaitEngine.WaitEngine["Service"]["register"] =>
  (knowledgeBaseId, jobId, waitOptions, listener) =>
    Effect.gen(function* () {
      const wait = makeLocalWait(relay, jobId, listener)
      const startedAt = yield* Clock.currentTimeMillis
      wait.inner = yield* relay.engine.register(knowledgeBaseId, jobId, waitOptions, {
        onEvent: (event) => deliver(wait, event, false),
        onExit: (exit) => finish(relay, wait, exit, true)
      })
      wait.deadline = WaitEngine.deadlineOf(waitOptions, startedAt)
      wait.pollIntervalMs =
        waitOptions.pollInterval === undefined ? undefined : Duration.toMillis(waitOptions.pollInterval)
      const group = yield* groupOf(relay, knowledgeBaseId)
      if (wait.ended) {
        closeIfIdle(relay, group)
        return { leave: Effect.void }
      }
      wait.group = group
      group.local.set(wait.id, wait)
      if (!group.leading) group.channel.post(joinMessage(relay, wait))
      return { leave: Effect.sync(() => finish(relay, wait, undefined)) }
    })
