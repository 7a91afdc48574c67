/**
 * This tab's waits: what they hear (from this tab's engine or relayed by the leader) and how they
 * end (whichever says so first).
 */
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import { timedOut } from "@tensoras/ingestion/WaitError"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import type { Join } from "./messages.js"
import { closeIfIdle, type LocalWait, type Relay, runForkLater } from "./relay.js"

/** A listener is user code: whatever it throws stays out of the relay. */
const call = <A>(f: ((a: A) => void) | undefined, a: A) => {
  if (f === undefined) return
  try {
    f(a)
  } catch {
    // A listener's failure is its own.
  }
}

/** A wait before it is registered: no deadline, group or job yet. */
export const makeLocalWait = (relay: Relay, jobId: string, listener: WaitEngine.Listener): LocalWait => ({
  id: `w${relay.nextWait++}`,
  jobId,
  listener,
  deadline: 0,
  pollIntervalMs: undefined,
  inner: undefined,
  group: undefined,
  lastJob: undefined,
  relayed: { responses: 0, retries: 0, statuses: {}, httpStatuses: {} },
  ended: false
})

/** The wait, announced to the leader. */
export const joinMessage = (relay: Relay, wait: LocalWait): Join => ({
  kind: "join",
  from: relay.tabId,
  wait: wait.id,
  jobId: wait.jobId,
  deadline: wait.deadline,
  pollIntervalMs: wait.pollIntervalMs
})

/** `relayed`: from the leader (else from this tab's engine). */
export const deliver = (wait: LocalWait, event: WaitEngine.WaitEvent, relayed: boolean): void => {
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

/**
 * Ends the wait: `exit` for its listener (none when it leaves). `fromEngine`: called by this tab's
 * engine, whose wait has ended already.
 */
export const finish = (
  relay: Relay,
  wait: LocalWait,
  exit: WaitEngine.WaitExit | undefined,
  fromEngine = false
): void => {
  if (wait.ended) return
  wait.ended = true
  // Out of this tab's engine at once (a relayed end): its gate may open any moment.
  if (wait.inner !== undefined) {
    if (fromEngine) runForkLater(relay, wait.inner.leave)
    else relay.runFork(wait.inner.leave)
  }
  const group = wait.group
  if (group !== undefined) {
    group.local.delete(wait.id)
    // Also the leader's cue that this tab no longer waits here (see `servedWaits.ts`).
    if (!group.leading) group.channel.post({ kind: "leave", from: relay.tabId, wait: wait.id })
    closeIfIdle(relay, group, fromEngine)
  }
  if (exit !== undefined) call(wait.listener.onExit, withObserved(wait, exit))
}
