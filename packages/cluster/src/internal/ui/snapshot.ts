/**
 * A read's rows (`read.ts`) as the page shows them: per knowledge base its waits by outcome and by the runner that
 * ended them, the runner that holds its shard, its nearest deadlines, latest ends and rounds; the runners with the
 * shards they hold; the cluster's latest rounds and ends. Pure: the server's clock and the rows in, the views out.
 */
import { runnerOfApplication, SHARDS, shardOf, shardOfLock, shardOfLockRow } from "./owners.js"
import {
  type EndedWaitView,
  type KnowledgeBaseView,
  LIST_LIMIT,
  type Outcome,
  type PendingWaitView,
  RECENT_LIMIT,
  type RoundView,
  type RunnerView,
  type Snapshot
} from "./protocol.js"
import type { CountRow, EndedRow, LockRow, PendingRow, RoundRow, Rows } from "./read.js"

const num = (value: number | string | null): number | null => (value === null ? null : Number(value))

const OUTCOME_OF_TAG: Readonly<Record<string, Outcome>> = {
  IngestionJobFailed: "failed",
  WaitTimeout: "timed_out"
}

export const endedView = (row: EndedRow): EndedWaitView => {
  const completed = row.side === "Right"
  const documentsFailed = Number(row.documents_failed ?? 0)
  return {
    knowledgeBaseId: row.kb,
    jobId: row.job_id,
    outcome: completed ? "completed" : (OUTCOME_OF_TAG[row.tag ?? ""] ?? "error"),
    tag: completed ? "Completed" : (row.tag ?? "Unknown"),
    message: completed
      ? documentsFailed > 0
        ? `${documentsFailed} document${documentsFailed === 1 ? "" : "s"} failed`
        : null
      : row.message,
    endedAt: num(row.ended_at),
    endedBy: row.ended_by
  }
}

const roundView = (row: RoundRow): RoundView => ({
  seq: Number(row.seq),
  knowledgeBaseId: row.knowledge_base_id,
  runner: row.runner,
  at: Number(row.at),
  mode: row.mode === "sweep" ? "sweep" : "get",
  requests: row.requests,
  retries: row.retries,
  watchedJobs: row.watched_jobs,
  endedWaits: row.ended_waits
})

const pendingView = (row: PendingRow): PendingWaitView => ({
  jobId: row.job_id,
  registeredAt: num(row.registered_at),
  deadlineAt: Number(row.deadline_at),
  lastStatus: row.last_status
})

/** Shard → the runner that holds it: an advisory lock's session named by a runner, or a `cluster_locks` row. */
export const ownersOf = (locks: ReadonlyArray<LockRow>): ReadonlyMap<number, string> => {
  const owners = new Map<number, string>()
  for (const lock of locks) {
    const shard = lock.objid !== null ? shardOfLock(Number(lock.objid)) : shardOfLockRow(lock.shard_id ?? "")
    const runner = lock.objid !== null ? runnerOfApplication(lock.holder) : (lock.holder ?? undefined)
    if (shard !== undefined && runner !== undefined) owners.set(shard, runner)
  }
  return owners
}

const groupBy = <A>(rows: ReadonlyArray<A>, key: (row: A) => string): Map<string, Array<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const row of rows) {
    const group = groups.get(key(row))
    if (group === undefined) groups.set(key(row), [row])
    else group.push(row)
  }
  return groups
}

interface Lists {
  readonly pending: Map<string, Array<PendingRow>>
  readonly ended: Map<string, Array<EndedRow>>
  readonly rounds: Map<string, Array<RoundView>>
}

const knowledgeBaseView = (
  id: string,
  counts: ReadonlyArray<CountRow>,
  owners: ReadonlyMap<number, string>,
  lists: Lists
): KnowledgeBaseView => {
  const ended: Record<Outcome, number> = { completed: 0, failed: 0, timed_out: 0, error: 0 }
  const endedBy: Array<{ runner: string; count: number }> = []
  let pending = 0
  let nextDeadlineAt: number | null = null
  for (const row of counts) {
    pending += Number(row.pending)
    const byRunner = Number(row.completed) + Number(row.failed) + Number(row.timed_out) + Number(row.errored)
    ended.completed += Number(row.completed)
    ended.failed += Number(row.failed)
    ended.timed_out += Number(row.timed_out)
    ended.error += Number(row.errored)
    if (byRunner > 0) endedBy.push({ runner: row.ended_by ?? "unknown", count: byRunner })
    const deadline = num(row.next_deadline)
    if (deadline !== null && (nextDeadlineAt === null || deadline < nextDeadlineAt)) nextDeadlineAt = deadline
  }
  const shard = shardOf(id)
  return {
    id,
    shard,
    owner: owners.get(shard) ?? null,
    pending,
    ended,
    endedBy: endedBy.sort((a, b) => b.count - a.count || a.runner.localeCompare(b.runner)),
    nextDeadlineAt,
    pendingWaits: (lists.pending.get(id) ?? []).map(pendingView),
    endedWaits: (lists.ended.get(id) ?? []).map(endedView),
    rounds: (lists.rounds.get(id) ?? []).slice(0, LIST_LIMIT)
  }
}

const runnersOf = (
  rows: Rows,
  owners: ReadonlyMap<number, string>,
  knowledgeBases: ReadonlyArray<KnowledgeBaseView>
): Array<RunnerView> => {
  const addresses = new Set([...rows.runners.map((row) => row.address), ...owners.values()])
  return [...addresses].sort().map((address) => {
    const registered = rows.runners.find((row) => row.address === address)
    return {
      address,
      healthy: registered?.healthy ?? null,
      heartbeatAgeMs: registered === undefined ? null : num(registered.age_ms),
      shards: [...owners.values()].filter((owner) => owner === address).length,
      knowledgeBases: knowledgeBases.filter((kb) => kb.owner === address).length,
      ended: knowledgeBases.reduce(
        (sum, kb) => sum + (kb.endedBy.find((by) => by.runner === address)?.count ?? 0),
        0
      )
    }
  })
}

/** The page's view of a read that started at `readAt` and took `readMs`. */
export const snapshotOf = (rows: Rows, readAt: number, readMs: number): Snapshot => {
  const owners = ownersOf(rows.locks)
  const rounds = rows.rounds.map(roundView)
  const lists: Lists = {
    pending: groupBy(rows.pending, (row) => row.kb),
    ended: groupBy(rows.ended, (row) => row.kb),
    rounds: groupBy(rounds, (round) => round.knowledgeBaseId)
  }
  const counts = groupBy(rows.counts, (row) => row.kb)
  const knowledgeBases = [...counts]
    .map(([id, ofKb]) => knowledgeBaseView(id, ofKb, owners, lists))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return {
    readAt,
    readMs,
    found: rows.found,
    shards: SHARDS,
    runners: runnersOf(rows, owners, knowledgeBases),
    knowledgeBases,
    rounds: rounds.slice(0, RECENT_LIMIT),
    endedWaits: rows.recentEnded.map(endedView)
  }
}
