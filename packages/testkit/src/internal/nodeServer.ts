/**
 * The Node server's implementation: each `node:http` request becomes a Fetch `Request` with an
 * `AbortSignal` that fires when the client goes away, and each `Response` is streamed back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net"
import { type FetchHandler, isDroppedConnection } from "../FetchHandler.js"
import type { NodeServer, ServeOptions } from "../NodeServer.js"

const displayHost = (address: AddressInfo): string => {
  if (address.address === "0.0.0.0") return "127.0.0.1"
  if (address.address === "::") return "[::1]"
  return address.family === "IPv6" ? `[${address.address}]` : address.address
}

const errorJson = (code: string, message: string): string =>
  JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code } })

const waitForDrain = (res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      res.off("drain", done)
      res.off("close", done)
      resolve()
    }
    res.on("drain", done)
    res.on("close", done)
  })

/** The Fetch `Request` for a `node:http` request; throws for a target that is not a path. */
const toRequest = (req: IncomingMessage, origin: string, signal: AbortSignal): Request => {
  const target = req.url ?? "/"
  if (!target.startsWith("/")) throw new TypeError(`Unsupported request target '${target}'`)
  const headers = new Headers()
  for (let index = 0; index + 1 < req.rawHeaders.length; index += 2) {
    headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!)
  }
  return new Request(`${origin}${target}`, { method: req.method ?? "GET", headers, signal })
}

/** Writes `response` to `res`, streaming its body; stops when the client has gone (`signal`). */
const writeResponse = async (
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  signal: AbortSignal
): Promise<void> => {
  const headers: Record<string, string | Array<string>> = {}
  response.headers.forEach((value, key) => {
    headers[key] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers["set-cookie"] = cookies
  res.writeHead(response.status, headers)
  if (response.body === null) {
    res.end()
    return
  }
  const reader = response.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (signal.aborted) {
        await reader.cancel()
        return
      }
      if (!res.write(value)) await waitForDrain(res)
    }
    res.end()
  } catch {
    req.socket.destroy()
  }
}

/** Answers one `node:http` request through `handler`: a 400 if it is no Fetch request, a 500 if it throws. */
const respond = async (
  handler: FetchHandler,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> => {
  const controller = new AbortController()
  res.once("close", () => {
    if (!res.writableFinished) controller.abort()
  })
  // A client that vanished mid-write must not crash the server.
  res.on("error", () => {})

  let request: Request
  try {
    request = toRequest(req, origin, controller.signal)
  } catch (cause) {
    res.writeHead(400, { "content-type": "application/json" })
    res.end(errorJson("bad_request", `Malformed request: ${String(cause)}`))
    return
  }

  let response: Response
  try {
    response = await handler(request)
  } catch (cause) {
    console.error("tensoras simulator: handler failed", cause)
    if (!controller.signal.aborted && !res.headersSent) {
      res.writeHead(500, { "content-type": "application/json" })
      res.end(errorJson("simulator_error", "The simulator's handler threw."))
    }
    return
  }

  if (controller.signal.aborted) return
  if (isDroppedConnection(response)) {
    req.socket.destroy()
    return
  }
  await writeResponse(req, res, response, controller.signal)
}

const listen = (server: Server, options: ServeOptions): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })

/** Serves a Fetch handler on `node:http` (see `NodeServer.serve`). */
export const serve = async (handler: FetchHandler, options: ServeOptions = {}): Promise<NodeServer> => {
  const sockets = new Set<Socket>()
  let origin = ""

  const server = createServer((req, res) => {
    void respond(handler, origin, req, res)
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  })

  await listen(server, options)
  const address = server.address() as AddressInfo
  origin = `http://${displayHost(address)}:${address.port}`

  let closing: Promise<void> | undefined
  return {
    origin,
    port: address.port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        for (const socket of sockets) socket.destroy()
      })
      return closing
    }
  }
}

/** A loopback port nothing listens on: one the system just gave, then closed. */
export const closedPort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const server = createNetServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })
