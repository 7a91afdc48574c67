import { describe, expect, it } from "@effect/vitest"
import type * as Poller from "@tensoras/ingestion/Poller"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as BrowserIngestion from "../src/BrowserIngestion.js"
import * as BrowserPoller from "../src/BrowserPoller.js"
import * as PageSignals from "../src/PageSignals.js"
import { countingFetch, sim, simApiKey, simBaseUrl } from "./helpers.js"

const client = (fetch?: typeof globalThis.fetch) =>
  BrowserIngestion.layerClient({
    baseUrl: simBaseUrl,
    apiKey: simApiKey,
    dangerouslyAllowApiKeyInBrowser: true,
    ...(fetch === undefined ? {} : { fetch })
  })

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

/** Lets the other fibers and the page's event handlers run (no time passes on any clock). */
const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0))).pipe(
  Effect.zipRight(Effect.yieldNow()),
  Effect.repeatN(20)
)

/** Waits (without moving time) until the poller sleeps until `at`, then moves the test clock there. */
const advanceTo = (at: number) =>
  Effect.gen(function* () {
    for (;;) {
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.some(sleeps, (wake) => wake === at)) break
      yield* Effect.yieldNow()
    }
    const now = yield* TestClock.currentTimeMillis
    yield* TestClock.adjust(at - now)
  })

const polledOf = (event: Poller.PollEvent): Poller.Polled => {
  if (event._tag !== "Polled") throw new Error(`expected a poll, got ${event._tag}`)
  return event
}

describe("BrowserPoller in Chromium, against the simulator over HTTP", () => {
  it.live("waits for a job to complete", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
      const fiber = yield* BrowserPoller.waitFor(knowledgeBaseId, jobId, {
        schedule: PollSchedule.fixed("20 millis"),
        shareAcrossTabs: false
      }).pipe(Effect.provide(Layer.merge(client(), PageSignals.layer)), Effect.fork)
      yield* promise(() => sim.waitForRequests(jobId, 1))
      yield* promise(() => sim.toTerminal(knowledgeBaseId, jobId))
      const job = yield* Fiber.join(fiber)
      expect(job.status).toBe("completed")
      expect(job.partial).toBe(false)
      expect(job.chunks_created).toBe(12)
      expect(job.document_details.map((d) => d.document_name)).toEqual([
        "doc-1.md",
        "doc-2.md",
        "doc-3.md",
        "doc-4.md"
      ])
    })
  )

  it.live("fails with IngestionJobFailed when the job fails", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob({ fail: true }))
      const fiber = yield* BrowserPoller.waitFor(knowledgeBaseId, jobId, {
        schedule: PollSchedule.fixed("20 millis"),
        shareAcrossTabs: false
      }).pipe(Effect.provide(Layer.merge(client(), PageSignals.layer)), Effect.flip, Effect.fork)
      yield* promise(() => sim.waitForRequests(jobId, 1))
      yield* promise(() => sim.toTerminal(knowledgeBaseId, jobId))
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("IngestionJobFailed")
      expect(error.message).toBe("Embedding quota exceeded")
    })
  )

  const pauseTest = (
    pause: (page: PageSignals.Controlled) => void,
    resume: (page: PageSignals.Controlled) => void
  ) =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
      const page = PageSignals.makeControlled()
      const counter = countingFetch()
      const events = yield* Queue.unbounded<Poller.PollEvent>()
      yield* BrowserPoller.events(knowledgeBaseId, jobId, {
        schedule: PollSchedule.fixed("1 second"),
        timeout: "1 day",
        shareAcrossTabs: false
      }).pipe(
        Stream.runForEach((event) => Queue.offer(events, event)),
        Effect.provide(Layer.merge(client(counter.fetch), page.layer)),
        Effect.forkScoped
      )
      const first = polledOf(yield* Queue.take(events))
      expect(first.at).toBe(0) // the first poll is immediate
      expect(counter.calls).toBe(1)
      yield* advanceTo(first.nextPollAt!)
      const second = polledOf(yield* Queue.take(events))
      expect(second.at).toBe(1_000)
      expect(counter.calls).toBe(2)

      pause(page)
      yield* settle // the poller sees the pause before time moves
      yield* TestClock.adjust("10 minutes") // 600 polls would be due
      yield* settle
      expect(counter.calls).toBe(2)
      expect(yield* Queue.size(events)).toBe(0)
      // (The real proof that nothing was sent comes below: the server's log after the next known poll.)

      resume(page)
      const third = polledOf(yield* Queue.take(events))
      expect(third.at).toBe(601_000) // at once, without waiting for the schedule
      expect(counter.calls).toBe(3)
      expect(yield* promise(() => sim.waitForRequests(jobId, 3))).toBe(3) // the simulator saw the same
      yield* advanceTo(third.nextPollAt!)
      expect(polledOf(yield* Queue.take(events)).at).toBe(602_000)
      expect(counter.calls).toBe(4)
    })

  it.scoped("pauses while the page is hidden and polls at once when it is visible again", () =>
    pauseTest(
      (page) => page.setVisible(false),
      (page) => page.setVisible(true)
    )
  )

  it.scoped("pauses while offline and polls at once when back online", () =>
    pauseTest(
      (page) => page.setOnline(false),
      (page) => page.setOnline(true)
    )
  )

  it.scoped("follows the page's real visibilitychange and online / offline events", () =>
    Effect.gen(function* () {
      // Headless Chromium keeps every page visible (bringToFront, minimising and CDP lifecycle
      // changes leave visibilityState "visible"), so the state is overridden on the document and
      // the browser's own events are dispatched: PageSignals.layer reads and listens as in a page.
      let visibility: DocumentVisibilityState = "visible"
      let onLine = true
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => visibility })
      Object.defineProperty(navigator, "onLine", { configurable: true, get: () => onLine })
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          Reflect.deleteProperty(document, "visibilityState")
          Reflect.deleteProperty(navigator, "onLine")
        })
      )
      const setVisibility = (value: DocumentVisibilityState) => {
        visibility = value
        document.dispatchEvent(new Event("visibilitychange"))
      }
      const setOnline = (value: boolean) => {
        onLine = value
        window.dispatchEvent(new Event(value ? "online" : "offline"))
      }

      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
      const counter = countingFetch()
      const events = yield* Queue.unbounded<Poller.PollEvent>()
      const signals = yield* Layer.build(PageSignals.layer)
      yield* BrowserPoller.events(knowledgeBaseId, jobId, {
        schedule: PollSchedule.fixed("1 second"),
        timeout: "1 day",
        shareAcrossTabs: false
      }).pipe(
        Stream.runForEach((event) => Queue.offer(events, event)),
        Effect.provide(client(counter.fetch)),
        Effect.provide(signals),
        Effect.forkScoped
      )
      const first = polledOf(yield* Queue.take(events))
      expect(counter.calls).toBe(1)

      setVisibility("hidden")
      yield* settle
      expect(
        yield* PageSignals.PageSignals.pipe(
          Effect.flatMap((s) => s.get),
          Effect.provide(signals)
        )
      ).toEqual({
        visible: false,
        online: true
      })
      yield* TestClock.adjust("1 minute")
      yield* settle
      expect(counter.calls).toBe(1)
      setVisibility("visible")
      const second = polledOf(yield* Queue.take(events))
      expect(second.at).toBe(first.at + 60_000)
      expect(counter.calls).toBe(2)

      setOnline(false)
      yield* settle
      yield* TestClock.adjust("1 minute")
      yield* settle
      expect(counter.calls).toBe(2)
      setOnline(true)
      polledOf(yield* Queue.take(events))
      expect(counter.calls).toBe(3)
      // The server's log after that known later poll: nothing was sent while hidden or offline.
      expect(yield* promise(() => sim.waitForRequests(jobId, 3))).toBe(3)
    })
  )

  it.scoped("two tabs watching one job share one poller; the second takes over when the first closes", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
      // Two participants of the same origin: each with its own BroadcastChannel and Web Lock
      // request, exactly what two tabs have; "closing" the first ends its scope (lock released).
      const options: BrowserPoller.WaitOptions = {
        schedule: PollSchedule.fixed("1 second"),
        timeout: "1 day",
        channelPrefix: `tabs-${jobId}`
      }
      const tab = (events: Queue.Queue<Poller.PollEvent>) =>
        BrowserPoller.events(knowledgeBaseId, jobId, options).pipe(
          Stream.runForEach((event) => Queue.offer(events, event)),
          Effect.provide(Layer.merge(client(), PageSignals.layerAlwaysActive)),
          Effect.fork
        )
      const eventsA = yield* Queue.unbounded<Poller.PollEvent>()
      const eventsB = yield* Queue.unbounded<Poller.PollEvent>()
      const tabA = yield* tab(eventsA)
      const a1 = polledOf(yield* Queue.take(eventsA))
      const tabB = yield* tab(eventsB)
      // B asks for the latest snapshot when it joins; the leader answers.
      const b1 = polledOf(yield* Queue.take(eventsB))
      expect(b1.job).toEqual(a1.job)
      expect(yield* promise(() => sim.count(jobId))).toBe(1)

      yield* advanceTo(a1.nextPollAt!)
      const a2 = polledOf(yield* Queue.take(eventsA))
      const b2 = polledOf(yield* Queue.take(eventsB))
      expect(b2.at).toBe(a2.at)
      expect(yield* promise(() => sim.count(jobId))).toBe(2) // two tabs, one poller's requests

      yield* Fiber.interrupt(tabA) // the leading tab closes
      const b3 = polledOf(yield* Queue.take(eventsB)) // B leads, and polls at once: no gap
      expect(b3.at).toBe(a2.at)
      expect(yield* promise(() => sim.waitForRequests(jobId, 3))).toBe(3)

      yield* promise(() => sim.toTerminal(knowledgeBaseId, jobId))
      yield* advanceTo(b3.nextPollAt!)
      const exit = yield* Fiber.await(tabB)
      expect(Exit.isSuccess(exit)).toBe(true)
      const rest = Chunk.toReadonlyArray(yield* Queue.takeAll(eventsB)).map(polledOf)
      expect(rest.filter((event) => event.nextPollAt === null)).toHaveLength(1) // one terminal event
      expect(rest.at(-1)?.job.status).toBe("completed")
      expect(yield* promise(() => sim.count(jobId))).toBe(4)
    })
  )
})
