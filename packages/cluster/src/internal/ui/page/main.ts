/**
 * The page of `tensoras-cluster ui`: one server-sent event stream from the local server (never a request to
 * PostgreSQL, and no database password: the server holds the connection). Events are applied once per animation
 * frame, merged: the page paints the latest. A reconnection starts again from the server's `hello`.
 */
import { byId, setText } from "@tensoras/ingestion-cli/internal/web/page/dom"
import type { KnowledgeBaseView, ServerEvent, Snapshot, Update } from "../protocol.js"
import { detailView } from "./detail.js"
import { type Filter, knowledgeBasesView } from "./kbs.js"
import { drawRunners, endedTable, roundsTable } from "./lists.js"
import { clock, count } from "./words.js"

const status = byId("status")
// Apart from the status (a live region): a screen reader hears when the state changes, not every read.
const readLine = byId("read")
const notice = byId("notice")
const shown = byId("shown")
const kbs = knowledgeBasesView(byId("kbs"), (id) => select(id, true))
const detail = detailView(byId("detail"))

/** The server's clock minus the page's, from the last event. */
let offset = 0
const now = () => Date.now() + offset
let selected: string | undefined
let database = "PostgreSQL"
let intervalMs = 1000
let readAt = 0
let readMs = 0
let error: string | null = null
let found: Snapshot["found"] = { store: true, rounds: true, cluster: true }
let shards = 300
let stopped = false
const STOPPED = "■ the command has stopped: this page no longer updates"

const select = (id: string | undefined, focus = false) => {
  selected = id
  kbs.select(id)
  detail.show(id === undefined ? undefined : kbs.get(id), now())
  if (focus) detail.focus()
}

// Events wait here until the next frame; the latest of each part wins.
let pending: Partial<Update> = {}
const pendingKbs = new Map<string, KnowledgeBaseView>()
let frame = 0

const missing = (): string | null => {
  if (!found.store) return "No waits store in this database yet: a runner creates its tables when it starts."
  if (!found.cluster) return "No runner has joined this cluster yet (no cluster_runners table)."
  if (!found.rounds)
    return "Rounds are not recorded here: this cluster's runners are older than the page (upgrade them)."
  return null
}

const showStatus = () => {
  const title = `${database} · tensoras-cluster ui`
  if (document.title !== title) document.title = title
  if (stopped) return setText(status, STOPPED)
  setText(
    status,
    `${error === null ? "● live" : "⚠ cannot read PostgreSQL"} · ${database} · read every ${intervalMs / 1000} s`
  )
  setText(readLine, readAt === 0 ? "· no read yet" : `· last read ${clock(readAt)}, ${readMs} ms`)
  const message = error ?? missing()
  setText(notice, message ?? "")
  notice.hidden = message === null
  notice.dataset.tone = error === null ? "warn" : "bad"
}

const apply = () => {
  frame = 0
  const part = pending
  pending = {}
  const changed = [...pendingKbs.values()]
  pendingKbs.clear()
  if (part.removed !== undefined) kbs.remove(part.removed)
  kbs.upsert(changed)
  if (part.runners !== undefined) drawRunners(byId("runners"), part.runners, shards)
  if (part.rounds !== undefined) byId("rounds").replaceChildren(roundsTable(part.rounds, true, "rounds"))
  if (part.endedWaits !== undefined)
    byId("ended").replaceChildren(endedTable(part.endedWaits, now(), true, "ended"))
  if (selected === undefined || kbs.get(selected) === undefined) select(kbs.first())
  else if (changed.some((kb) => kb.id === selected)) detail.show(kbs.get(selected), now())
  setText(shown, `${count(kbs.shown())} of ${count(kbs.size())} shown`)
  showStatus()
}

const queue = (update: Partial<Update>) => {
  for (const kb of update.knowledgeBases ?? []) pendingKbs.set(kb.id, kb)
  for (const id of update.removed ?? []) pendingKbs.delete(id)
  const removed = [...(pending.removed ?? []), ...(update.removed ?? [])]
  pending = { ...pending, ...update, knowledgeBases: [], removed }
  if (frame === 0) frame = requestAnimationFrame(apply)
}

const onEvent = (event: ServerEvent) => {
  switch (event.type) {
    case "hello": {
      offset = event.now - Date.now()
      database = event.database
      intervalMs = event.intervalMs
      error = event.error
      const snapshot = event.snapshot
      if (snapshot !== null) {
        ;({ readAt, readMs, found, shards } = snapshot)
        // A reconnection: what the server no longer has goes.
        const ids = new Set(snapshot.knowledgeBases.map((kb) => kb.id))
        queue({ ...snapshot, removed: kbs.ids().filter((id) => !ids.has(id)) })
      } else showStatus()
      return
    }
    case "update":
      offset = event.now - Date.now()
      ;({ readAt, readMs, error } = event)
      if (event.found !== undefined) found = event.found
      queue(event)
      return
    case "bye":
      source.close()
      stopped = true
      showStatus()
      return
  }
}

const source = new EventSource("events")
source.onmessage = (message) => onEvent(JSON.parse(message.data as string) as ServerEvent)
source.onerror = () => {
  if (!stopped)
    setText(status, source.readyState === EventSource.CLOSED ? STOPPED : "… reconnecting to the command")
}

const filterSelect = byId<HTMLSelectElement>("filter")
const search = byId<HTMLInputElement>("search")
const refilter = () => {
  kbs.filter(filterSelect.value as Filter, search.value)
  setText(shown, `${count(kbs.shown())} of ${count(kbs.size())} shown`)
}
filterSelect.addEventListener("change", refilter)
search.addEventListener("input", refilter)
