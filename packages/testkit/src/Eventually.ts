/**
 * Waiting for something a test cannot be told about, only see: poll a condition until it holds
 * ({@link until}), or bound a promise ({@link within}), both under the tests' one limit
 * (`TestLimit.ms`). A test never sleeps a fixed time: it waits for the event itself, and a busy machine
 * makes it slower, never red. When it gives up, the error says what it waited for and, through a
 * `describe` hook, the state it last saw.
 *
 * Runtime-neutral (no `node:*` module), promise-based: an Effect test wraps a call in `Effect.promise`
 * (whose `AbortSignal` it can pass on as `signal`).
 *
 * @since 1.0.0
 */
import * as TestLimit from "./TestLimit.js"

/**
 * How often {@link until} checks by default: 5 ms, for conditions that read memory. Pass a larger
 * `intervalMs` for a check that queries something (a database, an HTTP endpoint).
 *
 * @example
 * ```ts
 * import { Eventually } from "@tensoras/ingestion-testkit"
 *
 * Eventually.DEFAULT_INTERVAL_MS // 5
 * ```
 * @since 1.0.0
 * @category constants
 */
export const DEFAULT_INTERVAL_MS = 5

/**
 * The error of a wait that gave up: `Gave up after <limitMs> ms waiting for <what>`, then what the
 * `describe` hook told of the state it was in (on the next lines).
 *
 * @example
 * ```ts
 * import { Eventually } from "@tensoras/ingestion-testkit"
 *
 * const error = await Eventually.until("never", () => false, { limitMs: 10 }).catch((e: unknown) => e)
 * if (error instanceof Eventually.GaveUp) console.log(error.what, error.limitMs) // never 10
 * ```
 * @since 1.0.0
 * @category errors
 */
export class GaveUp extends Error {
  /** What was waited for, as the caller named it. */
  readonly what: string
  /** How long it was waited for, in real milliseconds. */
  readonly limitMs: number

  constructor(what: string, limitMs: number, state = "") {
    super(`Gave up after ${limitMs} ms waiting for ${what}${state === "" ? "" : `\n${state}`}`)
    this.name = "GaveUp"
    this.what = what
    this.limitMs = limitMs
  }
}

/**
 * Options of {@link within}.
 *
 * @example
 * ```ts
 * import type { Eventually } from "@tensoras/ingestion-testkit"
 *
 * const options: Eventually.WithinOptions = { limitMs: 120_000, describe: () => "3 of 5 rows" }
 * ```
 * @since 1.0.0
 * @category models
 */
export interface WithinOptions {
  /** How long to wait, in real milliseconds. Default: `TestLimit.ms`; `Infinity`: no limit. */
  readonly limitMs?: number
  /** Tells the state when the wait gives up: its text follows the error's first line. */
  readonly describe?: () => string | PromiseLike<string>
  /** Stops waiting: the wait rejects with the signal's reason. */
  readonly signal?: AbortSignal
}

/**
 * Options of {@link until}: those of {@link within}, and how often to check.
 *
 * @example
 * ```ts
 * import type { Eventually } from "@tensoras/ingestion-testkit"
 *
 * // A check that queries a database: every 250 ms, for five test limits.
 * const options: Eventually.UntilOptions = { intervalMs: 250, limitMs: 5 * 60_000 }
 * ```
 * @since 1.0.0
 * @category models
 */
export interface UntilOptions extends WithinOptions {
  /** The pause between two checks, in real milliseconds. Default: {@link DEFAULT_INTERVAL_MS}. */
  readonly intervalMs?: number
}

/** What a check answers while its condition does not hold yet. */
type NotYet = undefined | null | false

const stateOf = async (describe: WithinOptions["describe"]): Promise<string> => {
  if (describe === undefined) return ""
  try {
    return await describe()
  } catch (cause) {
    return `(describe failed: ${String(cause)})`
  }
}

const abortError = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException("The wait was aborted", "AbortError")

/** The longest delay `setTimeout` keeps (about 24.8 days): a longer limit is no limit. */
const MAX_TIMER_MS = 2_147_483_647

/** Calls `f` after `ms`, unless `ms` is beyond what a timer can hold (`Infinity`: never). */
const timeout = (ms: number, f: () => void): ReturnType<typeof setTimeout> | undefined =>
  ms <= MAX_TIMER_MS ? setTimeout(f, ms) : undefined

const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(abortError(signal))
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError(signal as AbortSignal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort)
      resolve()
    }, ms)
    signal?.addEventListener("abort", onAbort, { once: true })
  })

/**
 * Checks `check` (now, then every `intervalMs`) until it answers something other than `undefined`,
 * `null` or `false`, and resolves with that answer. After `limitMs` (default `TestLimit.ms`) it
 * rejects with a {@link GaveUp} naming `what`, followed by what `describe` tells of the state. A check
 * that throws (or rejects) ends the wait with its error.
 *
 * @example
 * ```ts
 * import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
 * sim.control.injectFault({ kind: "hang" })
 * const pending = fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`, {
 *   headers: { authorization: `Bearer ${sim.apiKey}` }
 * }).catch(() => undefined)
 * // Resolves with the request once the simulator holds it; else the error tells what it saw.
 * const request = await Eventually.until(
 *   "the request to hang",
 *   () => sim.control.requests.find((r) => r.outcome === "pending"),
 *   { describe: () => `requests: ${JSON.stringify(sim.control.requests.map((r) => r.outcome))}` }
 * )
 * console.log(request.route) // "list"
 * await sim.close()
 * await pending
 * ```
 * @since 1.0.0
 * @category waiting
 */
export const until = async <A>(
  what: string,
  check: () => A | NotYet | PromiseLike<A | NotYet>,
  options: UntilOptions = {}
): Promise<A> => {
  const limitMs = options.limitMs ?? TestLimit.ms
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
  const start = Date.now()
  for (;;) {
    if (options.signal?.aborted === true) throw abortError(options.signal)
    const result = await check()
    if (result !== undefined && result !== null && result !== false) return result
    if (Date.now() - start >= limitMs) throw new GaveUp(what, limitMs, await stateOf(options.describe))
    await pause(intervalMs, options.signal)
  }
}

/**
 * `promise`, or after `limitMs` (default `TestLimit.ms`) a rejection with a {@link GaveUp} naming
 * `what` (and what `describe` tells). For an event the test can await (a process exiting, a promise
 * of the code under test) rather than poll.
 *
 * @example
 * ```ts
 * import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const sim = await NodeSimulator.start({ scenario: "docs" })
 * const response = await Eventually.within(
 *   "the simulator's answer",
 *   fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`, {
 *     headers: { authorization: `Bearer ${sim.apiKey}` }
 *   })
 * )
 * console.log(response.status) // 200
 * await sim.close()
 * ```
 * @since 1.0.0
 * @category waiting
 */
export const within = <A>(what: string, promise: PromiseLike<A>, options: WithinOptions = {}): Promise<A> => {
  const limitMs = options.limitMs ?? TestLimit.ms
  const { signal } = options
  return new Promise<A>((resolve, reject) => {
    let settled = false
    const settle = (done: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener("abort", onAbort)
      done()
    }
    const onAbort = () => settle(() => reject(abortError(signal as AbortSignal)))
    const timer = timeout(limitMs, () => {
      void stateOf(options.describe).then((state) => settle(() => reject(new GaveUp(what, limitMs, state))))
    })
    if (signal?.aborted === true) return onAbort()
    signal?.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error))
    )
  })
}
