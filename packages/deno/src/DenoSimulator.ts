/**
 * The testkit's simulator of the ingestion-jobs API, served by `Deno.serve`: a Deno test gets a real
 * HTTP server on loopback, a clock it can move and faults it can inject, without Node.
 *
 * @module
 * @since 0.1.0
 */
import { isDroppedConnection } from "@tensoras/ingestion-testkit/FetchHandler"
import * as Simulator from "@tensoras/ingestion-testkit/Simulator"

type SimulatorControl = Simulator.SimulatorControl
type SimulatorOptions = Simulator.SimulatorOptions

/**
 * The simulator's control API (clock, faults, request log), from the testkit.
 *
 * @example
 * ```ts
 * import type { DenoSimulator } from "@tensoras/ingestion-deno"
 *
 * const moveOn = (control: DenoSimulator.SimulatorControl) => control.advance(10_000)
 * ```
 * @since 0.1.0
 */
export type { SimulatorControl, SimulatorOptions }

/**
 * Options of {@link serveSimulator}: the simulator's (`scenario`, `clock`, `apiKey`, `epochMs`, `seed`)
 * and where to listen.
 *
 * @example
 * ```ts
 * import { DenoSimulator } from "@tensoras/ingestion-deno"
 *
 * const options: DenoSimulator.ServeSimulatorOptions = { scenario: "docs", clock: "manual", port: 0 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ServeSimulatorOptions extends SimulatorOptions {
  /** Default 0: a free port. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly hostname?: string
}

/**
 * A simulator being served: its base URL (`http://127.0.0.1:<port>/v1`), the key it accepts, its
 * control API, and `close` (also `await using`).
 *
 * @example
 * ```ts
 * import { DenoSimulator } from "@tensoras/ingestion-deno"
 *
 * await using sim = await DenoSimulator.serveSimulator({ scenario: "docs", clock: "manual" })
 * sim.control.advance(44_000)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ServedSimulator extends AsyncDisposable {
  /** `http://<hostname>:<port>/v1`: the client's `baseUrl`. */
  readonly baseUrl: string
  /** The port it listens on. */
  readonly port: number
  /** The key it accepts (`Authorization: Bearer <apiKey>`). */
  readonly apiKey: string
  /** Moves its clock, injects faults, reads its request log. */
  readonly control: SimulatorControl
  /** Ends hanging requests, then stops the server and waits for it. */
  close(): Promise<void>
}

/**
 * Serves a new simulator with `Deno.serve` (needs `--allow-net`). A `drop` fault answers with a
 * response whose body stream errors before its first byte, so Deno aborts the response and the client
 * sees a network failure, as it would from a dropped connection.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { DenoIngestion, DenoSimulator } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const sim = await DenoSimulator.serveSimulator({ scenario: "docs", clock: "manual" })
 * const job = await IngestionJobs.get("kb_abc123", "job_abc123").pipe(
 *   Effect.provide(DenoIngestion.layer({ apiKey: Redacted.make(sim.apiKey), baseUrl: sim.baseUrl })),
 *   Effect.runPromise
 * )
 * await sim.close()
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const serveSimulator = async (options: ServeSimulatorOptions = {}): Promise<ServedSimulator> => {
  const { port = 0, hostname = "127.0.0.1", ...simulatorOptions } = options
  const simulator = Simulator.make(simulatorOptions)
  const listening = Promise.withResolvers<Deno.NetAddr>()
  const server = Deno.serve(
    {
      port,
      hostname,
      onListen: (address) => listening.resolve(address),
      // A dropped connection's body errors by design: that is not worth a log line.
      onError: () => new Response(null, { status: 500 })
    },
    (request) => simulator.handler(request)
  )
  const address = await listening.promise
  let closed: Promise<void> | undefined
  const close = () => {
    closed ??= (async () => {
      simulator.dispose()
      await server.shutdown()
    })()
    return closed
  }
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname
  return {
    baseUrl: `http://${host}:${address.port}/v1`,
    port: address.port,
    apiKey: simulator.control.apiKey,
    control: simulator.control,
    close,
    [Symbol.asyncDispose]: close
  }
}

/**
 * Whether a simulator's response stands for a dropped connection (re-exported from the testkit for
 * custom `Deno.serve` set-ups).
 *
 * @example
 * ```ts
 * import { DenoSimulator } from "@tensoras/ingestion-deno"
 *
 * DenoSimulator.isDroppedConnection(new Response("ok")) // false
 * ```
 * @since 0.1.0
 */
export { isDroppedConnection }
