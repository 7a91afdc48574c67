/**
 * The simulator speaks the Fetch API (`Request` in, `Response` out), so the same handler serves from Node's
 * `node:http`, `Deno.serve` or a Service Worker. This module holds what a server adapter needs to know.
 *
 * @since 0.1.0
 */

/**
 * A Fetch-API request handler.
 *
 * @example
 * ```ts
 * import { type FetchHandler, Simulator } from "@tensoras/ingestion-testkit"
 *
 * const simulator = Simulator.make({ scenario: "docs" })
 * const handler: FetchHandler.FetchHandler = simulator.handler
 * const response = await handler(
 *   new Request("http://sim/v1/knowledge-bases/kb_abc123/ingestion-jobs", {
 *     headers: { authorization: "Bearer tns_your_key_here" }
 *   })
 * )
 * simulator.dispose()
 * ```
 * @category models
 * @since 0.1.0
 */
export type FetchHandler = (request: Request) => Promise<Response>

const dropped = new WeakSet<Response>()

/**
 * A response that stands for "destroy the connection without answering". An adapter that can reach the
 * socket (see `NodeServer.serve`) checks {@link isDroppedConnection} and destroys it; anywhere else, the
 * body is a stream that errors at once, so the client still sees a network failure instead of a response.
 *
 * @example
 * ```ts
 * import { FetchHandler } from "@tensoras/ingestion-testkit"
 *
 * const response = FetchHandler.droppedConnection()
 * FetchHandler.isDroppedConnection(response) // true
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const droppedConnection = (): Response => {
  const response = new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new TypeError("Connection dropped by the simulator"))
      }
    }),
    { status: 500 }
  )
  dropped.add(response)
  return response
}

/**
 * Whether a handler's response means "drop the connection" (see {@link droppedConnection}).
 *
 * @example
 * ```ts
 * import { FetchHandler, Simulator } from "@tensoras/ingestion-testkit"
 * import type { Socket } from "node:net"
 *
 * declare const socket: Socket
 * const simulator = Simulator.make({ scenario: "docs" })
 * const response = await simulator.handler(new Request("http://sim/v1/knowledge-bases/kb_abc123/ingestion-jobs"))
 * if (FetchHandler.isDroppedConnection(response)) socket.destroy()
 * simulator.dispose()
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const isDroppedConnection = (response: Response): boolean => dropped.has(response)
