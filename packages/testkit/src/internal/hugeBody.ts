/**
 * The `huge-body` fault: the answer (the API's, or the error of `status`) with a `padding` array of
 * strings in front of its fields, up to `bytes` in all (4 GiB by default), streamed chunk by chunk as
 * the connection takes them: nothing holds more than one chunk, however large the body. A client
 * that reads the whole body decodes the answer (the schemas ignore a field they do not know); one
 * that stops reading shows up in the request log, `outcome: "aborted"` with the `bodyBytes` sent.
 */
import type { Fault } from "../Fault.js"
import type { Exchange } from "./exchange.js"
import { sleepReal } from "./faultAnswers.js"

type HugeBody = Extract<Fault, { readonly kind: "huge-body" }>

/** The default size: 4 GiB, what no client should ever read whole. */
export const DEFAULT_HUGE_BODY_BYTES = 4 * 1024 ** 3

/** The default chunk: 64 KiB, `node:http`'s own write size. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024

/** One padding entry, `"xx…x",`: every entry but the last has this length. */
const UNIT = 64

const encoder = new TextEncoder()

/** `count` entries of {@link UNIT} bytes, the chunk every padding chunk is (a part of). */
const unitBlock = (count: number): Uint8Array => encoder.encode(`"${"x".repeat(UNIT - 3)}",`.repeat(count))

/** The chunks of the body, made one at a time: the head, the padding, then the last entry and the answer. */
function* chunks(answer: unknown, bytes: number, chunkBytes: number): Generator<Uint8Array> {
  const json = JSON.stringify(answer)
  const head = encoder.encode(`{"padding":[`)
  const tail = encoder.encode(`]${json === "{}" ? "}" : `,${json.slice(1)}`}`)
  yield head
  // The padding: entries of UNIT bytes, then one string that makes up the exact size (an empty one, `""`,
  // at least: an array of one entry either way).
  const room = Math.max(2, bytes - head.length - tail.length)
  let units = Math.floor((room - 2) / UNIT)
  const perChunk = Math.max(1, Math.floor(chunkBytes / UNIT))
  const block = unitBlock(Math.min(perChunk, units))
  while (units > 0) {
    const count = Math.min(perChunk, units)
    yield count * UNIT === block.length ? block : block.subarray(0, count * UNIT)
    units -= count
  }
  const last = room - 2 - Math.floor((room - 2) / UNIT) * UNIT
  yield encoder.encode(`"${"x".repeat(last)}"`)
  yield tail
}

/** The exact size of the body {@link chunks} makes. */
const sizeOf = (answer: unknown, bytes: number): number => {
  const json = JSON.stringify(answer)
  const fixed = `{"padding":[`.length + encoder.encode(`]${json === "{}" ? "}" : `,${json.slice(1)}`}`).length
  return fixed + Math.max(2, bytes - fixed)
}

/** The `Content-Length` the fault sends: none, the true one, or the number it was given (a lie, maybe). */
const declaredLength = (fault: HugeBody, size: number): Record<string, string> =>
  fault.contentLength === undefined || fault.contentLength === false
    ? {}
    : { "content-length": String(fault.contentLength === true ? size : fault.contentLength) }

/**
 * The `huge-body` answer to a request: `answer` padded to the fault's size, streamed until its end or
 * until the client goes away (`signal`, or the body cancelled), each chunk counted in the request's
 * `bodyBytes`. A `ReadableStream` of high-water mark 0: a chunk is made when the connection asks for it.
 *
 * @example
 * return hugeBody(exchange, { kind: "huge-body", bytes: 1024 ** 3 }, job, signal)
 */
export const hugeBody = (
  exchange: Exchange,
  fault: HugeBody,
  answer: unknown,
  signal: AbortSignal
): Response => {
  const bytes = fault.bytes ?? DEFAULT_HUGE_BODY_BYTES
  const intervalMs = fault.intervalMs ?? 0
  const source = chunks(answer, bytes, fault.chunkBytes ?? DEFAULT_CHUNK_BYTES)
  let sent = 0
  let ended = false
  const abandoned = () => {
    if (ended) return
    ended = true
    exchange.finish({ outcome: "aborted" })
  }
  const body = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        if (sent > 0 && intervalMs > 0) await sleepReal(intervalMs, signal)
        if (signal.aborted) {
          abandoned()
          return controller.error(signal.reason)
        }
        const next = source.next()
        if (next.done === true) {
          ended = true
          return controller.close()
        }
        sent += next.value.length
        exchange.finish({ bodyBytes: sent })
        controller.enqueue(next.value)
      },
      cancel: abandoned
    },
    { highWaterMark: 0 }
  )
  signal.addEventListener("abort", abandoned, { once: true })
  const status = fault.status ?? 200
  return exchange.respond(
    new Response(body, {
      status,
      headers: {
        ...exchange.headers(),
        "content-type": "application/json",
        ...declaredLength(fault, sizeOf(answer, bytes))
      }
    })
  )
}
