import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it } from "@effect/vitest"
import { NotFound } from "@tensoras/ingestion/IngestionError"
import { IngestionJobFailed, WaitTimeout } from "@tensoras/ingestion/WaitError"
import { WaitForIngestionJobs, WaitStore } from "@tensoras/ingestion-cluster"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import { beforeAll, inject } from "vitest"
import { decode as decodeOutcome, Outcome } from "../src/internal/outcome.js"
import { follow } from "../src/internal/outcomeFeed.js"
import { SCHEMA_VERSION } from "../src/internal/waitStore.js"
import { legacyBatch } from "./fixtures/legacy-0.1.js"
import { createDatabase } from "./support/postgres.js"

let databaseUrl: string
beforeAll(async () => {
  databaseUrl = await createDatabase(inject("postgresUrl"), "wait_store")
})

const live = () =>
  WaitStore.layer.pipe(
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 8 }))
  )

const store = WaitStore.WaitStore
let n = 0
/** A fresh knowledge base id per test: the tests share one database. */
const freshKb = () => `kb_store_${++n}`

const notFound = Schema.encodeSync(Outcome)(
  Result.fail(
    new NotFound({
      method: "GET",
      url: "http://127.0.0.1/v1/knowledge-bases/kb/ingestion-jobs/job_gone",
      status: 404,
      message: "Ingestion job 'job_gone' not found"
    })
  )
)

describe("WaitStore", () => {
  it.effect("registers a batch once, however often the registration is retried", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batch = {
        batchId: `${kb}-b1`,
        knowledgeBaseId: kb,
        token: "token-1",
        waits: [
          { jobId: "job_a", deadlineAt: 1_000 },
          { jobId: "job_b", deadlineAt: 1_000 }
        ]
      }
      yield* s.register(batch)
      // A retried activity registers again, with a later deadline: the first registration stands.
      yield* s.register({ ...batch, waits: batch.waits.map((wait) => ({ ...wait, deadlineAt: 9_000 })) })
      const pending = yield* s.pending(kb)
      expect(pending.map((wait) => [wait.jobId, wait.deadlineAt])).toEqual([
        ["job_a", 1_000],
        ["job_b", 1_000]
      ])
    }).pipe(Effect.provide(live()))
  )

  it.effect("records a wait's first outcome only, and closes its batch with one delivery row", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batchId = `${kb}-b1`
      yield* s.register({
        batchId,
        knowledgeBaseId: kb,
        token: "token-1",
        waits: [
          { jobId: "job_a", deadlineAt: 1_000 },
          { jobId: "job_b", deadlineAt: 1_000 }
        ]
      })
      const first = yield* s.complete("runner-1", [{ batchId, jobId: "job_a", outcome: notFound }])
      expect(first).toEqual([]) // job_b still waits
      const second = yield* s.complete("runner-1", [{ batchId, jobId: "job_b", outcome: notFound }])
      expect(second.map((batch) => [batch.batchId, batch.token, batch.outcomes.map((o) => o.jobId)])).toEqual(
        [[batchId, "token-1", ["job_a", "job_b"]]]
      )
      // Another runner reporting the same job again (a duplicate poll after failover) changes nothing.
      const again = yield* s.complete("runner-2", [{ batchId, jobId: "job_b", outcome: notFound }])
      expect(again).toEqual([])
      const sql = yield* SqlClient.SqlClient
      const log = yield* sql<{
        runner: string
      }>`SELECT runner FROM tensoras_wait_deliveries WHERE batch_id = ${batchId}`
      expect(log).toEqual([{ runner: "runner-1" }])
    }).pipe(Effect.provide(live()))
  )

  it.effect("closes a batch once when many completions race for it", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batchId = `${kb}-b1`
      const jobIds = Array.from({ length: 40 }, (_, i) => `job_${i}`)
      yield* s.register({
        batchId,
        knowledgeBaseId: kb,
        token: "t",
        waits: jobIds.map((jobId) => ({ jobId, deadlineAt: 1 }))
      })
      // Every job reported twice, by two "runners", all at once.
      const closed = yield* Effect.forEach(
        [...jobIds, ...jobIds],
        (jobId, i) => s.complete(`runner-${i % 2}`, [{ batchId, jobId, outcome: notFound }]),
        { concurrency: "unbounded" }
      )
      expect(closed.flat().map((batch) => batch.batchId)).toEqual([batchId])
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{
        n: string
      }>`SELECT count(*) AS n FROM tensoras_wait_deliveries WHERE batch_id = ${batchId}`
      expect(Number(row?.n)).toBe(1)
    }).pipe(Effect.provide(live()))
  )

  it.effect("hands back batches that were closed but not acknowledged, until they are", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batchId = `${kb}-b1`
      yield* s.register({
        batchId,
        knowledgeBaseId: kb,
        token: "t",
        waits: [{ jobId: "job_a", deadlineAt: 1 }]
      })
      const closed = yield* s.complete("runner-1", [{ batchId, jobId: "job_a", outcome: notFound }])
      expect(closed).toHaveLength(1)
      // The runner died before completing the deferred: the next one delivers it again (keyed, so once).
      const resend = yield* s.undelivered("runner-2", kb)
      expect(resend.map((batch) => batch.batchId)).toEqual([batchId])
      yield* s.acknowledge([batchId])
      expect(yield* s.undelivered("runner-2", kb)).toEqual([])
      expect(yield* s.pending(kb)).toEqual([])
    }).pipe(Effect.provide(live()))
  )

  it.effect("reads back and decodes the outcomes 0.1 wrote, and writes outcomes in the same JSON form", () =>
    Effect.gen(function* () {
      const s = yield* store
      const sql = yield* SqlClient.SqlClient
      const { batchId, knowledgeBaseId, token, jobIds, outcomes } = legacyBatch
      // 0.1's rows, as it left them when its runners stopped: every wait ended, the batch not yet closed.
      yield* sql`INSERT INTO tensoras_wait_batches (batch_id, knowledge_base_id, token)
        VALUES (${batchId}, ${knowledgeBaseId}, ${token})`
      for (const [position, jobId] of jobIds.entries()) {
        yield* sql`INSERT INTO tensoras_waits
            (batch_id, job_id, position, knowledge_base_id, deadline_at, outcome, ended_at, ended_by)
          VALUES (${batchId}, ${jobId}, ${position}, ${knowledgeBaseId}, ${1_760_001_800_000},
            ${outcomes[jobId]}::jsonb, now(), ${"127.0.0.1:24431"})`
      }
      expect(yield* s.pending(knowledgeBaseId)).toEqual([])

      // A 1.0 runner starting the knowledge base's entity closes and delivers the batch, with its token.
      const [batch, ...others] = yield* s.undelivered("runner-1", knowledgeBaseId)
      expect(others).toEqual([])
      expect(batch?.batchId).toBe(batchId)
      expect(batch?.token).toBe(token)
      expect(batch?.outcomes.map((o) => o.jobId)).toEqual(jobIds)

      // The workflow decodes each delivered outcome: 0.1's rows decode to 1.0's typed outcomes.
      const decoded = yield* Effect.forEach(batch?.outcomes ?? [], (o) => decodeOutcome(o.outcome))
      const [ok, failed, slow, gone] = decoded
      expect(Result.isSuccess(ok!) && ok.success).toMatchObject({
        id: "job_legacy_ok",
        status: "completed",
        documents_failed: 1,
        document_details: [
          { document_name: "guide.md", status: "completed", error: null },
          { document_name: "scan.pdf", status: "failed", error: { message: "The PDF is password-protected" } }
        ]
      })
      const failure = Result.isFailure(failed!) ? failed.failure : undefined
      expect(failure).toBeInstanceOf(IngestionJobFailed)
      expect(failure).toMatchObject({
        _tag: "IngestionJobFailed",
        message: "Embedding service unavailable",
        job: { id: "job_legacy_failed", status: "failed", error: { code: "embedding_unavailable" } }
      })
      const timeout = Result.isFailure(slow!) ? slow.failure : undefined
      expect(timeout).toBeInstanceOf(WaitTimeout)
      expect(timeout).toMatchObject({
        _tag: "WaitTimeout",
        reason: "deadline",
        elapsedMs: 20_000,
        lastJob: { id: "job_legacy_slow", status: { _tag: "UnknownStatus", raw: "indexing" } },
        observed: { responses: 19, retries: 1, httpStatuses: { "503": 1 } }
      })
      const missing = Result.isFailure(gone!) ? gone.failure : undefined
      expect(missing).toBeInstanceOf(NotFound)
      expect(missing).toMatchObject({
        _tag: "NotFound",
        status: 404,
        code: "ingestion_job_not_found",
        param: "job_id"
      })

      // 1.0 writes an outcome in the form 0.1 did: the same JSON, row for row (jsonb: key order aside).
      for (const [index, jobId] of jobIds.entries()) {
        expect(Schema.encodeSync(Outcome)(decoded[index]!), jobId).toEqual(JSON.parse(outcomes[jobId]!))
      }

      // 0.1's deferred token still parses, naming 0.1's execution; 1.0 hashes the same payload to another
      // id (the upgrade notes of docs/cluster.md: a wait started under 0.1 is not joined by 1.0).
      const parsed = DurableDeferred.TokenParsed.fromString(token)
      expect([parsed.workflowName, parsed.executionId, parsed.deferredName]).toEqual([
        "tensoras.WaitForIngestionJobs",
        batchId,
        "tensoras.outcomes"
      ])
      const executionId = yield* WaitForIngestionJobs.WaitForIngestionJobs.executionId({
        knowledgeBaseId,
        jobIds
      })
      expect(executionId).toMatch(/^[0-9a-f]{32}$/)
      expect(executionId).not.toBe(batchId)
    }).pipe(Effect.provide(live()))
  )

  it.live(
    "migrates once: a runner starting while a registration is in flight neither waits for it nor deadlocks it",
    () =>
      Effect.gen(function* () {
        const kb = freshKb()
        yield* store // the tables are current
        const sql = yield* SqlClient.SqlClient
        const batchId = `${kb}-b1`
        // A registration in flight: its batch row written, its waits not yet (in one transaction, as `register`).
        const batchWritten = yield* Deferred.make<void>()
        const goOn = yield* Deferred.make<void>()
        const registration = yield* Effect.forkChild(
          sql.withTransaction(
            Effect.gen(function* () {
              yield* sql`INSERT INTO tensoras_wait_batches (batch_id, knowledge_base_id, token)
              VALUES (${batchId}, ${kb}, 't')`
              yield* Deferred.succeed(batchWritten, undefined)
              yield* Deferred.await(goOn)
              yield* sql`INSERT INTO tensoras_waits (batch_id, job_id, position, knowledge_base_id, deadline_at)
              VALUES (${batchId}, 'job_a', 0, ${kb}, 1)`
            })
          )
        )
        yield* Deferred.await(batchWritten)
        // A runner starts meanwhile: its store's migration, on another connection.
        const migrated = yield* Deferred.make<void>()
        const migration = yield* Effect.forkChild(
          WaitStore.make.pipe(Effect.andThen(Deferred.succeed(migrated, undefined)))
        )
        // Until the migration is done, or waits for a lock the registration holds.
        const blocked = Effect.map(
          sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          ([row]) => Number(row?.n) > 0
        )
        yield* Effect.repeat(
          Effect.zipWith(Deferred.isDone(migrated), blocked, (done, waiting) => done || waiting),
          { until: (settled) => settled, schedule: Schedule.spaced("20 millis") }
        )
        yield* Deferred.succeed(goOn, undefined)
        const [registered, migratedExit] = [yield* Fiber.await(registration), yield* Fiber.await(migration)]
        expect(Exit.isSuccess(registered), String(registered)).toBe(true)
        expect(Exit.isSuccess(migratedExit), String(migratedExit)).toBe(true)
        expect((yield* (yield* store).pending(kb)).map((wait) => wait.jobId)).toEqual(["job_a"])
      }).pipe(Effect.provide(live()))
  )

  it.live("upgrades 0.1's tables once, keeping their rows", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(() => createDatabase(inject("postgresUrl"), "wait_store_upgrade"))
      const layer = PgClient.layer({ url: Redacted.make(url), maxConnections: 4 })
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // 0.1's tables, and a pending wait in them.
        yield* sql`CREATE TABLE tensoras_wait_batches (batch_id text PRIMARY KEY, knowledge_base_id text NOT NULL,
          token text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), closed_at timestamptz,
          acknowledged_at timestamptz)`
        yield* sql`CREATE TABLE tensoras_waits (batch_id text NOT NULL REFERENCES tensoras_wait_batches (batch_id)
          ON DELETE CASCADE, job_id text NOT NULL, position integer NOT NULL, knowledge_base_id text NOT NULL,
          deadline_at double precision NOT NULL, outcome jsonb, ended_at timestamptz, ended_by text,
          PRIMARY KEY (batch_id, job_id))`
        yield* sql`CREATE TABLE tensoras_wait_deliveries (id bigserial PRIMARY KEY, batch_id text NOT NULL,
          runner text NOT NULL, delivered_at timestamptz NOT NULL DEFAULT now())`
        yield* sql`INSERT INTO tensoras_wait_batches (batch_id, knowledge_base_id, token) VALUES ('b', 'kb_old', 't')`
        yield* sql`INSERT INTO tensoras_waits (batch_id, job_id, position, knowledge_base_id, deadline_at)
          VALUES ('b', 'job_old', 0, 'kb_old', 5)`
        // Two runners start together: one upgrades, the other finds the tables current.
        const [a, b] = yield* Effect.all([WaitStore.make, WaitStore.make], { concurrency: 2 })
        expect(
          (yield* a.pending("kb_old")).map((wait) => [wait.jobId, wait.deadlineAt, wait.observed])
        ).toEqual([["job_old", 5, null]])
        yield* b.observe([
          {
            batchId: "b",
            jobId: "job_old",
            lastJob: null,
            observed: { responses: 2, retries: 0, statuses: { queued: 2 }, httpStatuses: { "200": 2 } }
          }
        ])
        expect((yield* a.pending("kb_old"))[0]?.observed?.responses).toBe(2)
        const [row] = yield* sql<{
          version: number
        }>`SELECT version FROM tensoras_schema WHERE name = 'waits'`
        expect(Number(row?.version)).toBe(SCHEMA_VERSION)
      }).pipe(Effect.provide(layer))
    })
  )

  it.live("announces recorded outcomes: a caller following its batch learns of them without polling", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const sql = yield* SqlClient.SqlClient
      const batchId = `${kb}-b1`
      yield* s.register({
        batchId,
        knowledgeBaseId: kb,
        token: "t",
        waits: [{ jobId: "job_a", deadlineAt: 1 }]
      })
      const listening = yield* Deferred.make<void>()
      const ended = yield* Deferred.make<ReadonlyArray<string>>()
      // A caller following the batch that reads on its own only once an hour.
      yield* Effect.forkScoped(
        follow(sql, {
          following: () => new Set([batchId]),
          onEnded: (rows) =>
            Deferred.succeed(
              ended,
              rows.map((row) => row.jobId)
            ).pipe(Effect.asVoid),
          fallbackEvery: "1 hour",
          onListening: Deferred.succeed(listening, undefined).pipe(Effect.asVoid)
        })
      )
      yield* Deferred.await(listening)
      yield* s.complete("runner-1", [{ batchId, jobId: "job_a", outcome: notFound }])
      expect(yield* Deferred.await(ended)).toEqual(["job_a"])
    }).pipe(Effect.scoped, Effect.provide(live()))
  )
})
