import type { AppliedFault, Fault, InjectedFault } from "../Fault.js"

/**
 * What a fault can match on.
 *
 * @example
 * const request: FaultRequest = { route: "get", kbId: "kb_abc123", jobId: "job_abc123" }
 */
export interface FaultRequest {
  readonly route: "list" | "get"
  readonly kbId: string
  readonly jobId: string | null
}

class Entry implements InjectedFault {
  remaining: number
  applied = 0
  /** Matching requests still to let by before it applies. */
  skipping: number
  constructor(
    readonly id: number,
    readonly fault: Fault,
    private readonly queue: FaultQueue
  ) {
    this.remaining = fault.times ?? 1
    this.skipping = fault.skip ?? 0
  }
  remove(): void {
    this.queue.remove(this)
  }
}

const matches = (fault: Fault, request: FaultRequest): boolean =>
  (fault.route === undefined || fault.route === "any" || fault.route === request.route) &&
  (fault.kbId === undefined || fault.kbId === request.kbId) &&
  (fault.jobId === undefined || fault.jobId === request.jobId)

const isByteCount = (value: number): boolean => Number.isSafeInteger(value) && value >= 0

const validateHugeBody = (fault: Extract<Fault, { readonly kind: "huge-body" }>): void => {
  if (fault.bytes !== undefined && !isByteCount(fault.bytes)) {
    throw new RangeError(`A huge body's 'bytes' must be a whole number >= 0, got ${fault.bytes}`)
  }
  if (fault.chunkBytes !== undefined && !(isByteCount(fault.chunkBytes) && fault.chunkBytes >= 1)) {
    throw new RangeError(`A huge body's 'chunkBytes' must be a whole number >= 1, got ${fault.chunkBytes}`)
  }
  if (fault.intervalMs !== undefined && !(Number.isFinite(fault.intervalMs) && fault.intervalMs >= 0)) {
    throw new RangeError(`A huge body's 'intervalMs' must be a finite number >= 0, got ${fault.intervalMs}`)
  }
  if (fault.status !== undefined && !(fault.status >= 400 && fault.status <= 599)) {
    throw new RangeError(`A huge body's 'status' must be an error status (400-599), got ${fault.status}`)
  }
  const length = fault.contentLength
  if (typeof length === "number" && !isByteCount(length)) {
    throw new RangeError(
      `A huge body's 'contentLength' must be a boolean or a whole number >= 0, got ${length}`
    )
  }
}

const validate = (fault: Fault): void => {
  const times = fault.times ?? 1
  if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times >= 1))) {
    throw new RangeError(`Fault 'times' must be a positive integer or Infinity, got ${times}`)
  }
  if (fault.skip !== undefined && !(Number.isSafeInteger(fault.skip) && fault.skip >= 0)) {
    throw new RangeError(`Fault 'skip' must be a whole number >= 0, got ${fault.skip}`)
  }
  if (fault.kind === "latency" && !(Number.isFinite(fault.ms) && fault.ms >= 0)) {
    throw new RangeError(`Latency 'ms' must be a finite number >= 0, got ${fault.ms}`)
  }
  if (
    fault.kind === "truncated" &&
    fault.fraction !== undefined &&
    !(fault.fraction >= 0 && fault.fraction < 1)
  ) {
    throw new RangeError(`Truncation 'fraction' must be in [0, 1), got ${fault.fraction}`)
  }
  if ("retryAfter" in fault && fault.retryAfter !== undefined && !(fault.retryAfter >= 0)) {
    throw new RangeError(`'retryAfter' must be >= 0 seconds, got ${fault.retryAfter}`)
  }
  if (
    fault.kind === "echo-key" &&
    fault.status !== undefined &&
    !(fault.status >= 400 && fault.status <= 599)
  ) {
    throw new RangeError(
      `An echo-key fault's 'status' must be an error status (400-599), got ${fault.status}`
    )
  }
  if (
    fault.kind === "redirect" &&
    fault.status !== undefined &&
    !(fault.status >= 300 && fault.status <= 399)
  ) {
    throw new RangeError(`A redirect's 'status' must be a 3xx status, got ${fault.status}`)
  }
  if (fault.kind === "huge-body") validateHugeBody(fault)
  if ("status" in fault && fault.status !== undefined && !(fault.status >= 200 && fault.status <= 599)) {
    throw new RangeError(`'status' must be an HTTP status, got ${fault.status}`)
  }
}

/**
 * Faults in injection order; `take` consumes what a request gets.
 *
 * @example
 * const queue = new FaultQueue()
 * queue.add({ kind: "drop" })
 * queue.take({ route: "list", kbId: "kb_1", jobId: null }).effect?.fault.kind // => "drop"
 */
export class FaultQueue {
  private entries: Array<Entry> = []
  private nextId = 1

  add(fault: Fault): InjectedFault {
    validate(fault)
    const entry = new Entry(this.nextId++, fault, this)
    this.entries.push(entry)
    return entry
  }

  remove(entry: InjectedFault): void {
    this.entries = this.entries.filter((candidate) => candidate !== entry)
  }

  clear(): void {
    this.entries = []
  }

  pending(): ReadonlyArray<InjectedFault> {
    return [...this.entries]
  }

  /**
   * The first matching latency fault and the first matching other fault, both consumed. A matching fault
   * still skipping counts the request and lets it by (chosen before counting, so it never applies to the
   * request that ends its skip).
   */
  take(request: FaultRequest): {
    latency: Entry | undefined
    effect: Entry | undefined
    applied: Array<AppliedFault>
  } {
    const ready = this.entries.filter((entry) => entry.skipping === 0 && matches(entry.fault, request))
    for (const entry of this.entries) {
      if (entry.skipping > 0 && matches(entry.fault, request)) entry.skipping -= 1
    }
    const latency = ready.find((entry) => entry.fault.kind === "latency")
    const effect = ready.find((entry) => entry.fault.kind !== "latency")
    const applied: Array<AppliedFault> = []
    for (const entry of [latency, effect]) {
      if (entry === undefined) continue
      entry.remaining -= 1
      entry.applied += 1
      if (entry.remaining <= 0) this.remove(entry)
      applied.push({ id: entry.id, kind: entry.fault.kind })
    }
    return { latency, effect, applied }
  }
}
