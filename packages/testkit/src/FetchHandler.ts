/**
 * The simulator speaks the Fetch API (`Request` in, `Response` out), so the same handler serves from Node's
 * `node:http`, `Deno.serve` or a Service Worker. This module holds what a server adapter needs to know.
 *
 * @module
 */

/**
 * A Fetch-API request handler.
 *
 * @example
 * const { handler } = createSimulator({ scenario: "docs" })
 * const response = await handler(new Request("http://sim/v1/knowledge-bases/kb_abc123/ingestion-jobs", {
 *   headers: { authorization: "Bearer tns_your_key_here" }
 * }))
 */
export type FetchHandler = (request: Request) => Promise<Response>

const dropped = new WeakSet<Response>()

/**
 * A response that stands for "destroy the connection without answering". An adapter that can reach the
 * socket (see `serveNode`) checks {@link isDroppedConnection} and destroys it; anywhere else, the body is a
 * stream that errors at once, so the client still sees a network failure instead of a response.
 *
 * @example
 * const response = droppedConnection()
 * isDroppedConnection(response) // => true
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
 * const response = await handler(request)
 * if (isDroppedConnection(response)) socket.destroy()
 */
export const isDroppedConnection = (response: Response): boolean => dropped.has(response)
