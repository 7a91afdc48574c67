// Usage 4 of the API docs: list only the failed jobs (status=failed) and print their errors,
// across every page.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] tsx examples/client/list-failed.effect.ts kb_paginated
import { IngestionJobs } from "@tensoras/ingestion"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const knowledgeBaseId = process.argv[2] ?? "kb_abc123"

const program = IngestionJobs.listAll(knowledgeBaseId, { status: "failed" }).pipe(
  Stream.runForEach((job) => Console.log(`${job.id}: ${job.error?.message ?? "no error given"}`))
)

program
  .pipe(
    Effect.provide(IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
    Effect.tapCause(Effect.logError),
    Effect.runPromise
  )
  .catch(() => {
    process.exitCode = 1
  })
