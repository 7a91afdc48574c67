/**
 * What the simulator saw: one record per HTTP request, and a way for a test to wait for the N-th request
 * instead of sleeping.
 *
 * @module
 */
import type { AppliedFault } from "./Fault.js"
import * as TestLimit from "./TestLimit.js"

/**
 * The endpoint a request hit; `unknown` for any other path.
 *
 * @example
 * const route: RequestRoute = "list"
 */
export type RequestRoute = "list" | "get" | "unknown"

/**
 * How a request ended: `pending` until the simulator answers; `hung` and `dropped` come from faults;
 * `aborted` means the client went away before the answer was ready.
 *
 * @example
 * const ended: ReadonlyArray<RequestOutcome> = ["responded", "hung", "dropped", "aborted"]
 */
export type RequestOutcome = "pending" | "responded" | "hung" | "dropped" | "aborted"

/**
 * One request. The Authorization header's value is never recorded, only whether it was accepted.
 *
 * @example
 * const [first] = control.requests
 * first?.status // => 200
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
}

/**
 * Selects requests: an object whose fields must all be equal, or a predicate.
 *
 * @example
 * control.requestCount({ route: "get", status: 200 })
 * control.requestCount((r) => r.faults.length > 0)
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
 * Options of {@link RequestLog.waitFor}.
 *
 * @example
 * await control.waitForRequests(3, { timeoutMs: 1_000, filter: { route: "get" }, settled: true })
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

type MutableRecord = { -readonly [K in keyof RequestRecord]: RequestRecord[K] }

/**
 * Whether a record is selected by a filter (no filter selects every record).
 *
 * @example
 * matchesFilter(record, { route: "get", status: 200 })
 */
export const matchesFilter = (record: RequestRecord, filter: RequestFilter | undefined): boolean => {
  if (filter === undefined) return true
  if (typeof filter === "function") return filter(record)
  return (Object.keys(filter) as Array<keyof typeof filter>).every(
    (key) => filter[key] === undefined || filter[key] === record[key]
  )
}

interface Waiter {
  readonly check: () => boolean
  readonly fail: (reason: unknown) => void
}

/**
 * Why a wait of a disposed simulator ended: nothing it waited for can happen any more.
 *
 * @example
 * const pending = control.waitForRequests(5)
 * simulator.dispose()
 * await pending.catch((error) => error instanceof SimulatorDisposed) // => true
 */
export class SimulatorDisposed extends Error {
  override readonly name = "SimulatorDisposed"
  constructor() {
    super("The simulator was disposed while a test waited for its requests")
  }
}

/**
 * The simulator's request log.
 *
 * @example
 * const log = new RequestLog()
 * const third = log.waitFor(3)
 * // ... three requests arrive ...
 * const records = await third
 */
export class RequestLog {
  private records: Array<MutableRecord> = []
  private readonly waiters = new Set<Waiter>()
  private nextSeq = 1
  private disposed = false

  /** A snapshot of every record, oldest first. */
  get all(): ReadonlyArray<RequestRecord> {
    return this.records.map((record) => ({ ...record }))
  }

  /** Records a request on arrival; `update` fills in how it ended. */
  open(entry: Omit<RequestRecord, "seq" | "status" | "outcome" | "faults">): {
    readonly seq: number
    readonly update: (changes: Partial<Pick<RequestRecord, "status" | "outcome" | "faults">>) => void
  } {
    const record: MutableRecord = {
      ...entry,
      seq: this.nextSeq++,
      status: null,
      outcome: "pending",
      faults: []
    }
    this.records.push(record)
    this.notify()
    return {
      seq: record.seq,
      update: (changes) => {
        Object.assign(record, changes)
        this.notify()
      }
    }
  }

  count(filter?: RequestFilter): number {
    return this.records.filter((record) => matchesFilter(record, filter)).length
  }

  /** Empties the log; numbering starts again at 1. */
  clear(): void {
    this.records = []
    this.nextSeq = 1
  }

  /**
   * Resolves with the first `n` matching records once there are that many. Rejects after `timeoutMs`
   * (saying what it saw), when `signal` aborts (with its reason), or when the log is disposed.
   */
  waitFor(n: number, options: WaitForRequestsOptions = {}): Promise<ReadonlyArray<RequestRecord>> {
    const timeoutMs = options.timeoutMs ?? TestLimit.ms
    const { signal } = options
    const select = (): Array<MutableRecord> =>
      this.records.filter(
        (record) =>
          matchesFilter(record, options.filter) && (!options.settled || record.outcome !== "pending")
      )
    return new Promise((resolve, reject) => {
      if (this.disposed) return reject(new SimulatorDisposed())
      if (signal?.aborted) return reject(signal.reason)
      const end = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener("abort", onAbort)
        this.waiters.delete(waiter)
      }
      const waiter: Waiter = {
        check: () => {
          const selected = select()
          if (selected.length < n) return false
          end()
          resolve(selected.slice(0, n).map((record) => ({ ...record })))
          return true
        },
        fail: (reason) => {
          end()
          reject(reason)
        }
      }
      const onAbort = (): void => waiter.fail(signal?.reason)
      const timer = setTimeout(() => {
        const seen = select()
          .map(
            (record) => `#${record.seq} ${record.method} ${record.path} -> ${record.status ?? record.outcome}`
          )
          .join("; ")
        waiter.fail(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${n} request(s); saw ${select().length}${seen ? `: ${seen}` : ""}`
          )
        )
      }, timeoutMs)
      signal?.addEventListener("abort", onAbort, { once: true })
      this.waiters.add(waiter)
      waiter.check()
    })
  }

  /** Whether any `waitFor` is still pending. */
  get waiting(): number {
    return this.waiters.size
  }

  /** Ends every pending `waitFor` with {@link SimulatorDisposed} (and any later one at once). */
  dispose(): void {
    this.disposed = true
    for (const waiter of [...this.waiters]) waiter.fail(new SimulatorDisposed())
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter.check()
  }
}
