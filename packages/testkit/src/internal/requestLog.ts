/**
 * The request log's implementation: one record per request, updated as it ends, and the waiters of
 * `control.waitForRequests`, each woken on every change and ended by its deadline, its signal or dispose.
 */
import {
  matchesFilter,
  type RequestFilter,
  type RequestRecord,
  SimulatorDisposed,
  type WaitForRequestsOptions
} from "../RequestLog.js"
import * as TestLimit from "../TestLimit.js"

type MutableRecord = { -readonly [K in keyof RequestRecord]: RequestRecord[K] }

interface Waiter {
  readonly check: () => boolean
  readonly fail: (reason: unknown) => void
}

/** The simulator's request log: records what arrives and wakes the waiters of `waitForRequests`. */
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
    readonly update: (
      changes: Partial<Pick<RequestRecord, "status" | "outcome" | "faults" | "bodyBytes">>
    ) => void
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

  /** Ends every pending `waitFor` with `SimulatorDisposed` (and any later one at once). */
  dispose(): void {
    this.disposed = true
    for (const waiter of [...this.waiters]) waiter.fail(new SimulatorDisposed())
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter.check()
  }
}
