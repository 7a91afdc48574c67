/**
 * How the page words what it shows: each outcome and state as a symbol and words (never a colour alone), with a
 * tone for its colour; times and ages. Numbers and clock times are the watch page's (`format.ts`, shared).
 */
import { clock, count, duration } from "@tensoras/ingestion-cli/internal/web/page/format"
import type { KnowledgeBaseView, Outcome, RunnerView } from "../protocol.js"

export { clock, count, duration }

export type Tone = "ok" | "warn" | "bad" | "run" | "idle"

export interface Shown {
  readonly symbol: string
  readonly text: string
  readonly tone: Tone
}

export const OUTCOMES: Readonly<Record<Outcome, Shown>> = {
  completed: { symbol: "✓", text: "completed", tone: "ok" },
  failed: { symbol: "✗", text: "failed", tone: "bad" },
  // ◷, not ⏱: the fonts a Linux machine has draw it.
  timed_out: { symbol: "◷", text: "timed out", tone: "warn" },
  error: { symbol: "!", text: "error", tone: "bad" }
}

export const shownText = (shown: Shown): string => `${shown.symbol} ${shown.text}`

/** `✓ 12 completed · ✗ 1 failed`: the outcomes that happened, or `none`. */
export const endedText = (kb: KnowledgeBaseView): string => {
  const parts = (Object.keys(OUTCOMES) as Array<Outcome>)
    .filter((outcome) => kb.ended[outcome] > 0)
    .map((outcome) => `${OUTCOMES[outcome].symbol} ${count(kb.ended[outcome])} ${OUTCOMES[outcome].text}`)
  return parts.length === 0 ? "none yet" : parts.join(" · ")
}

/** Waits that did not complete: what needs a look. */
export const notCompleted = (kb: KnowledgeBaseView): number =>
  kb.ended.failed + kb.ended.timed_out + kb.ended.error

/** Who holds the knowledge base: its runner, or a warning when its waits have none. */
export const ownerShown = (kb: KnowledgeBaseView): Shown =>
  kb.owner !== null
    ? { symbol: "▣", text: kb.owner, tone: "run" }
    : kb.pending > 0
      ? { symbol: "⚠", text: "no runner holds it", tone: "warn" }
      : { symbol: "–", text: "no runner holds it", tone: "idle" }

/** A knowledge base needs attention: waits with no runner to poll them, or waits that did not complete. */
export const needsAttention = (kb: KnowledgeBaseView): boolean =>
  (kb.pending > 0 && kb.owner === null) || notCompleted(kb) > 0

/** A runner as the cluster sees it: registered and refreshing, marked unhealthy, gone quiet, or unregistered. */
export const runnerShown = (runner: RunnerView): Shown => {
  if (runner.heartbeatAgeMs === null) return { symbol: "?", text: "not registered", tone: "warn" }
  const age = `heartbeat ${duration(runner.heartbeatAgeMs)} ago`
  // effect/cluster's default lock expiration: a runner quiet this long is taken for dead.
  if (runner.heartbeatAgeMs > 35_000) return { symbol: "✗", text: `silent: ${age}`, tone: "bad" }
  if (runner.healthy === false) return { symbol: "⚠", text: `marked unhealthy · ${age}`, tone: "warn" }
  return { symbol: "●", text: `alive · ${age}`, tone: "ok" }
}

/** `14:03:27 (in 4m 10s)` or `(4m 10s ago)`. */
export const when = (at: number | null, now: number): string => {
  if (at === null) return "–"
  const delta = at - now
  return `${clock(at)} (${delta >= 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`})`
}
