/**
 * How the page words a job: its state as a symbol and words (never a colour alone), durations,
 * times and counts.
 */
import type { JobRow } from "../protocol.js"

/** A row's state as the page shows it: a symbol, words, and a class for its colour. */
export interface Shown {
  readonly symbol: string
  readonly text: string
  /** `ok`, `warn`, `bad`, `run` or `idle`: the colour, which the symbol and words repeat. */
  readonly tone: "ok" | "warn" | "bad" | "run" | "idle"
}

const leafOf = (row: JobRow, region: string): string | undefined => {
  const prefix = `ingestionJob.watching.${region}.`
  for (const state of row.states) if (state.startsWith(prefix)) return state.slice(prefix.length)
  return undefined
}

const WATCHER: Readonly<Record<string, Shown>> = {
  starting: { symbol: "…", text: "starting", tone: "idle" },
  polling: { symbol: "↻", text: "polling", tone: "run" },
  stalled: { symbol: "⋯", text: "stalled", tone: "warn" },
  retrying: { symbol: "↺", text: "retrying", tone: "warn" },
  rateLimited: { symbol: "⏸", text: "rate limited (429)", tone: "warn" }
}

/** The state of a row: how it ended, or what the job and the watcher are doing. */
export const shownState = (row: JobRow): Shown => {
  const ending = row.ending
  if (ending !== null) {
    switch (ending.tag) {
      case "Completed":
        return ending.attention
          ? { symbol: "⚠", text: "completed, some documents failed", tone: "warn" }
          : { symbol: "✓", text: "completed", tone: "ok" }
      case "Failed":
        return { symbol: "✗", text: "failed", tone: "bad" }
      case "TimedOut":
        return { symbol: "⏱", text: "gave up", tone: "bad" }
      case "Cancelled":
        return { symbol: "⊘", text: "cancelled", tone: "idle" }
      case "Errored":
        return { symbol: "!", text: "error", tone: "bad" }
    }
  }
  const job = leafOf(row, "job") ?? "unseen"
  const watcher = WATCHER[leafOf(row, "watcher") ?? "starting"] ?? WATCHER.starting!
  const jobText = job === "unrecognised" ? (row.status ?? job) : job
  return {
    symbol: watcher.symbol,
    text: job === "unseen" ? watcher.text : `${jobText} · ${watcher.text}`,
    tone: watcher.tone === "run" && job === "queued" ? "idle" : watcher.tone
  }
}

/** `1h 02m`, `3m 07s`, `12.4 s`. */
export const duration = (ms: number): string => {
  const seconds = Math.max(0, ms) / 1000
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${String(Math.floor(seconds % 60)).padStart(2, "0")}s`
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`
}

// One formatter each, made once: making one per call costs more than the rest of a row's update.
const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
const NUMBER = new Intl.NumberFormat("en-US")

/** A time of day, `14:03:27`, in the page's time zone. */
export const clock = (epochMs: number): string => TIME.format(epochMs)

/** `12 / 40 documents`, or what is known without the total. */
export const progressText = (row: JobRow): string => {
  if (row.documentsTotal !== null && row.documentsEnded !== null) {
    return `${row.documentsEnded} / ${row.documentsTotal} documents`
  }
  const ended = row.processed + row.failed
  return row.status === null ? "no answer yet" : `${ended} document${ended === 1 ? "" : "s"} ended`
}

/** `38 processed · 2 failed · 512 chunks`. */
export const countsText = (row: JobRow): string =>
  `${count(row.processed)} processed · ${count(row.failed)} failed · ${count(row.chunks)} chunks`

/** A whole number with thousands separators. */
export const count = (value: number): string => (value < 1000 ? String(value) : NUMBER.format(value))
