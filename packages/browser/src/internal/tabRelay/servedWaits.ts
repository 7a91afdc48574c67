/**
 * Other tabs' waits, polled by this tab's engine while it leads: registered when a tab announces
 * one (`join`), relayed to that tab as they go, dropped when the tab leaves them or closes, or when
 * this tab stops leading.
 */
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as tabs from "../tabs.js"
import { encodeError, encodeEvent, type Join } from "./messages.js"
import { aliveName, closeIfIdle, type Group, type Relay, type RemoteWait } from "./relay.js"

export const dropRemote = (relay: Relay, group: Group, key: string): void => {
  const remote = group.remote.get(key)
  if (remote === undefined) return
  remote.left = true
  group.remote.delete(key)
  if (remote.registration !== undefined) relay.runFork(remote.registration.leave)
  closeIfIdle(relay, group)
}

const dropTab = (relay: Relay, group: Group, tab: string) => {
  group.watchers.delete(tab)
  for (const [key, remote] of [...group.remote]) if (remote.tab === tab) dropRemote(relay, group, key)
}

/** This tab no longer leads: the other tabs' waits go back to them. */
export const dropRemotes = (relay: Relay, group: Group): void => {
  for (const key of [...group.remote.keys()]) dropRemote(relay, group, key)
  for (const fiber of group.watchers.values()) relay.runFork(Fiber.interrupt(fiber))
  group.watchers.clear()
}

/** A closed tab releases its liveness lock: its waits are dropped when this tab gets it. */
const watchTab = (relay: Relay, group: Group, tab: string) => {
  if (group.watchers.has(tab)) return
  group.watchers.set(
    tab,
    relay.runFork(
      tabs.withLock(
        aliveName(relay, tab),
        Effect.sync(() => dropTab(relay, group, tab))
      )
    )
  )
}

/** The listener of a wait polled for another tab: what it hears goes to that tab. */
const relayTo = (group: Group, to: string, wait: string): WaitEngine.Listener => ({
  onEvent: (event) => group.channel.post({ kind: "event", to, wait, event: encodeEvent(event) }),
  // The wait stays in `group.remote` until its tab answers `leave` (or closes): this
  // tab holds the lock until then, so a tab that has not heard of the end yet never
  // takes over to poll it again.
  onExit: (exit) => {
    if (Exit.isSuccess(exit)) return group.channel.post({ kind: "done", to, wait, job: exit.value })
    const failure = Cause.findErrorOption(exit.cause)
    // A deadline is the waiting tab's own: it times out there.
    if (failure._tag === "Some" && failure.value._tag !== "WaitTimeout") {
      group.channel.post({ kind: "failed", to, wait, error: encodeError(failure.value) })
    }
  }
})

/** A wait another tab announced: polled here while this tab leads. */
export const join = (relay: Relay, group: Group, message: Join): void => {
  if (!group.leading) return
  const key = `${message.from}/${message.wait}`
  if (group.remote.has(key)) return
  const remote: RemoteWait = { tab: message.from, registration: undefined, left: false }
  group.remote.set(key, remote)
  watchTab(relay, group, message.from)
  relay.runFork(
    relay.engine
      .register(
        group.knowledgeBaseId,
        message.jobId,
        // A schedule cannot cross tabs: a wait polled for another tab follows its
        // `pollInterval` if it gave one, else this engine's `schedule`.
        message.pollIntervalMs === undefined
          ? { deadline: message.deadline, schedule: relay.schedule }
          : { deadline: message.deadline, pollInterval: Duration.millis(message.pollIntervalMs) },
        relayTo(group, message.from, message.wait)
      )
      .pipe(
        Effect.match({
          // Not a wait this engine accepts (InvalidInput): nothing to poll.
          onFailure: () => {},
          onSuccess: (registration) => {
            if (remote.left) relay.runFork(registration.leave)
            else remote.registration = registration
          }
        })
      )
  )
}
