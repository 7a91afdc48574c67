/**
 * What `tensoras-cluster wait` reads of its jobs' waits in PostgreSQL, whichever workflows registered them: per job,
 * the wait to follow and how many it had (which names the batch of its next one), and the waits of a batch it
 * follows for some of its jobs only.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it } from "@effect/vitest"
import { NotFound } from "@tensoras/ingestion/IngestionError"
import * as WaitError from "@tensoras/ingestion/WaitError"
import { WaitStore } from "@tensoras/ingestion-cluster"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as SqlClient from "effect/sql/SqlClient"
import { beforeAll, inject } from "vitest"
import { encode } from "../src/internal/outcome.js"
import { latestWaitsOfJobs, waitsOfKeys } from "../src/internal/waitRows.js"
import { createDatabase } from "./support/postgres.js"

let databaseUrl: string
beforeAll(async () => {
  databaseUrl = await createDatabase(inject("postgresUrl"), "wait_rows")
})

const live = () =>
  WaitStore.layer.pipe(
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 4 }))
  )

const notFound = encode(
  Result.fail(
    new NotFound({
      method: "GET",
      url: "http://127.0.0.1/v1/knowledge-bases/kb_rows/ingestion-jobs/job_b",
      status: 404,
      message: "Ingestion job 'job_b' not found"
    })
  )
)
const timedOut = encode(
  Result.fail(
    WaitError.timedOut({
      lastJob: null,
      elapsedMs: 1_000,
      observed: { responses: 1, retries: 0, statuses: {}, httpStatuses: {} }
    })
  )
)

describe("the waits a tensoras-cluster wait follows", () => {
  it.effect("per job: a wait that runs, else the one that ended last, and how many the job had", () =>
    Effect.gen(function* () {
      const store = yield* WaitStore.WaitStore
      const sql = yield* SqlClient.SqlClient
      const kb = "kb_rows"
      const register = (batchId: string, jobIds: ReadonlyArray<string>, deadlineAt: number) =>
        store.register({
          batchId,
          knowledgeBaseId: kb,
          token: batchId,
          waits: jobIds.map((jobId) => ({ jobId, deadlineAt }))
        })
      yield* register("b1", ["job_a", "job_b"], 1_000)
      yield* store.complete("r", [
        { batchId: "b1", jobId: "job_a", outcome: timedOut },
        { batchId: "b1", jobId: "job_b", outcome: notFound }
      ])
      // job_a waited on again after its timeout, in a batch with a job of its own; another knowledge base's wait
      // on a job of the same id is none of this one's.
      yield* register("b2", ["job_a", "job_c"], 9_000)
      yield* store.register({
        batchId: "b3",
        knowledgeBaseId: "kb_other",
        token: "b3",
        waits: [{ jobId: "job_b", deadlineAt: 9_000 }]
      })
      const latest = (jobIds: ReadonlyArray<string>) =>
        Effect.map(latestWaitsOfJobs(sql, kb, jobIds), (rows) =>
          rows.map((row) => [row.jobId, row.batchId, row.outcome === null ? "runs" : "ended", row.waits])
        )
      expect(yield* latest(["job_a", "job_b", "job_c", "job_d"])).toEqual([
        ["job_a", "b2", "runs", 2],
        ["job_b", "b1", "ended", 1],
        ["job_c", "b2", "runs", 1]
      ])
      // Once the second ends, it is the one that ended last.
      yield* store.complete("r", [{ batchId: "b2", jobId: "job_a", outcome: notFound }])
      expect(yield* latest(["job_a"])).toEqual([["job_a", "b2", "ended", 2]])

      // A caller that follows b2 for job_a only, and b1 for job_b, reads those waits, not the rest of b2.
      const followed = [
        { batchId: "b2", jobId: "job_a" },
        { batchId: "b1", jobId: "job_b" }
      ]
      const keys = (rows: ReadonlyArray<{ readonly batchId: string; readonly jobId: string }>) =>
        rows.map((row) => `${row.batchId}/${row.jobId}`).sort()
      expect(keys(yield* waitsOfKeys(sql, followed, true))).toEqual(["b1/job_b", "b2/job_a"])
      expect(keys(yield* waitsOfKeys(sql, [...followed, { batchId: "b2", jobId: "job_c" }], true))).toEqual([
        "b1/job_b",
        "b2/job_a"
      ])
      expect(keys(yield* waitsOfKeys(sql, [{ batchId: "b2", jobId: "job_c" }], false))).toEqual(["b2/job_c"])
      expect(yield* waitsOfKeys(sql, [], true)).toEqual([])
    }).pipe(Effect.provide(live()))
  )
})
