/**
 * Serves a Fetch-API handler (the simulator's, or any other) over Node's `node:http`. With
 * `NodeSimulator`, the only modules of the testkit tied to Node.
 *
 * @since 0.1.0
 */
import type { FetchHandler } from "./FetchHandler.js"
import * as internal from "./internal/nodeServer.js"

/**
 * Options of {@link serve}.
 *
 * @example
 * ```ts
 * import type { NodeServer } from "@tensoras/ingestion-testkit"
 *
 * const options: NodeServer.ServeOptions = { host: "127.0.0.1", port: 0 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ServeOptions {
  /** Default 0: a free port chosen by the OS. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * import { NodeServer } from "@tensoras/ingestion-testkit"
 *
 * const server: NodeServer.NodeServer = await NodeServer.serve(async () => new Response("ok"))
 * console.log(server.origin) // e.g. http://127.0.0.1:53124
 * await server.close()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface NodeServer {
  /** `http://host:port`, usable by a client (an unspecified listen address is shown as loopback). */
  readonly origin: string
  readonly port: number
  /** Stops listening, destroys every open connection (hanging requests included) and resolves once closed. */
  close(): Promise<void>
}

/**
 * Serves `handler` on a real HTTP server (default `127.0.0.1`, a free port). Each request gets an
 * `AbortSignal` that fires when the client disconnects; responses are streamed; a
 * `FetchHandler.droppedConnection()` response destroys the socket, and a body stream that errors
 * midway destroys it too (the client sees a cut connection). Request bodies are not forwarded: the
 * API has none.
 *
 * @example
 * ```ts
 * import { NodeServer, Simulator } from "@tensoras/ingestion-testkit"
 *
 * const simulator = Simulator.make({ scenario: "docs" })
 * const server = await NodeServer.serve(simulator.handler, { port: 0 })
 * const response = await fetch(`${server.origin}/v1/knowledge-bases/kb_abc123/ingestion-jobs`, {
 *   headers: { authorization: `Bearer ${simulator.control.apiKey}` }
 * })
 * await server.close()
 * simulator.dispose()
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const serve: (handler: FetchHandler, options?: ServeOptions) => Promise<NodeServer> = internal.serve

/**
 * A loopback port nothing listens on (one the system just gave, then closed): for tests of a client
 * that cannot reach its service.
 *
 * @example
 * ```ts
 * import { NodeServer } from "@tensoras/ingestion-testkit"
 *
 * const port = await NodeServer.closedPort()
 * const baseUrl = `http://127.0.0.1:${port}/v1` // every request is refused
 * ```
 * @category utils
 * @since 1.1.0
 */
export const closedPort: () => Promise<number> = internal.closedPort
