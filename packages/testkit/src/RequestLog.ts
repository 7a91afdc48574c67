/**
 * What the simulator saw: one record per HTTP request, read through `control.requests`,
 * `control.requestCount(filter)` and `control.waitForRequests(n)`, so a test waits for the N-th
 * request instead of sleeping.
 *
 * @since 0.1.0
 */
import type { AppliedFault } from "./Fault.js"

/**
 * The endpoint a request hit; `unknown` for any other path.
 *
 * @example
 * ```ts
 * import type { RequestLog } from "@tensoras/ingestion-testkit"
 *
 * const route: RequestLog.RequestRoute = "list"
 * ```
 * @category models
 * @since 0.1.0
 */
export type RequestRoute = "list" | "get" | "unknown"

/**
 * How a request ended: `pending` until the simulator answers; `hung` and `dropped` come from faults;
 * `aborted` means the client went away before the answer was ready (or, for an answer the simulator
 * streams, the `huge-body` fault's, before its end).
 *
 * @example
 * ```ts
 * import type { RequestLog } from "@tensoras/ingestion-testkit"
 *
 * const ended: ReadonlyArray<RequestLog.RequestOutcome> = ["responded", "hung", "dropped", "aborted"]
 * ```
 * @category models
 * @since 0.1.0
 */
export type RequestOutcome = "pending" | "responded" | "hung" | "dropped" | "aborted"

/**
 * One request. The Authorization header's value is never recorded, only whether it was accepted.
 *
 * @example
 * ```ts
 * import type { RequestLog, Simulator } from "@tensoras/ingestion-testkit"
 *
 * const firstStatus = (control: Simulator.SimulatorControl) => {
 *   const [first]: ReadonlyArray<RequestLog.RequestRecord> = control.requests
 *   return first?.status // 200, 429, ... or null while pending
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface RequestRecord {
  /** 1-based arrival order. */
  readonly seq: number
  readonly method: string
  /** The path as received (still percent-encoded). */
  readonly path: string
  readonly route: RequestRoute
  /** Percent-decoded path ids, when the route has them. */
  readonly kbId: string | null
  readonly jobId: string | null
  /** Query parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>
  /** Engine time (epoch ms) at arrival. */
  readonly at: number
  /** Real wall-clock time (`Date.now()`) at arrival. */
  readonly realAt: number
  /** The response status, once answered; `null` while pending and for hung/dropped/aborted requests. */
  readonly status: number | null
  readonly outcome: RequestOutcome
  /** Whether the request carried an accepted API key. */
  readonly authorized: boolean
  /** The `User-Agent` header, if any: clients identify themselves with it. */
  readonly userAgent: string | null
  /** Faults that applied (a latency fault and/or one other). */
  readonly faults: ReadonlyArray<AppliedFault>
  /**
   * For an answer the simulator streams (the `huge-body` fault's): the bytes of its body sent so far,
   * handed to the connection one chunk at a time as it asks for them. Absent for any other answer.
   * @since 1.1.0
   */
  readonly bodyBytes?: number
}

/**
 * Selects requests: an object whose fields must all be equal, or a predicate.
 *
 * @example
 * ```ts
 * import type { RequestLog } from "@tensoras/ingestion-testkit"
 *
 * const polls: RequestLog.RequestFilter = { route: "get", status: 200 }
 * const faulted: RequestLog.RequestFilter = (record) => record.faults.length > 0
 * ```
 * @category models
 * @since 0.1.0
 */
export type RequestFilter =
  | {
      readonly route?: RequestRoute
      readonly method?: string
      readonly kbId?: string
      readonly jobId?: string
      readonly status?: number | null
      readonly outcome?: RequestOutcome
      readonly authorized?: boolean
    }
  | ((record: RequestRecord) => boolean)

/**
 * Options of `control.waitForRequests`.
 *
 * @example
 * ```ts
 * import type { RequestLog } from "@tensoras/ingestion-testkit"
 *
 * const options: RequestLog.WaitForRequestsOptions = { timeoutMs: 1_000, filter: { route: "get" }, settled: true }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface WaitForRequestsOptions {
  /** Real milliseconds before the promise rejects. Default: the tests' one limit, `TestLimit.ms` (a minute). */
  readonly timeoutMs?: number
  /** Cancels the wait: the promise rejects with the signal's reason and nothing is left pending. */
  readonly signal?: AbortSignal
  /** Count only matching requests. */
  readonly filter?: RequestFilter
  /** Count a request only once it has ended (answered, hung up, dropped or aborted). Default false: on arrival. */
  readonly settled?: boolean
}

/**
 * Whether a record is selected by a filter (no filter selects every record).
 *
 * @example
 * ```ts
 * import { RequestLog, type Simulator } from "@tensoras/ingestion-testkit"
 *
 * const okPolls = (control: Simulator.SimulatorControl) =>
 *   control.requests.filter((record) => RequestLog.matchesFilter(record, { route: "get", status: 200 }))
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const matchesFilter = (record: RequestRecord, filter: RequestFilter | undefined): boolean => {
  if (filter === undefined) return true
  if (typeof filter === "function") return filter(record)
  return (Object.keys(filter) as Array<keyof typeof filter>).every(
    (key) => filter[key] === undefined || filter[key] === record[key]
  )
}

/**
 * Why a wait of a disposed simulator ended: nothing it waited for can happen any more.
 *
 * @example
 * ```ts
 * import { RequestLog, Simulator } from "@tensoras/ingestion-testkit"
 *
 * const simulator = Simulator.make({ scenario: "docs" })
 * const pending = simulator.control.waitForRequests(5)
 * simulator.dispose()
 * await pending.catch((error) => error instanceof RequestLog.SimulatorDisposed) // true
 * ```
 * @category errors
 * @since 0.1.0
 */
export class SimulatorDisposed extends Error {
  readonly _tag = "SimulatorDisposed"
  override readonly name = "SimulatorDisposed"
  constructor() {
    super("The simulator was disposed while a test waited for its requests")
  }
}
