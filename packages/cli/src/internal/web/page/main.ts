/**
 * The page of `tensoras-ingest watch --web`: one server-sent event stream from the local server
 * (never a request to the API, and no key: the server holds it). Events are applied once per
 * animation frame, merged: however fast updates come, the page paints the latest, so it never
 * falls behind. A reconnection starts again from the server's `hello`.
 */
import type { JobRow, KnowledgeBaseStats, ServerEvent } from "../protocol.js"
import { basesView } from "./bases.js"
import { detailView } from "./detail.js"
import { type DiagramView, drawDiagram } from "./diagram.js"
import { byId, setText } from "./dom.js"
import { clock } from "./format.js"
import { type Filter, jobsView } from "./jobs.js"

const status = byId("status")
const shown = byId("shown")
const title = byId("title")
const jobs = jobsView(byId("jobs"), (key) => select(key, true))
const bases = basesView(byId("bases"))
let diagram: DiagramView | undefined
const detail = detailView(byId("detail"), (states) => diagram?.mark(states))

/** The server's clock minus the page's, from the last event. */
let offset = 0
const now = () => Date.now() + offset
let selected: number | undefined
const byKey = new Map<number, JobRow>()

const select = (key: number | undefined, focus = false) => {
  selected = key
  jobs.select(key)
  detail.show(key === undefined ? undefined : byKey.get(key), now())
  if (focus) detail.focus()
}

/** How many jobs each state holds: for the diagram's counts. */
const stateCounts = (): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const row of byKey.values()) {
    for (const state of row.states) counts.set(state, (counts.get(state) ?? 0) + 1)
  }
  return counts
}

// Events wait here until the next frame: rows by key (the latest wins) and the latest figures.
const pendingRows = new Map<number, JobRow>()
const pendingBases = new Map<string, KnowledgeBaseStats>()
let pendingAt = 0
let listing = false
let frame = 0
/** The command said `bye`: what the page shows is final. */
let stopped = false
const STOPPED = "■ the command has stopped: this page no longer updates"

const apply = () => {
  frame = 0
  const started = performance.now()
  const rows = [...pendingRows.values()]
  pendingRows.clear()
  for (const row of rows) byKey.set(row.key, row)
  jobs.upsert(rows, now())
  bases([...pendingBases.values()])
  pendingBases.clear()
  diagram?.counts(stateCounts())
  if (selected !== undefined && rows.some((row) => row.key === selected))
    detail.show(byKey.get(selected), now())
  if (selected === undefined && rows.length > 0) select(rows[0]?.key)
  setText(shown, `${jobs.shown()} of ${byKey.size} shown`)
  const running = [...byKey.values()].filter((row) => row.endedAt === null).length
  if (!stopped)
    setText(
      status,
      `● live · ${running === 0 && !listing ? "every wait has ended" : `${running} running`} · updated ${clock(pendingAt)}`
    )
  // When the page last painted what the server sent (its clock), and how long applying it took: what
  // a benchmark reads (bench/webPage.ts).
  document.body.dataset.updatedAt = String(pendingAt)
  performance.measure("tensoras:apply", { start: started })
}

const queue = (
  rows: ReadonlyArray<JobRow>,
  knowledgeBases: ReadonlyArray<KnowledgeBaseStats>,
  at: number
) => {
  for (const row of rows) pendingRows.set(row.key, row)
  for (const stats of knowledgeBases) pendingBases.set(stats.knowledgeBaseId, stats)
  pendingAt = at
  if (frame === 0) frame = requestAnimationFrame(apply)
}

const showTitle = (text: string) => {
  setText(title, `Watching ${text}`)
  const full = `${text} · tensoras-ingest watch`
  if (document.title !== full) document.title = full
}

const onEvent = (event: ServerEvent) => {
  switch (event.type) {
    case "hello": {
      offset = event.now - Date.now()
      showTitle(event.title)
      diagram ??= drawDiagram(byId<SVGSVGElement>("diagram"), event.diagram)
      listing = event.listing
      queue(event.jobs, event.knowledgeBases, event.now)
      return
    }
    case "update":
      offset = event.now - Date.now()
      showTitle(event.title)
      listing = event.listing
      queue(event.jobs, event.knowledgeBases, event.now)
      return
    case "bye":
      source.close()
      stopped = true
      setText(status, STOPPED)
      document.body.dataset.stopped = "true"
      return
  }
}

const source = new EventSource("events")
source.onmessage = (message) => onEvent(JSON.parse(message.data as string) as ServerEvent)
source.onerror = () => {
  if (stopped) return
  setText(status, source.readyState === EventSource.CLOSED ? STOPPED : "… reconnecting to the command")
}

const filterSelect = byId<HTMLSelectElement>("filter")
const search = byId<HTMLInputElement>("search")
const refilter = () => {
  jobs.filter(filterSelect.value as Filter, search.value)
  setText(shown, `${jobs.shown()} of ${byKey.size} shown`)
}
filterSelect.addEventListener("change", refilter)
search.addEventListener("input", refilter)

// Elapsed times of running jobs move on without any event.
setInterval(() => {
  if (document.visibilityState === "visible") jobs.tick(now())
}, 1000)
