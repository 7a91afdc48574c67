/**
 * The simulator's control API over HTTP, for a simulator in another process (`tensoras-simulator`):
 * move its clock, add knowledge bases and jobs, inject faults, read its request log. Served on the
 * simulator's own port under `/_simulator`, to holders of the control token (`x-simulator-token`),
 * which the bin prints at start. `connect` is the Promise client; `make` / `layer` the Effect one.
 *
 * @since 1.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { Fault } from "./Fault.js"
import * as api from "./internal/controlApi.js"
import * as client from "./internal/controlClient.js"
import * as json from "./internal/controlJson.js"
import type { RequestOutcome, RequestRecord, RequestRoute } from "./RequestLog.js"
import type { Job } from "./ScenarioFile.js"
import type { Simulator } from "./Simulator.js"
import type { ClockMode } from "./SimulatorClock.js"
import type { JobInfo } from "./SimulatorEngine.js"
import type { WireJob } from "./WireFormat.js"

/**
 * The control API's path on the simulator's origin.
 *
 * @category constants
 * @since 1.1.0
 */
export const PATH: "/_simulator" = json.PREFIX as "/_simulator"

/**
 * The header that carries the control token.
 *
 * @category constants
 * @since 1.1.0
 */
export const TOKEN_HEADER: "x-simulator-token" = json.TOKEN_HEADER as "x-simulator-token"

/**
 * `simulator` with its handler also serving the control API, under {@link PATH}, to requests that carry
 * `token` in {@link TOKEN_HEADER}; every other request goes to the API as before (control requests are
 * not in the request log). `NodeSimulator.start({ controlToken })` does this for you.
 *
 * @example
 * ```ts
 * import { NodeServer, Simulator } from "@tensoras/ingestion-testkit"
 * import * as SimulatorControl from "@tensoras/ingestion-testkit/SimulatorControl"
 *
 * const simulator = SimulatorControl.withControl(Simulator.make({ clock: "manual" }), { token: "ctl_local" })
 * const server = await NodeServer.serve(simulator.handler) // or Deno.serve(simulator.handler)
 * await server.close()
 * simulator.dispose()
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const withControl: (simulator: Simulator, options: { readonly token: string }) => Simulator =
  api.withControl

/**
 * A fresh control token: `ctl_` and 32 hex digits.
 *
 * @example
 * ```ts
 * import * as SimulatorControl from "@tensoras/ingestion-testkit/SimulatorControl"
 *
 * SimulatorControl.generateToken() // "ctl_3f9c…"
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const generateToken = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `ctl_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`
}

/**
 * A fault as the control API shows it: `remaining` is `"always"` for a fault without end.
 *
 * @category models
 * @since 1.1.0
 */
export interface RemoteFault {
  readonly id: number
  readonly kind: Fault["kind"]
  /** The fault as JSON (`times: "always"` for `Infinity`). */
  readonly fault: Readonly<Record<string, unknown>>
  readonly remaining: number | "always"
  readonly applied: number
}

/**
 * The simulated world now: scenario, clock, each knowledge base's jobs (status now, when they end), the
 * faults still pending and how many requests the log holds.
 *
 * @category models
 * @since 1.1.0
 */
export interface ControlState {
  readonly scenario: string
  readonly clock: ClockMode
  /** Engine time, epoch milliseconds. */
  readonly now: number
  readonly knowledgeBases: ReadonlyArray<{
    readonly id: string
    readonly jobs: ReadonlyArray<{
      readonly id: string
      readonly dataSourceId: string
      readonly status: string
      readonly createdAt: number
      readonly terminalAt: number
      readonly outcome: "completed" | "failed"
    }>
  }>
  readonly faults: ReadonlyArray<RemoteFault>
  readonly requests: number
}

/**
 * A job the control API added, and the faults of its spec, aimed at it.
 *
 * @category models
 * @since 1.1.0
 */
export interface AddedJob {
  readonly job: JobInfo
  readonly faults: ReadonlyArray<RemoteFault>
}

/**
 * Selects requests of the log: each field given must be equal (`status: null` for no answer).
 *
 * @category models
 * @since 1.1.0
 */
export interface RequestQuery {
  readonly route?: RequestRoute
  readonly method?: string
  readonly kbId?: string
  readonly jobId?: string
  readonly status?: number | null
  readonly outcome?: RequestOutcome
  readonly authorized?: boolean
}

/**
 * Options of `waitForRequests`.
 *
 * @category models
 * @since 1.1.0
 */
export interface WaitOptions {
  readonly filter?: RequestQuery
  /** Count a request once it has ended (answered, hung up, dropped, aborted). Default: on arrival. */
  readonly settled?: boolean
  /** When the simulator gives up (408, saying what it saw). Default: the tests' limit, `TestLimit.ms`. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

/**
 * Where the simulator is and its control token.
 *
 * @category models
 * @since 1.1.0
 */
export interface ConnectOptions {
  /** The simulator's origin, base URL (`…/v1`) or control URL (`…/_simulator`). */
  readonly url: string
  readonly token: string
  /** Default: the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch
}

/**
 * The control API, with Promises. Each call is bounded by the tests' limit (`TestLimit.ms`).
 *
 * @category models
 * @since 1.1.0
 */
export interface RemoteControl {
  /** The control URL, `http://host:port/_simulator`. */
  readonly url: string
  state(): Promise<ControlState>
  /** Moves engine time forward; resolves with the new time. */
  advance(ms: number): Promise<number>
  /** Moves engine time forward to `epochMs` (never backwards); resolves with it. */
  setTime(epochMs: number): Promise<number>
  /** Reloads the scenario: its clock, world and faults, an empty log. */
  reset(): Promise<ControlState>
  /** Adds an empty knowledge base; resolves with its id (generated when omitted). */
  addKnowledgeBase(id?: string): Promise<string>
  /** Adds a job as a scenario file's `jobs` describe one; its `faults` apply to its requests. */
  addJob(kbId: string, job?: Job): Promise<AddedJob>
  /** The job as `GET …/ingestion-jobs/{job_id}` answers now, without faults. */
  getJob(kbId: string, jobId: string): Promise<WireJob>
  injectFault(fault: Fault): Promise<RemoteFault>
  faults(): Promise<ReadonlyArray<RemoteFault>>
  clearFaults(): Promise<void>
  /** The request log (the part `filter` selects), oldest first. */
  requests(filter?: RequestQuery): Promise<ReadonlyArray<RequestRecord>>
  /** The first `n` matching requests, once they have arrived (or ended, with `settled`). */
  waitForRequests(n: number, options?: WaitOptions): Promise<ReadonlyArray<RequestRecord>>
  clearRequests(): Promise<void>
}

/**
 * A call the control API refused (`status`, `field`: the parameter at fault) or that found no simulator
 * (`status` 0).
 *
 * @example
 * ```ts
 * import * as SimulatorControl from "@tensoras/ingestion-testkit/SimulatorControl"
 *
 * const isRefusal = (error: unknown) => error instanceof SimulatorControl.ControlError && error.status === 400
 * ```
 * @category errors
 * @since 1.1.0
 */
export class ControlError extends Schema.TaggedError<ControlError>(
  "@tensoras/ingestion-testkit/ControlError"
)("ControlError", {
  status: Schema.Number,
  message: Schema.String,
  field: Schema.optionalKey(Schema.String)
}) {}

/**
 * The Promise client of a simulator's control API.
 *
 * @example
 * ```ts
 * import { NodeSimulator } from "@tensoras/ingestion-testkit"
 * import * as SimulatorControl from "@tensoras/ingestion-testkit/SimulatorControl"
 *
 * const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual", controlToken: "ctl_local" })
 * const control = SimulatorControl.connect({ url: sim.baseUrl, token: "ctl_local" })
 * await control.advance(44_000)
 * await control.injectFault({ kind: "rate-limit", retryAfter: 2, route: "get" })
 * console.log((await control.getJob("kb_abc123", "job_def456")).status) // "completed"
 * await sim.close()
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const connect = (options: ConnectOptions): RemoteControl => {
  const calls = client.makeCalls(options)
  const promises = Object.fromEntries(
    Object.entries(calls).map(([name, call]) => [
      name,
      (...args: Array<unknown>) =>
        (call as (signal: undefined, ...rest: Array<unknown>) => unknown)(undefined, ...args)
    ])
  )
  return { ...(promises as unknown as Omit<RemoteControl, "url">), url: client.controlUrl(options.url) }
}

/**
 * The control API in Effect: each call of {@link RemoteControl}, failing with {@link ControlError};
 * interrupting one aborts its request.
 *
 * @category models
 * @since 1.1.0
 */
export type Service = { readonly url: string } & {
  readonly [K in keyof client.Calls]: client.Calls[K] extends (
    signal: AbortSignal | undefined,
    ...args: infer A
  ) => Promise<infer R>
    ? (...args: A) => Effect.Effect<R, ControlError>
    : never
}

const asControlError = (cause: unknown): ControlError =>
  cause instanceof ControlError ? cause : new ControlError({ status: 0, message: String(cause) })

/**
 * The Effect client of a simulator's control API.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as SimulatorControl from "@tensoras/ingestion-testkit/SimulatorControl"
 *
 * const control = SimulatorControl.make({ url: "http://127.0.0.1:4010", token: "ctl_local" })
 * const program = Effect.flatMap(control.advance(5_000), (now) => Effect.log(`engine time ${now}`))
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const make = (options: ConnectOptions): Service => {
  const calls = client.makeCalls(options)
  const effects = Object.fromEntries(
    Object.entries(calls).map(([name, call]) => [
      name,
      (...args: Array<unknown>) =>
        Effect.tryPromise({
          try: (signal) =>
            (call as (signal: AbortSignal, ...rest: Array<unknown>) => Promise<unknown>)(signal, ...args),
          catch: asControlError
        })
    ])
  )
  return { ...(effects as unknown as Omit<Service, "url">), url: client.controlUrl(options.url) } as Service
}

/**
 * The control API as a service, for programs that take it from their context.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as SimulatorControl from "@tensoras/ingestion-testkit/SimulatorControl"
 *
 * const program = Effect.gen(function* () {
 *   const control = yield* SimulatorControl.SimulatorControl
 *   yield* control.advance(44_000)
 *   return yield* control.requests({ route: "get" })
 * }).pipe(Effect.provide(SimulatorControl.layer({ url: "http://127.0.0.1:4010", token: "ctl_local" })))
 * ```
 * @category services
 * @since 1.1.0
 */
export class SimulatorControl extends Context.Service<SimulatorControl, Service>()(
  "@tensoras/ingestion-testkit/SimulatorControl"
) {}

/**
 * A layer of {@link SimulatorControl} for the simulator at `options.url`.
 *
 * @example
 * ```ts
 * import * as SimulatorControl from "@tensoras/ingestion-testkit/SimulatorControl"
 *
 * const ControlLive = SimulatorControl.layer({ url: "http://127.0.0.1:4010", token: "ctl_local" })
 * ```
 * @category layers
 * @since 1.1.0
 */
export const layer = (options: ConnectOptions): Layer.Layer<SimulatorControl> =>
  Layer.succeed(SimulatorControl, make(options))
