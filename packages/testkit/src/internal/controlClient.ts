/**
 * The control API's client: one call per endpoint, each taking the signal that cancels it first, so the
 * Promise API (no signal, or a wait's) and the Effect API (the fiber's, aborted on interruption) are the
 * same calls. Every call is bounded by the tests' one limit, so a simulator that is gone fails fast.
 */
import type { Fault } from "../Fault.js"
import type { RequestRecord } from "../RequestLog.js"
import type { Job } from "../ScenarioFile.js"
import {
  type AddedJob,
  type ConnectOptions,
  ControlError,
  type ControlState,
  type RemoteControl,
  type RemoteFault,
  type RequestQuery
} from "../SimulatorControl.js"
import * as TestLimit from "../TestLimit.js"
import type { WireJob } from "../WireFormat.js"
import { PREFIX, TOKEN_HEADER } from "./controlJson.js"
import { toJson } from "./faultSchema.js"

type Params = Record<string, string | number | boolean | null | undefined>

/** Each call of {@link RemoteControl}, with the signal that cancels it as its first argument. */
export type Calls = {
  readonly [K in Exclude<keyof RemoteControl, "url">]: RemoteControl[K] extends (...args: infer A) => infer R
    ? (signal: AbortSignal | undefined, ...args: A) => R
    : never
}

const queryOf = (params: Params): string => {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) query.set(name, value === null ? "none" : String(value))
  }
  const text = query.toString()
  return text === "" ? "" : `?${text}`
}

const filterParams = (filter: RequestQuery | undefined): Params => ({ ...filter })

/**
 * The control URL of a simulator given by its origin, its base URL or its control URL.
 *
 * @example
 * controlUrl("http://127.0.0.1:4010/v1") // => "http://127.0.0.1:4010/_simulator"
 */
export const controlUrl = (url: string): string => `${new URL(url).origin}${PREFIX}`

const failed = async (response: Response): Promise<ControlError> => {
  const text = await response.text()
  try {
    const body = JSON.parse(text) as { error?: { message?: string; field?: string } }
    return new ControlError({
      status: response.status,
      message: body.error?.message ?? `HTTP ${response.status}`,
      ...(body.error?.field === undefined ? {} : { field: body.error.field })
    })
  } catch {
    return new ControlError({
      status: response.status,
      message: `HTTP ${response.status}: ${text.slice(0, 200)}`
    })
  }
}

/**
 * The calls of a control client (see `SimulatorControl.connect`).
 *
 * @example
 * const calls = makeCalls({ url: "http://127.0.0.1:4010", token: "ctl_x" })
 * await calls.advance(undefined, 5_000)
 */
export const makeCalls = (options: ConnectOptions): Calls => {
  const base = controlUrl(options.url)
  const fetchImpl = options.fetch ?? globalThis.fetch

  const call = async <A>(
    signal: AbortSignal | undefined,
    method: string,
    path: string,
    params: Params = {},
    limitMs = TestLimit.ms
  ): Promise<A> => {
    const limit = AbortSignal.timeout(limitMs)
    const url = `${base}${path}${queryOf(params)}`
    let response: Response
    try {
      response = await fetchImpl(url, {
        method,
        headers: { [TOKEN_HEADER]: options.token },
        signal: signal === undefined ? limit : AbortSignal.any([signal, limit])
      })
    } catch (cause) {
      // The caller's own cancellation is theirs to see as it is.
      if (signal?.aborted) throw signal.reason
      const why = limit.aborted ? `no answer within ${limitMs} ms` : String(cause)
      throw new ControlError({ status: 0, message: `${method} ${base}${path}: ${why}` })
    }
    if (!response.ok) throw await failed(response)
    return (await response.json()) as A
  }

  return {
    state: (signal) => call<ControlState>(signal, "GET", ""),
    advance: (signal, ms) =>
      call<{ now: number }>(signal, "POST", "/advance", { ms }).then((body) => body.now),
    setTime: (signal, epochMs) =>
      call<{ now: number }>(signal, "POST", "/time", { epochMs }).then((body) => body.now),
    reset: (signal) => call<ControlState>(signal, "POST", "/reset"),
    addKnowledgeBase: (signal, id) =>
      call<{ id: string }>(signal, "POST", "/knowledge-bases", { id }).then((body) => body.id),
    addJob: (signal, kbId, job?: Job) =>
      call<AddedJob>(signal, "POST", "/jobs", {
        kbId,
        job: job === undefined ? undefined : JSON.stringify(job)
      }),
    getJob: (signal, kbId, jobId) =>
      call<WireJob>(signal, "GET", `/jobs/${encodeURIComponent(kbId)}/${encodeURIComponent(jobId)}`),
    injectFault: (signal, fault: Fault) =>
      call<RemoteFault>(signal, "POST", "/faults", { fault: JSON.stringify(toJson(fault)) }),
    faults: (signal) =>
      call<{ faults: ReadonlyArray<RemoteFault> }>(signal, "GET", "/faults").then((body) => body.faults),
    clearFaults: (signal) => call<unknown>(signal, "DELETE", "/faults").then(() => undefined),
    requests: (signal, filter) =>
      call<{ requests: ReadonlyArray<RequestRecord> }>(signal, "GET", "/requests", filterParams(filter)).then(
        (body) => body.requests
      ),
    waitForRequests: (signal, n, waitOptions = {}) => {
      const timeoutMs = waitOptions.timeoutMs ?? TestLimit.ms
      const signals = [signal, waitOptions.signal].filter((one) => one !== undefined)
      const params = {
        ...filterParams(waitOptions.filter),
        count: n,
        settled: waitOptions.settled === true ? true : undefined,
        timeoutMs
      }
      // The simulator gives up at `timeoutMs` and says what it saw; this bound is for one that is gone.
      return call<{ requests: ReadonlyArray<RequestRecord> }>(
        signals.length === 0 ? undefined : AbortSignal.any(signals),
        "GET",
        "/requests",
        params,
        timeoutMs + TestLimit.ms
      ).then((body) => body.requests.slice(0, n))
    },
    clearRequests: (signal) => call<unknown>(signal, "DELETE", "/requests").then(() => undefined)
  }
}
