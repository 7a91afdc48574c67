/**
 * What the tabs of one knowledge base say to each other on its channel: plain, structured-cloneable
 * data. An event's or an end's error crosses tabs encoded (`IngestionError`'s Schema).
 */
import { IngestionError } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import { TerminalClientError } from "@tensoras/ingestion/WaitError"
import * as Schema from "effect/Schema"

type EncodedError = typeof IngestionError.Encoded
export const encodeError = Schema.encodeSync(IngestionError)
export const decodeError = Schema.decodeUnknownSync(IngestionError)
/** A wait's end crosses tabs as one of the errors a wait ends with (never a transient one). */
export const decodeEndError = Schema.decodeUnknownSync(TerminalClientError)

/** An event as it crosses tabs. */
export type RelayedEvent =
  | WaitEngine.Polled
  | (Omit<WaitEngine.Retrying, "error"> & { readonly error: EncodedError })

export type Join = {
  readonly kind: "join"
  readonly from: string
  readonly wait: string
  readonly jobId: string
  readonly deadline: number
  readonly pollIntervalMs: number | undefined
}

export type Message =
  /** The sender holds the knowledge base's lock now: every other tab (re)sends its waits. */
  | { readonly kind: "leader"; readonly from: string }
  /** A wait of a following tab, for the leader to poll. */
  | Join
  | { readonly kind: "leave"; readonly from: string; readonly wait: string }
  /** From the leader to the tab of one wait. */
  | { readonly kind: "event"; readonly to: string; readonly wait: string; readonly event: RelayedEvent }
  | {
      readonly kind: "done"
      readonly to: string
      readonly wait: string
      readonly job: IngestionJob.IngestionJobDetail
    }
  | { readonly kind: "failed"; readonly to: string; readonly wait: string; readonly error: EncodedError }

export const encodeEvent = (event: WaitEngine.WaitEvent): RelayedEvent =>
  event._tag === "Polled" ? event : { ...event, error: encodeError(event.error) }

export const decodeEvent = (event: RelayedEvent): WaitEngine.WaitEvent =>
  event._tag === "Polled"
    ? event
    : { ...event, error: decodeError(event.error) as WaitEngine.Retrying["error"] }
