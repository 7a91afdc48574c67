// A parent machine that composes the job machine: sync a data source, wait for the ingestion job
// the sync started, then run a query. The job machine is invoked like any other actor; its typed
// output decides where the pipeline goes next, and leaving `ingesting` (CANCEL) stops it, which
// aborts its request in flight. The pipeline's guards and actions are named (Stately shows them by
// name) and read the job machine's output typed: its done event, `JobMachine.DoneEvent<"ingestion">`,
// is declared with the pipeline's own events.
import type { Wait } from "@tensoras/ingestion"
import type * as JobMachine from "@tensoras/ingestion/JobMachine"
import { assign, fromPromise, setup } from "xstate"

export interface PipelineInput {
  readonly knowledgeBaseId: string
  readonly dataSourceId: string
  readonly question: string
  /** How long the ingestion may take. */
  readonly timeoutMs?: number
}

export interface PipelineContext extends PipelineInput {
  readonly jobId: string | null
  readonly job: Wait.CompletedJob | null
  /** How the pipeline ended, set by the transition into a final state. */
  readonly result: PipelineOutput | null
}

export type PipelineOutput =
  | { readonly _tag: "Answered"; readonly job: Wait.CompletedJob; readonly answer: string }
  | { readonly _tag: "NotIngested"; readonly jobId: string | null; readonly outcome: JobMachine.Output }
  | { readonly _tag: "SyncFailed"; readonly message: string }
  | { readonly _tag: "Cancelled"; readonly jobId: string | null }

/** What the pipeline needs from the outside world. */
export interface Steps {
  /** Starts a sync of the data source; resolves with the ID of the ingestion job it created. */
  readonly syncDataSource: (knowledgeBaseId: string, dataSourceId: string) => Promise<string>
  /** The job machine, bound to a client (`JobMachine.fromLayer`, `make`, or `ingestionJobMachine`). */
  readonly ingestion: JobMachine.IngestionJobMachine
}

/**
 * The query step is a stand-in: the ingestion-jobs API has no query endpoint, so this only says
 * what a query would now search. A real pipeline calls the Tensoras query API here.
 */
const runQuery = fromPromise<string, { readonly question: string; readonly job: Wait.CompletedJob }>(
  async ({ input }) =>
    `(stand-in) "${input.question}" would now search ${input.job.chunks_created} chunks ` +
    `from ${input.job.documents_processed} documents of ${input.job.knowledge_base_id}`
)

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

export const makePipeline = (steps: Steps) =>
  setup({
    types: {
      input: {} as PipelineInput,
      context: {} as PipelineContext,
      output: {} as PipelineOutput,
      events: {} as { readonly type: "CANCEL" } | JobMachine.DoneEvent<"ingestion">,
      children: {} as { ingestion: "ingestion" }
    },
    actors: {
      syncDataSource: fromPromise<
        string,
        { readonly knowledgeBaseId: string; readonly dataSourceId: string }
      >(({ input }) => steps.syncDataSource(input.knowledgeBaseId, input.dataSourceId)),
      ingestion: steps.ingestion,
      runQuery
    },
    guards: {
      // The job machine's done event, narrowed by its type: `event.output` is a `JobMachine.Output`.
      ingested: ({ event }) =>
        event.type === "xstate.done.actor.ingestion" && event.output._tag === "Completed"
    },
    actions: {
      keepJob: assign({
        job: ({ event }) =>
          event.type === "xstate.done.actor.ingestion" && event.output._tag === "Completed"
            ? event.output.job
            : null
      }),
      reportNotIngested: assign({
        result: ({ context, event }) =>
          event.type === "xstate.done.actor.ingestion"
            ? { _tag: "NotIngested", jobId: context.jobId, outcome: event.output }
            : context.result
      })
    }
  }).createMachine({
    id: "pipeline",
    context: ({ input }) => ({ ...input, jobId: null, job: null, result: null }),
    initial: "syncing",
    on: {
      CANCEL: {
        target: ".cancelled",
        actions: assign({ result: ({ context }) => ({ _tag: "Cancelled", jobId: context.jobId }) })
      }
    },
    states: {
      syncing: {
        invoke: {
          src: "syncDataSource",
          input: ({ context }) => ({
            knowledgeBaseId: context.knowledgeBaseId,
            dataSourceId: context.dataSourceId
          }),
          onDone: { target: "ingesting", actions: assign({ jobId: ({ event }) => event.output }) },
          onError: {
            target: "syncFailed",
            actions: assign({
              result: ({ event }) => ({ _tag: "SyncFailed", message: message(event.error) })
            })
          }
        }
      },
      ingesting: {
        invoke: {
          id: "ingestion",
          src: "ingestion",
          input: ({ context }) => ({
            knowledgeBaseId: context.knowledgeBaseId,
            jobId: context.jobId ?? "",
            timeoutMs: context.timeoutMs
          }),
          onDone: [
            { guard: "ingested", target: "querying", actions: "keepJob" },
            { target: "notIngested", actions: "reportNotIngested" }
          ]
        }
      },
      querying: {
        invoke: {
          src: "runQuery",
          input: ({ context }) => ({ question: context.question, job: context.job! }),
          onDone: {
            target: "answered",
            actions: assign({
              result: ({ context, event }) => ({ _tag: "Answered", job: context.job!, answer: event.output })
            })
          }
        }
      },
      answered: { type: "final" },
      notIngested: { type: "final" },
      syncFailed: { type: "final" },
      cancelled: { type: "final" }
    },
    output: ({ context }) => context.result!
  })
