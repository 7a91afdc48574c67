/**
 * One call for Node tests and the CLI: a simulator served over real HTTP on loopback. (On Deno,
 * `DenoSimulator` from `@tensoras/ingestion-deno` does the same with `Deno.serve`.)
 *
 * @since 0.1.0
 */
import * as NodeServer from "./NodeServer.js"
import * as Simulator from "./Simulator.js"

/**
 * Options of {@link start}: the simulator's (`scenario`, `clock`, `apiKey`, `epochMs`, `seed`), plus
 * where to listen.
 *
 * @example
 * ```ts
 * import type { NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const options: NodeSimulator.StartOptions = { scenario: "docs", clock: "manual", port: 0 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface StartOptions extends Simulator.SimulatorOptions {
  /** Default 0: a free port. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /**
   * Serves the control API on the same port (`SimulatorControl`), to requests carrying this token.
   * Default: none served.
   *
   * @since 1.1.0
   */
  readonly controlToken?: string
}

/**
 * A simulator listening on HTTP.
 *
 * @example
 * ```ts
 * import { NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const sim: NodeSimulator.RunningSimulator = await NodeSimulator.start({ scenario: "docs" })
 * sim.baseUrl // e.g. "http://127.0.0.1:53124/v1"
 * await sim.close()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface RunningSimulator {
  /** Like production's `https://api.tensoras.ai/v1`: append `/knowledge-bases/…`. */
  readonly baseUrl: string
  readonly apiKey: string
  readonly control: Simulator.SimulatorControl
  /**
   * With `controlToken`: the control API's URL (`http://127.0.0.1:53124/_simulator`), for
   * `SimulatorControl.connect`.
   *
   * @since 1.1.0
   */
  readonly controlUrl?: string
  /** Destroys open connections (hanging requests included), releases timers, resolves when closed. */
  close(): Promise<void>
}

/**
 * Starts a simulator on a real HTTP server (default `127.0.0.1`, a free port).
 *
 * @example
 * ```ts
 * import { NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
 * const response = await fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`, {
 *   headers: { authorization: `Bearer ${sim.apiKey}` }
 * })
 * sim.control.advance(44_000) // job_def456 completes
 * await sim.close()
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const start = async (options: StartOptions = {}): Promise<RunningSimulator> => {
  const { port, host, controlToken, ...simulatorOptions } = options
  const bare = Simulator.make(simulatorOptions)
  // Loaded only when asked for: the control API brings Effect, which a plain simulator does not need.
  const simulator =
    controlToken === undefined
      ? bare
      : await import("./SimulatorControl.js").then(
          (module) => module.withControl(bare, { token: controlToken }),
          (cause: unknown) => {
            bare.dispose()
            throw cause
          }
        )
  const server = await NodeServer.serve(simulator.handler, {
    ...(port === undefined ? {} : { port }),
    ...(host === undefined ? {} : { host })
  }).catch((cause: unknown) => {
    simulator.dispose()
    throw cause
  })
  let closing: Promise<void> | undefined
  return {
    baseUrl: `${server.origin}/v1`,
    apiKey: simulator.control.apiKey,
    control: simulator.control,
    ...(controlToken === undefined ? {} : { controlUrl: `${server.origin}/_simulator` }),
    close: () => {
      closing ??= (async () => {
        simulator.dispose()
        await server.close()
      })()
      return closing
    }
  }
}
