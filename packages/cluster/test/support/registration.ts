/**
 * How the failover scenario (`scenario.ts`) registers its waits, and who prints their outcomes:
 * - `commands`: a `tensoras-cluster wait --json` per knowledge base, for all of its jobs: the command registers them
 *   in batches (one workflow per 1,000 jobs) and prints each line as its outcome is stored;
 * - `workflows`: through the API, 100 per `WaitForIngestionJobs` workflow and some as a `WaitForIngestionJob`
 *   workflow each, then a `tensoras-cluster wait` per knowledge base of those single waits, which joins them.
 */

import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import {
  type IngestionCluster,
  WaitForIngestionJob,
  WaitForIngestionJobs,
  type WaitStore
} from "@tensoras/ingestion-cluster"
import { Eventually, type TestProcess } from "@tensoras/ingestion-testkit"
import * as Snowflake from "effect/cluster/Snowflake"
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import * as SqlClient from "effect/sql/SqlClient"
import { EVENTS } from "./eventLimit.js"
import { startWait } from "./processes.js"
import type { PlannedJob } from "./world.js"

export type Registration = "commands" | "workflows"

export interface Registered {
  /** From the first registration sent (`commands`: the commands spawned) to every wait in PostgreSQL. */
  readonly registerMs: number
  /**
   * `workflows`: until the single-wait workflows were all registered; `commands`: until the first workflow start was
   * sent (the commands' start-up: a Node process each).
   */
  readonly firstMs: number
  /** The cluster's part: from the first workflow start sent to every wait in PostgreSQL. */
  readonly clusterMs: number
  /** `commands`: per batch, from its workflow's start sent to its registration (its row's `created_at`). */
  readonly perBatchMs: ReadonlyArray<number>
  /** The `tensoras-cluster wait` commands, still running. */
  readonly callers: ReadonlyArray<TestProcess.Spawned>
  /** When each job's lines were printed (`knowledgeBaseId/jobId`): one time per line. */
  readonly printedAt: ReadonlyMap<string, ReadonlyArray<number>>
  /** The jobs the commands wait for (`knowledgeBaseId/jobId`). */
  readonly commanded: ReadonlyArray<string>
}

export interface RegisterOptions {
  readonly runtime: ManagedRuntime.ManagedRuntime<IngestionCluster.Services | WaitStore.WaitStore, unknown>
  readonly databaseUrl: string
  readonly folder: string
  readonly jobs: ReadonlyArray<PlannedJob>
  /** `workflows`: the waits registered as a workflow each (the last ones). */
  readonly singleWaits: number
  /** How many waits PostgreSQL holds now. */
  readonly registeredWaits: () => Promise<number>
}

const byKnowledgeBase = (jobs: ReadonlyArray<PlannedJob>): ReadonlyMap<string, ReadonlyArray<PlannedJob>> => {
  const groups = new Map<string, Array<PlannedJob>>()
  for (const job of jobs) {
    const group = groups.get(job.knowledgeBaseId)
    if (group === undefined) groups.set(job.knowledgeBaseId, [job])
    else group.push(job)
  }
  return groups
}

/** A `tensoras-cluster wait --json` for these jobs of one knowledge base, each line's time kept. */
const command = async (
  options: RegisterOptions,
  knowledgeBaseId: string,
  jobs: ReadonlyArray<PlannedJob>,
  printedAt: Map<string, Array<number>>
): Promise<TestProcess.Spawned> => {
  const file = join(options.folder, `${knowledgeBaseId}.txt`)
  await writeFile(file, jobs.map((job) => job.jobId).join("\n"))
  const caller = startWait([knowledgeBaseId, "--jobs-file", file, "--json", "--timeout", "30m"], {
    TENSORAS_DATABASE_URL: options.databaseUrl
  })
  caller.onLine((line) => {
    if (!line.startsWith("{")) return
    const key = `${knowledgeBaseId}/${(JSON.parse(line) as { job_id: string }).job_id}`
    printedAt.set(key, [...(printedAt.get(key) ?? []), Date.now()])
  })
  return caller
}

/** Batches (workflow executions) registered so far, and the waits of the smallest ones. */
const batchCounts = (options: RegisterOptions) =>
  options.runtime.runPromise(
    Effect.flatMap(
      SqlClient.SqlClient,
      (sql) => sql<{ batches: string; singles: string }>`SELECT count(*) AS batches,
        count(*) FILTER (WHERE (SELECT count(*) FROM tensoras_waits w WHERE w.batch_id = b.batch_id) = 1) AS singles
        FROM tensoras_wait_batches b`
    )
  )

/** The time in a message's snowflake id: when it was sent. */
const sentAt = (id: string): number => Snowflake.timestamp(Snowflake.Snowflake(id))

/**
 * Per `WaitForIngestionJobs` workflow: when its start was sent (the time in its message's snowflake id) and when its
 * batch was registered (the registration's transaction began).
 */
const batchTimes = (options: RegisterOptions) =>
  options.runtime.runPromise(
    Effect.flatMap(
      SqlClient.SqlClient,
      (sql) => sql<{ id: string; registered_ms: number | string | null }>`
        SELECT m.id::text AS id, extract(epoch from b.created_at) * 1000 AS registered_ms
        FROM cluster_messages m LEFT JOIN tensoras_wait_batches b ON b.batch_id = m.entity_id
        WHERE m.entity_type = ${`Workflow/${WaitForIngestionJobs.WaitForIngestionJobs._tag}`} AND m.tag = 'run'`
    )
  )

const byCommands = async (options: RegisterOptions): Promise<Registered> => {
  const printedAt = new Map<string, Array<number>>()
  const start = Date.now()
  const callers = await Promise.all(
    Array.from(byKnowledgeBase(options.jobs), ([kb, jobs]) => command(options, kb, jobs, printedAt))
  )
  await Eventually.until(
    "every wait registered",
    async () => (await options.registeredWaits()) === options.jobs.length,
    EVENTS
  )
  const end = Date.now()
  const times = await batchTimes(options)
  const sent = times.length === 0 ? start : Math.min(...times.map((row) => sentAt(row.id)))
  return {
    registerMs: end - start,
    firstMs: sent - start,
    clusterMs: end - sent,
    perBatchMs: times.flatMap((row) =>
      row.registered_ms === null ? [] : [Number(row.registered_ms) - sentAt(row.id)]
    ),
    callers,
    printedAt,
    commanded: options.jobs.map((job) => `${job.knowledgeBaseId}/${job.jobId}`)
  }
}

const byWorkflows = async (options: RegisterOptions): Promise<Registered> => {
  const { jobs } = options
  const singles = jobs.slice(jobs.length - options.singleWaits)
  const batches: Array<ReadonlyArray<PlannedJob>> = []
  for (const ofKb of byKnowledgeBase(jobs.slice(0, jobs.length - options.singleWaits)).values())
    for (let i = 0; i < ofKb.length; i += 100) batches.push(ofKb.slice(i, i + 100))
  const start = Date.now()
  await options.runtime.runPromise(
    Effect.all(
      [
        Effect.forEach(
          batches,
          (batch) =>
            WaitForIngestionJobs.WaitForIngestionJobs.execute(
              { knowledgeBaseId: batch[0]!.knowledgeBaseId, jobIds: batch.map((job) => job.jobId) },
              { discard: true }
            ),
          { concurrency: 4, discard: true }
        ),
        Effect.forEach(
          singles,
          (job) =>
            WaitForIngestionJob.WaitForIngestionJob.execute(
              { knowledgeBaseId: job.knowledgeBaseId, jobId: job.jobId },
              { discard: true }
            ),
          { concurrency: 16, discard: true }
        )
      ],
      { concurrency: 2, discard: true }
    )
  )
  let firstMs = 0
  await Eventually.until(
    "every wait registered",
    async () => {
      if (firstMs === 0 && Number((await batchCounts(options))[0]?.singles) >= singles.length) {
        firstMs = Date.now() - start
      }
      return (await options.registeredWaits()) === jobs.length
    },
    EVENTS
  )
  const registerMs = Date.now() - start
  // The callers: a `tensoras-cluster wait` per knowledge base of the single waits (it joins their workflows).
  const printedAt = new Map<string, Array<number>>()
  const callers = await Promise.all(
    Array.from(byKnowledgeBase(singles), ([kb, ofKb]) => command(options, kb, ofKb, printedAt))
  )
  return {
    registerMs,
    firstMs: firstMs === 0 ? registerMs : firstMs,
    clusterMs: registerMs,
    perBatchMs: [],
    callers,
    printedAt,
    commanded: singles.map((job) => `${job.knowledgeBaseId}/${job.jobId}`)
  }
}

/** Registers every wait the chosen way; resolves once PostgreSQL holds them all. */
export const register = (registration: Registration, options: RegisterOptions): Promise<Registered> =>
  registration === "commands" ? byCommands(options) : byWorkflows(options)
