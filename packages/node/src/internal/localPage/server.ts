/**
 * A local page's server, on 127.0.0.1 only: everything lives under an unguessable token
 * (`/<token>/`), so another user or a web page elsewhere cannot read it; a request naming another
 * host (DNS rebinding) is refused. It serves the page's three files, the event stream
 * (`events`: a `hello`, then an `update` each tick with what changed, and a `bye` when it stops)
 * and, for `tensoras-ingest watch --web`, an ended job's documents. It never sends a request
 * anywhere, and never a secret: it has none, only what its feed gives it.
 *
 * The server of the project's two pages, `tensoras-ingest watch --web` and `tensoras-cluster ui`,
 * here because both commands' packages depend on this one (and the cluster's runners should not
 * install the CLI's page, diagram layout and simulator to serve theirs). Exported as
 * `@tensoras/ingestion-node/internal/localPage/*` for those two packages: not an API, it changes
 * with the pages.
 */
import { randomBytes, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Assets } from "./assets.js"

/** An event of the stream: plain JSON with a `type` (`hello`, `update`, ...; `bye` is the server's). */
export interface StreamEvent {
  readonly type: string
}

/** What a page shows, kept by its command: everything for a new connection, then what changed. */
export interface Feed {
  /** The first event of every connection (and reconnection): everything, once. */
  readonly hello: (now: number) => StreamEvent
  /** What changed since the last call, or `undefined` when nothing did. */
  readonly takeUpdate: (now: number) => StreamEvent | undefined
  /** `GET <token>/documents/<key>`'s answer (the watch page's ended jobs), or `undefined` (404). */
  readonly documentsOf?: ((key: number) => unknown) | undefined
}

export interface WebServerOptions {
  readonly board: Feed
  readonly assets: Assets
  /** Default: a free port. */
  readonly port?: number | undefined
  /** How often changes are sent. Default 100 ms. */
  readonly tickMs?: number | undefined
  readonly now?: (() => number) | undefined
}

export interface WebServer {
  /** The page's address, token included: what the command prints. */
  readonly url: string
  readonly port: number
  /** Says `bye` to every page, ends their streams and stops listening. */
  readonly close: () => Promise<void>
}

const SECURITY_HEADERS = {
  // The page's own files and its own event stream, nothing else; no inline code.
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store"
} as const

/** An event in the stream's format: one `data:` line of JSON (which has no line break). */
const frame = (event: StreamEvent) => `data: ${JSON.stringify(event)}\n\n`

const sameToken = (given: string, token: string) => {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A stream that takes this long to drain is dropped: the page reconnects and starts again. */
const MAX_BUFFERED = 8 * 1024 * 1024
const KEEP_ALIVE_MS = 15_000

/** An event to a page; a stream that does not drain is dropped (the page reconnects, from `hello`). */
const send = (response: ServerResponse, event: StreamEvent) => {
  if (response.writableLength > MAX_BUFFERED) response.destroy()
  else response.write(frame(event))
}

const serveFile = (assets: Assets, request: IncomingMessage, response: ServerResponse, name: string) => {
  const asset = assets.get(name)
  if (asset === undefined) return void response.writeHead(404).end()
  const gzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""))
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": asset.type,
    vary: "accept-encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {})
  })
  response.end(request.method === "HEAD" ? undefined : gzip ? asset.gzipped : asset.body)
}

/** What a request of the page's server needs: the board, the files, the token, the open streams. */
interface Site {
  readonly board: Feed
  readonly assets: Assets
  readonly token: string
  readonly streams: Set<ServerResponse>
  readonly now: () => number
  /** The port, once listening: the only `Host` answered. */
  port: number
}

const openStream = (site: Site, response: ServerResponse) => {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": "text/event-stream; charset=utf-8",
    connection: "keep-alive"
  })
  response.write("retry: 1000\n\n")
  send(response, site.board.hello(site.now()))
  site.streams.add(response)
  response.on("close", () => site.streams.delete(response))
}

const route = (site: Site, request: IncomingMessage, response: ServerResponse) => {
  const host = request.headers.host
  if (host !== `127.0.0.1:${site.port}` && host !== `localhost:${site.port}`)
    return void response.writeHead(421).end()
  if (request.method !== "GET" && request.method !== "HEAD") return void response.writeHead(405).end()
  const [, given = "", ...rest] = new URL(request.url ?? "/", "http://127.0.0.1").pathname.split("/")
  if (!sameToken(given, site.token)) return void response.writeHead(404).end()
  const path = rest.join("/")
  if (request.url === `/${site.token}`)
    return void response.writeHead(308, { location: `/${site.token}/` }).end()
  if (path === "" || path === "index.html") return serveFile(site.assets, request, response, "index.html")
  if (path === "page.js" || path === "page.css") return serveFile(site.assets, request, response, path)
  if (path === "events") return openStream(site, response)
  const documents = /^documents\/(\d+)$/.exec(path)
  const answer = documents === null ? undefined : site.board.documentsOf?.(Number(documents[1]))
  if (answer === undefined) return void response.writeHead(404, SECURITY_HEADERS).end()
  response.writeHead(200, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8" })
  response.end(JSON.stringify(answer))
}

const listen = (server: Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

export const startWebServer = async (options: WebServerOptions): Promise<WebServer> => {
  const site: Site = {
    board: options.board,
    assets: options.assets,
    token: randomBytes(24).toString("base64url"),
    streams: new Set(),
    now: options.now ?? Date.now,
    port: 0
  }
  const server = createServer((request, response) => route(site, request, response))
  site.port = await listen(server, options.port ?? 0)
  const tick = setInterval(() => {
    const update = site.board.takeUpdate(site.now())
    if (update !== undefined) for (const response of site.streams) send(response, update)
  }, options.tickMs ?? 100)
  const keepAlive = setInterval(() => {
    for (const response of site.streams) response.write(": keep-alive\n\n")
  }, KEEP_ALIVE_MS)

  return {
    url: `http://127.0.0.1:${site.port}/${site.token}/`,
    port: site.port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(tick)
        clearInterval(keepAlive)
        const last = site.board.takeUpdate(site.now())
        for (const response of site.streams) {
          if (last !== undefined) send(response, last)
          response.end(frame({ type: "bye" }))
        }
        server.close(() => resolve())
        // The ended streams' connections close once their last bytes are out; a page that does not
        // read them has a moment, then its connection is cut.
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), 500).unref()
      })
  }
}
