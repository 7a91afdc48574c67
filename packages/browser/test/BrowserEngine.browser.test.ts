import { describe, expect, it } from "@effect/vitest"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as Wait from "@tensoras/ingestion/Wait"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as BrowserEngine from "../src/BrowserEngine.js"
import * as BrowserIngestion from "../src/BrowserIngestion.js"
import * as PageSignals from "../src/PageSignals.js"
import { countingFetch, sim, simApiKey, simBaseUrl } from "./helpers.js"

const client = (fetch?: typeof globalThis.fetch) =>
  BrowserIngestion.layerClient({
    baseUrl: simBaseUrl,
    apiKey: simApiKey,
    dangerouslyAllowApiKeyInBrowser: true,
    ...(fetch === undefined ? {} : { fetch })
  })

/** A tab's engine: its own client (and request counter), page signals, and lock/channel prefix. */
const engineLayer = (options: {
  readonly fetch?: typeof globalThis.fetch
  readonly signals?: Layer.Layer<PageSignals.PageSignals>
  readonly engine: BrowserEngine.Options
}) =>
  BrowserEngine.layer(options.engine).pipe(
    Layer.provide(Layer.merge(client(options.fetch), options.signals ?? PageSignals.layerAlwaysActive))
  )

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

/** A wait registered with an engine: what it hears, and how it ends. */
const listen = (
  engine: Context.Context<WaitEngine.WaitEngine>,
  knowledgeBaseId: string,
  jobId: string,
  options: WaitEngine.WaitOptions
) =>
  Effect.gen(function* () {
    const events = yield* Queue.unbounded<WaitEngine.WaitEvent>()
    const exit = yield* Deferred.make<WaitEngine.WaitExit>()
    const registration = yield* Effect.flatMap(WaitEngine.WaitEngine, (it) =>
      it.register(knowledgeBaseId, jobId, options, {
        onEvent: (event) => Queue.offerUnsafe(events, event),
        onExit: (result) => Deferred.doneUnsafe(exit, Exit.succeed(result))
      })
    ).pipe(Effect.provide(engine))
    return { events, exit, leave: registration.leave }
  })

const polled = (queue: Queue.Queue<WaitEngine.WaitEvent>) =>
  Effect.map(Queue.take(queue), (event) => {
    if (event._tag !== "Polled") throw new Error(`expected a poll, got ${event._tag}`)
    return event
  })

/** Lets the other fibers and the page's event handlers run (no time passes on any clock). */
const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0))).pipe(
  Effect.andThen(Effect.yieldNow),
  Effect.repeat({ times: 20 })
)

/**
 * When the fibers of a test sleep until, on its `TestClock` (pending sleeps only). Effect 4's
 * `TestClock` keeps its sleeps private, so {@link withSleeps} gives the test's fibers a copy of
 * the clock whose `sleep` records them.
 */
const sleeping: Array<number> = []

/** Runs a test with its `TestClock` recording every sleep in {@link sleeping}. */
const withSleeps = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  TestClock.testClockWith((clock) =>
    Effect.provideService(effect, Clock.Clock, {
      ...clock,
      sleep: (duration) =>
        Effect.suspend(() => {
          const at = clock.currentTimeMillisUnsafe() + Duration.toMillis(duration)
          sleeping.push(at)
          return Effect.ensuring(
            clock.sleep(duration),
            Effect.sync(() => sleeping.splice(sleeping.indexOf(at), 1))
          )
        })
    })
  )

/** Waits (without moving time) until an engine sleeps until `at`, then moves the test clock there. */
const advanceTo = (at: number) =>
  Effect.gen(function* () {
    while (!sleeping.includes(at)) yield* Effect.yieldNow
    const now = yield* Clock.currentTimeMillis
    yield* TestClock.adjust(at - now)
  })

/** Waits (without moving time) until `condition` holds. */
const until = (condition: () => boolean) =>
  Effect.gen(function* () {
    while (!condition()) yield* Effect.yieldNow
  })

/** The error of an exit that failed with exactly one typed error (a `Fail`, as v3's `cause._tag`). */
const failure = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  if (Exit.isSuccess(exit) || exit.cause.reasons.length !== 1) return undefined
  const [reason] = exit.cause.reasons
  return reason !== undefined && Cause.isFailReason(reason) ? reason.error : undefined
}

const every = { pollInterval: "1 second", timeout: "1 day" } as const

describe("BrowserEngine in Chromium, against the simulator over HTTP", () => {
  it.live("core's Wait.waitFor runs on it: waits for a job to complete", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
      const fiber = yield* Wait.waitFor(knowledgeBaseId, jobId, {
        schedule: PollSchedule.fixed("20 millis")
      }).pipe(
        Effect.provide(
          BrowserIngestion.layer({
            baseUrl: simBaseUrl,
            apiKey: simApiKey,
            dangerouslyAllowApiKeyInBrowser: true,
            channelPrefix: `complete-${jobId}`
          })
        ),
        Effect.forkChild
      )
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
      const fiber = yield* Wait.waitFor(knowledgeBaseId, jobId, { pollInterval: "20 millis" }).pipe(
        Effect.provide(
          BrowserIngestion.layer({
            baseUrl: simBaseUrl,
            apiKey: simApiKey,
            dangerouslyAllowApiKeyInBrowser: true,
            shareAcrossTabs: false
          })
        ),
        Effect.flip,
        Effect.forkChild
      )
      yield* promise(() => sim.waitForRequests(jobId, 1))
      yield* promise(() => sim.toTerminal(knowledgeBaseId, jobId))
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("IngestionJobFailed")
      expect(error.message).toBe("Embedding quota exceeded")
    })
  )

  it.live("an invalid timeout is InvalidInput, as in core, and nothing is sent", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
      const counter = countingFetch()
      for (const timeout of ["soon", -5, Number.NaN] as const) {
        const error = yield* Wait.waitFor(knowledgeBaseId, jobId, { timeout: timeout as never }).pipe(
          Effect.provide(
            BrowserIngestion.layer({
              baseUrl: simBaseUrl,
              apiKey: simApiKey,
              dangerouslyAllowApiKeyInBrowser: true,
              fetch: counter.fetch,
              channelPrefix: `invalid-${jobId}`
            })
          ),
          Effect.flip
        )
        expect(error._tag).toBe("InvalidInput")
        expect(error._tag === "InvalidInput" && error.param).toBe("timeout")
      }
      expect(counter.calls).toBe(0)
      expect(yield* promise(() => sim.count(jobId))).toBe(0)
    })
  )

  const pauseTest = (
    pause: (page: PageSignals.Controlled) => void,
    resume: (page: PageSignals.Controlled) => void
  ) =>
    withSleeps(
      Effect.gen(function* () {
        const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
        const page = PageSignals.makeControlled()
        const counter = countingFetch()
        const engine = yield* Layer.build(
          engineLayer({
            fetch: counter.fetch,
            signals: page.layer,
            engine: { channelPrefix: `pause-${jobId}` }
          })
        )
        const wait = yield* listen(engine, knowledgeBaseId, jobId, every)
        const first = yield* polled(wait.events)
        expect(first.at).toBe(0) // the first poll is immediate
        expect(counter.calls).toBe(1)
        yield* advanceTo(first.nextPollAt!)
        const second = yield* polled(wait.events)
        expect(second.at).toBe(1_000)
        expect(counter.calls).toBe(2)

        pause(page)
        yield* settle
        yield* TestClock.adjust("10 minutes") // 600 polls would be due
        yield* settle
        expect(counter.calls).toBe(2)
        expect(yield* Queue.size(wait.events)).toBe(0)

        resume(page)
        const third = yield* polled(wait.events)
        expect(third.at).toBe(601_000) // at once, without waiting for the schedule
        expect(counter.calls).toBe(3)
        expect(yield* promise(() => sim.waitForRequests(jobId, 3))).toBe(3) // the simulator saw the same
        yield* advanceTo(third.nextPollAt!)
        expect((yield* polled(wait.events)).at).toBe(602_000)
        expect(counter.calls).toBe(4)
      })
    )

  it.effect("pauses while the page is hidden and polls at once when it is visible again", () =>
    pauseTest(
      (page) => page.setVisible(false),
      (page) => page.setVisible(true)
    )
  )

  it.effect("pauses while offline and polls at once when back online", () =>
    pauseTest(
      (page) => page.setOnline(false),
      (page) => page.setOnline(true)
    )
  )

  it.effect("a wait hidden past its deadline ends with WaitTimeout, counting what it heard", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
      const page = PageSignals.makeControlled()
      const engine = yield* Layer.build(
        engineLayer({ signals: page.layer, engine: { channelPrefix: `late-${jobId}` } })
      )
      const wait = yield* listen(engine, knowledgeBaseId, jobId, {
        pollInterval: "1 second",
        timeout: "1 minute"
      })
      yield* polled(wait.events)
      page.setVisible(false)
      yield* settle
      yield* TestClock.adjust("1 minute")
      const exit = yield* Deferred.await(wait.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      const timeout = failure(exit)
      expect(timeout?._tag).toBe("WaitTimeout")
      expect(timeout?._tag === "WaitTimeout" && timeout.observed.responses).toBe(1)
      expect(yield* promise(() => sim.count(jobId))).toBe(1)
    })
  )

  it.effect("follows the page's real visibilitychange and online / offline events", () =>
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
      const signals = yield* Layer.build(PageSignals.layer)
      const engine = yield* Layer.build(
        engineLayer({
          fetch: counter.fetch,
          signals: Layer.succeedContext(signals),
          engine: { channelPrefix: `events-${jobId}` }
        })
      )
      const wait = yield* listen(engine, knowledgeBaseId, jobId, every)
      const first = yield* polled(wait.events)
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
      const second = yield* polled(wait.events)
      expect(second.at).toBe(first.at + 60_000)
      expect(counter.calls).toBe(2)

      setOnline(false)
      yield* settle
      yield* TestClock.adjust("1 minute")
      yield* settle
      expect(counter.calls).toBe(2)
      setOnline(true)
      yield* polled(wait.events)
      expect(counter.calls).toBe(3)
    })
  )

  // Two "tabs" below are two engines in one page, each with its own client, BroadcastChannel and
  // Web Lock requests: exactly what two tabs of one origin have. Closing a tab closes its scope.

  it.effect("two tabs waiting on different jobs of one knowledge base cost one tab's requests", () =>
    withSleeps(
      Effect.gen(function* () {
        const one = yield* promise(() => sim.newJob())
        const two = yield* promise(() => sim.newJob())
        const knowledgeBaseId = one.knowledgeBaseId
        const tabA = { counter: countingFetch(), rounds: [] as Array<WaitEngine.RoundReport> }
        const tabB = { counter: countingFetch(), rounds: [] as Array<WaitEngine.RoundReport> }
        const build = (tab: typeof tabA) =>
          Layer.build(
            engineLayer({
              fetch: tab.counter.fetch,
              engine: { channelPrefix: `kb-${one.jobId}`, onRound: (round) => tab.rounds.push(round) }
            })
          )
        const engineA = yield* build(tabA)
        const engineB = yield* build(tabB)

        const a = yield* listen(engineA, knowledgeBaseId, one.jobId, every)
        expect((yield* polled(a.events)).at).toBe(0)
        const b = yield* listen(engineB, knowledgeBaseId, two.jobId, every)
        // A leads the knowledge base: it polls B's job at once and relays the answer.
        const b1 = yield* polled(b.events)
        expect(b1.job.id).toBe(two.jobId)
        expect(b1.at).toBe(0)

        yield* advanceTo(1_000)
        const [a2, b2] = [yield* polled(a.events), yield* polled(b.events)]
        expect([a2.at, b2.at]).toEqual([1_000, 1_000])
        // One round of A's loop served both jobs (reported once the round is over).
        yield* until(() => tabA.rounds.some((round) => round.at === 1_000))
        expect(tabA.rounds.filter((round) => round.at === 1_000)).toMatchObject([
          { watchedJobs: 2, dueJobs: 2, requests: 2 }
        ])

        yield* promise(() => sim.toTerminal(knowledgeBaseId, one.jobId))
        yield* promise(() => sim.toTerminal(knowledgeBaseId, two.jobId))
        yield* advanceTo(2_000)
        const [exitA, exitB] = [yield* Deferred.await(a.exit), yield* Deferred.await(b.exit)]
        expect(Exit.isSuccess(exitA) && exitA.value.status).toBe("completed")
        expect(Exit.isSuccess(exitB) && exitB.value.id).toBe(two.jobId)
        expect(Exit.isSuccess(exitB) && exitB.value.document_details).toHaveLength(4)

        // Every request was A's; B sent none and ran no round.
        const seen =
          (yield* promise(() => sim.count(one.jobId))) + (yield* promise(() => sim.count(two.jobId)))
        expect(seen).toBe(6) // 3 rounds × 2 jobs, as one tab waiting on both
        expect(tabA.counter.calls).toBe(seen)
        expect(tabB.counter.calls).toBe(0)
        expect(tabB.rounds).toEqual([])
      })
    )
  )

  it.effect(
    "two tabs watching one job: the leader polls for both, the other takes over at once when it closes",
    () =>
      withSleeps(
        Effect.gen(function* () {
          const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
          const counterA = countingFetch()
          const counterB = countingFetch()
          const engine = { channelPrefix: `tabs-${jobId}` }
          const scopeA = yield* Scope.make()
          const engineA = yield* Layer.buildWithScope(engineLayer({ fetch: counterA.fetch, engine }), scopeA)
          const engineB = yield* Layer.build(engineLayer({ fetch: counterB.fetch, engine }))

          const a = yield* listen(engineA, knowledgeBaseId, jobId, every)
          const a1 = yield* polled(a.events)
          const b = yield* listen(engineB, knowledgeBaseId, jobId, every)
          // B's first poll is made by A; one answer reaches every wait of the job, so A hears it too.
          const b1 = yield* polled(b.events)
          expect(b1.job.id).toBe(jobId)
          expect((yield* polled(a.events)).changed).toBe(false)
          expect(yield* promise(() => sim.count(jobId))).toBe(2) // each wait's first poll
          expect(counterB.calls).toBe(0)

          yield* advanceTo(a1.nextPollAt!)
          const a2 = yield* polled(a.events)
          const b2 = yield* polled(b.events)
          expect(b2.at).toBe(a2.at)
          expect(yield* promise(() => sim.count(jobId))).toBe(3) // two tabs, one request
          expect(counterB.calls).toBe(0)

          yield* Scope.close(scopeA, Exit.void) // the leading tab closes
          const b3 = yield* polled(b.events) // B leads, and polls at once: no gap
          expect(b3.at).toBe(a2.at)
          expect(counterB.calls).toBe(1)

          yield* promise(() => sim.toTerminal(knowledgeBaseId, jobId))
          yield* advanceTo(b3.nextPollAt!)
          const exit = yield* Deferred.await(b.exit)
          expect(Exit.isSuccess(exit) && exit.value.status).toBe("completed")
          const rest = yield* Queue.clear(b.events)
          expect(rest.filter((event) => event._tag === "Polled" && event.nextPollAt === null)).toHaveLength(1)
          expect(yield* promise(() => sim.count(jobId))).toBe(5)
          expect(counterA.calls + counterB.calls).toBe(5)
        })
      )
  )

  it.effect("a following tab's WaitTimeout counts what the leader relayed and what it polled itself", () =>
    withSleeps(
      Effect.gen(function* () {
        const { knowledgeBaseId, jobId } = yield* promise(() => sim.newJob())
        const engine = { channelPrefix: `observed-${jobId}` }
        const scopeA = yield* Scope.make()
        const engineA = yield* Layer.buildWithScope(engineLayer({ engine }), scopeA)
        const engineB = yield* Layer.build(engineLayer({ engine }))

        const a = yield* listen(engineA, knowledgeBaseId, jobId, every)
        const a1 = yield* polled(a.events)
        const b = yield* listen(engineB, knowledgeBaseId, jobId, {
          pollInterval: "1 second",
          timeout: "4 seconds"
        })
        // Relayed by A, the leader: at 0 and 1 s.
        expect((yield* polled(b.events)).at).toBe(0)
        yield* advanceTo(a1.nextPollAt!)
        expect((yield* polled(b.events)).at).toBe(1_000)
        // A closes: B leads and polls itself, at once, then at 2 and 3 s; its deadline is 4 s.
        yield* Scope.close(scopeA, Exit.void)
        for (const at of [1_000, 2_000, 3_000]) {
          const own = yield* polled(b.events)
          expect(own.at).toBe(at)
          yield* advanceTo(own.nextPollAt!)
        }
        const exit = yield* Deferred.await(b.exit)
        const timeout = failure(exit)
        if (timeout?._tag !== "WaitTimeout") return expect.fail(`a WaitTimeout, not ${timeout?._tag}`)
        // Two responses relayed, three of its own: five, as if one tab had polled all along.
        expect(timeout.observed).toMatchObject({ responses: 5, retries: 0, httpStatuses: { "200": 5 } })
        expect(Object.values(timeout.observed.statuses).reduce((sum, n) => sum + n, 0)).toBe(5)
      })
    )
  )
})
