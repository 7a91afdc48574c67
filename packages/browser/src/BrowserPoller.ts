/**
 * Waiting for an ingestion job in a page: core's `Poller.events`, run only while the page is
 * visible and online, and shared by every tab of the origin that watches the same job.
 *
 * - While the page is hidden or offline, nothing is requested: the running poll is interrupted
 *   (the request in flight is aborted). When the page is visible and online again, it polls at
 *   once, then follows the schedule from its start.
 * - Tabs watching the same job elect a leader with a Web Lock; only the leader polls, and it
 *   broadcasts every event on a `BroadcastChannel`. When the leader closes (or is hidden, or goes
 *   offline) it lets the lock go and the next tab takes over with an immediate poll. Each tab
 *   ends at the first terminal event it sees, from itself or from the channel: never twice.
 * - The deadline is absolute and each tab's own: a tab hidden past it ends with `WaitTimeout`.
 *
 * @since 0.1.0
 */
import { IngestionError } from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type { IngestionJobs } from "@tensoras/ingestion/IngestionJobs"
import * as Poller from "@tensoras/ingestion/Poller"
import { timedOut as timedOutError, type WaitError, type WaitTimeout } from "@tensoras/ingestion/WaitError"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Take from "effect/Take"
import * as tabs from "./internal/tabs.js"
import * as PageSignals from "./PageSignals.js"

/**
 * Options of a browser wait: core's (`schedule`, `timeout`, `deadline`), and tab sharing.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitOptions extends Poller.WaitOptions {
  /**
   * Share one poller among the tabs of this origin that watch the same job. Default true where
   * Web Locks and `BroadcastChannel` exist (every current browser); otherwise each tab polls.
   */
  readonly shareAcrossTabs?: boolean | undefined
  /** Prefix of the lock and channel names; tabs share only under the same one. Default `tensoras-ingestion`. */
  readonly channelPrefix?: string | undefined
}

type RetriedError = Poller.Retrying["error"]

/** What travels between tabs: plain, structured-cloneable data. */
type Message =
  | { readonly kind: "hello" }
  | { readonly kind: "polled"; readonly event: Poller.Polled }
  | {
      readonly kind: "retrying"
      readonly event: Omit<Poller.Retrying, "error"> & { readonly error: typeof IngestionError.Encoded }
    }
  | { readonly kind: "error"; readonly error: typeof IngestionError.Encoded }

const encodeError = Schema.encodeSync(IngestionError)
const decodeError = Schema.decodeUnknownSync(IngestionError)

/**
 * The lock and channel name of a job.
 *
 * @example
 * ```ts
 * import { BrowserPoller } from "@tensoras/ingestion-browser"
 *
 * BrowserPoller.channelName("kb_abc123", "job_def456") // "tensoras-ingestion:kb_abc123/job_def456"
 * ```
 * @category utils
 * @since 0.1.0
 */
export const channelName = (knowledgeBaseId: string, jobId: string, prefix = "tensoras-ingestion"): string =>
  `${prefix}:${knowledgeBaseId}/${jobId}`

/**
 * Every poll and retry of the wait, like core's `Poller.events`, whichever tab made it. `changed`
 * is recomputed across pauses and tabs. Ends after the terminal job; fails with `WaitTimeout`
 * at the deadline, or with the client's error.
 *
 * @example
 * ```ts
 * import { BrowserPoller } from "@tensoras/ingestion-browser"
 * import * as Console from "effect/Console"
 * import * as Stream from "effect/Stream"
 *
 * const log = BrowserPoller.events("kb_abc123", "job_def456").pipe(
 *   Stream.runForEach((event) => Console.log(event._tag))
 * )
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const events = (
  knowledgeBaseId: string,
  jobId: string,
  options: WaitOptions = {}
): Stream.Stream<Poller.PollEvent, IngestionError | WaitTimeout, IngestionJobs | PageSignals.PageSignals> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const context = yield* Effect.context<IngestionJobs | PageSignals.PageSignals>()
      const startedAt = yield* Clock.currentTimeMillis
      const timeout = Duration.decodeUnknown(options.timeout ?? "30 minutes")
      const deadline =
        options.deadline ?? startedAt + (Option.isSome(timeout) ? Duration.toMillis(timeout.value) : 0)
      const queue = yield* Queue.unbounded<Take.Take<Poller.PollEvent, IngestionError | WaitTimeout>>()
      const observed = {
        responses: 0,
        retries: 0,
        statuses: {} as Record<string, number>,
        httpStatuses: {} as Record<string, number>
      }
      const increment = (record: Record<string, number>, key: string) => {
        record[key] = (record[key] ?? 0) + 1
      }
      let done = false
      let lastJob: IngestionJob.IngestionJobDetail | undefined
      let lastPolled: Poller.Polled | undefined

      const deliver = (event: Poller.PollEvent): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (done) return Effect.void
          if (event._tag === "Retrying") {
            observed.retries++
            increment(
              observed.httpStatuses,
              event.error._tag === "TransportError"
                ? event.error.reason.toLowerCase()
                : String(event.error.status)
            )
            return Queue.offer(queue, Take.of(event))
          }
          observed.responses++
          increment(observed.statuses, IngestionJob.statusText(event.job.status))
          increment(observed.httpStatuses, "200")
          const polled: Poller.Polled = { ...event, changed: IngestionJob.differs(lastJob, event.job) }
          lastJob = event.job
          lastPolled = polled
          if (polled.nextPollAt === null) {
            done = true
            return Queue.offerAll(queue, [Take.of(polled), Take.end])
          }
          return Queue.offer(queue, Take.of(polled))
        })

      const finish = (error: IngestionError | WaitTimeout): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (done) return Effect.void
          done = true
          return Queue.offer(queue, Take.fail(error))
        })

      const timedOut = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        finish(timedOutError({ lastJob: lastJob ?? null, elapsedMs: now - startedAt, observed }))
      )

      const share = (options.shareAcrossTabs ?? true) && tabs.canShare()
      const name = channelName(knowledgeBaseId, jobId, options.channelPrefix)
      let leading = false
      const channel: tabs.TabChannel<Message> | undefined = share
        ? yield* tabs.openChannel<Message>(name, (message) => {
            switch (message.kind) {
              case "hello":
                if (leading && lastPolled !== undefined) channel?.post({ kind: "polled", event: lastPolled })
                return
              case "polled":
                return Effect.runSync(deliver(message.event))
              case "retrying":
                return Effect.runSync(
                  deliver({ ...message.event, error: decodeError(message.event.error) as RetriedError })
                )
              case "error":
                return Effect.runSync(finish(decodeError(message.error)))
            }
          })
        : undefined

      const broadcast = (event: Poller.PollEvent) =>
        Effect.sync(() => {
          if (channel === undefined) return
          if (event._tag === "Polled") channel.post({ kind: "polled", event })
          else channel.post({ kind: "retrying", event: { ...event, error: encodeError(event.error) } })
        })

      // One run of core's poller: from an immediate poll until the page is hidden or offline.
      const segment = Poller.events(knowledgeBaseId, jobId, { schedule: options.schedule, deadline }).pipe(
        Stream.interruptWhen(PageSignals.awaitInactive),
        Stream.runForEach((event) => Effect.zipRight(broadcast(event), deliver(event))),
        Effect.catchAll((error) =>
          error._tag === "WaitTimeout"
            ? timedOut
            : Effect.zipRight(
                Effect.sync(() => channel?.post({ kind: "error", error: encodeError(error) })),
                finish(error)
              )
        )
      )
      const lead =
        channel === undefined
          ? segment
          : tabs.withLock(
              name,
              Effect.acquireUseRelease(
                Effect.sync(() => {
                  leading = true
                }),
                () => (done ? Effect.void : segment),
                () =>
                  Effect.sync(() => {
                    leading = false
                  })
              )
            )

      const loop = Effect.gen(function* () {
        while (!done) {
          yield* PageSignals.awaitActive
          if (done) return
          yield* lead
        }
      })

      const deadlinePassed = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sleep(Duration.millis(Math.max(0, deadline - now)))
      ).pipe(Effect.zipRight(timedOut))

      yield* Effect.raceFirst(loop, deadlinePassed).pipe(
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause) ? Effect.void : Queue.offer(queue, Take.failCause(cause as never))
        ),
        Effect.provide(context),
        Effect.forkScoped
      )
      channel?.post({ kind: "hello" })
      return Stream.fromQueue(queue).pipe(Stream.flattenTake)
    })
  )

/**
 * The job each time its status or a counter changes, ending with the terminal job.
 *
 * @example
 * ```ts
 * import { BrowserPoller } from "@tensoras/ingestion-browser"
 * import * as Console from "effect/Console"
 * import * as Stream from "effect/Stream"
 *
 * const progress = BrowserPoller.watch("kb_abc123", "job_def456").pipe(
 *   Stream.runForEach((job) => Console.log(`${job.documents_processed} docs`))
 * )
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const watch = (
  knowledgeBaseId: string,
  jobId: string,
  options?: WaitOptions
): Stream.Stream<
  IngestionJob.IngestionJobDetail,
  IngestionError | WaitTimeout,
  IngestionJobs | PageSignals.PageSignals
> => Poller.changes(events(knowledgeBaseId, jobId, options))

/**
 * Waits until the job is terminal, like core's `Poller.waitFor`, pausing while the page is hidden
 * or offline and sharing the polling with other tabs.
 *
 * @example
 * ```ts
 * import { BrowserIngestion, BrowserPoller } from "@tensoras/ingestion-browser"
 * import * as Effect from "effect/Effect"
 *
 * const job = BrowserPoller.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.provide(BrowserIngestion.layer({ baseUrl: "/api/tensoras/v1" }))
 * )
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const waitFor = (
  knowledgeBaseId: string,
  jobId: string,
  options?: WaitOptions
): Effect.Effect<Poller.CompletedJob, WaitError, IngestionJobs | PageSignals.PageSignals> =>
  Poller.settle(events(knowledgeBaseId, jobId, options))
