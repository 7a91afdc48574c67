/**
 * A knowledge base's group of tabs, as this tab takes part in it: the channel its tabs talk on, and
 * the leadership (the Web Lock of the same name), taken while the page is active.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as tabs from "../tabs.js"
import { deliver, finish, joinMessage } from "./localWaits.js"
import { decodeEndError, decodeEvent, type Message } from "./messages.js"
import type { Group, Relay } from "./relay.js"
import { dropRemote, dropRemotes, join } from "./servedWaits.js"

/** The Web Lock and `BroadcastChannel` name of a knowledge base's group of tabs. */
export const lockName = (knowledgeBaseId: string, prefix = "tensoras-ingestion"): string =>
  `${prefix}:${knowledgeBaseId}`

const receive = (relay: Relay, group: Group) => (message: Message) => {
  switch (message.kind) {
    case "leader":
      for (const wait of group.local.values()) group.channel.post(joinMessage(relay, wait))
      return
    case "join":
      return join(relay, group, message)
    case "leave":
      return dropRemote(relay, group, `${message.from}/${message.wait}`)
    case "event": {
      const wait = message.to === relay.tabId ? group.local.get(message.wait) : undefined
      if (wait !== undefined) deliver(wait, decodeEvent(message.event), true)
      return
    }
    case "done": {
      const wait = message.to === relay.tabId ? group.local.get(message.wait) : undefined
      if (wait !== undefined) finish(relay, wait, Exit.succeed(message.job))
      return
    }
    case "failed": {
      const wait = message.to === relay.tabId ? group.local.get(message.wait) : undefined
      if (wait !== undefined) finish(relay, wait, Exit.fail(decodeEndError(message.error)))
      return
    }
  }
}

/** Leads while the page is active and the lock is this tab's; lets it go when inactive. */
const lead = (relay: Relay, group: Group, name: string) => {
  const latch = relay.latchOf(group.knowledgeBaseId)
  return Effect.forever(
    Effect.andThen(
      relay.awaitActive,
      // A tab that turns inactive before its turn withdraws its request for the lock.
      tabs
        .withLock(
          name,
          Effect.acquireUseRelease(
            Effect.sync(() => {
              group.leading = true
              latch.openUnsafe()
              group.channel.post({ kind: "leader", from: relay.tabId })
            }),
            () => relay.awaitInactive,
            () =>
              Effect.sync(() => {
                group.leading = false
                latch.closeUnsafe()
                dropRemotes(relay, group)
              })
          )
        )
        .pipe(Effect.raceFirst(relay.awaitInactive))
    )
  )
}

/** The group of the knowledge base: this tab's, or a new one (its channel open, its leadership sought). */
export const groupOf = (relay: Relay, knowledgeBaseId: string): Effect.Effect<Group> =>
  Effect.gen(function* () {
    const existing = relay.groups.get(knowledgeBaseId)
    if (existing !== undefined) return existing
    const scope = yield* Scope.fork(relay.scope, "sequential")
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
    const name = lockName(knowledgeBaseId, relay.prefix)
    group.channel = yield* Scope.provide(tabs.openChannel<Message>(name, receive(relay, group)), scope)
    relay.groups.set(knowledgeBaseId, group)
    yield* Effect.forkIn(Effect.interruptible(lead(relay, group, name)), scope)
    return group
  })
