/**
 * Documents for the simulated data sources: what a test writes ({@link DocumentSpec}) and a
 * generator of realistic sets ({@link generate}): a mix of PDF, Markdown, HTML, Word and CSV files
 * with plausible chunk counts, a few failing with the errors a real ingestion pipeline reports.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/documents.js"
import type { WireErrorObject } from "./WireFormat.js"

/**
 * A document to ingest. Only `name` is required.
 *
 * @example
 * ```ts
 * import type { Documents } from "@tensoras/ingestion-testkit"
 *
 * const documents: ReadonlyArray<Documents.DocumentSpec> = [
 *   { name: "product-guide.pdf", chunks: 32, durationMs: 2_000 },
 *   { name: "scan.pdf", fail: { message: "The PDF is password-protected", code: "document_encrypted" } },
 *   { name: "diagram.png", chunks: 0, status: "skipped" }
 * ]
 * ```
 * @category models
 * @since 0.1.0
 */
export interface DocumentSpec {
  /** Defaults to the id of the data source's document with the same name, else the next `doc_NNN` of the knowledge base. */
  readonly id?: string
  readonly name: string
  /** Chunks created when processed. Default 10, or 0 for a failing document. */
  readonly chunks?: number
  /** Processing time in engine milliseconds. Default 500. */
  readonly durationMs?: number
  /** Make this document fail: `true`, a message, or (part of) the error object. */
  readonly fail?: boolean | string | Partial<WireErrorObject>
  /**
   * Report this status once the document is processed instead of `completed`/`failed` (e.g. `"skipped"`).
   * Such a document counts neither as processed nor as failed.
   */
  readonly status?: string
}

/**
 * Options of {@link generate}.
 *
 * @example
 * ```ts
 * import type { Documents } from "@tensoras/ingestion-testkit"
 *
 * const scripted: Documents.GenerateOptions = { count: 40, failures: 3, seed: 7, totalDurationMs: 12_000 }
 * const drawn: Documents.GenerateOptions = { count: 40, failures: 3, seed: 7, meanDurationMs: 300 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface GenerateOptions {
  /** How many documents. Default 36. */
  readonly count?: number
  /** How many of them fail. Default 3 (never more than `count`). */
  readonly failures?: number
  /** Same seed, same documents. Default 1. */
  readonly seed?: number
  /**
   * A scripted total: the durations are shared out by size so that they add up to exactly this many
   * milliseconds (a scenario whose job must end at a given instant). It tells the job's end to anyone who
   * knows the total, so a workload meant to be learnt leaves it out. Not with `meanDurationMs`.
   */
  readonly totalDurationMs?: number
  /**
   * Without `totalDurationMs`, each document's time is drawn on its own: about this many milliseconds for a
   * document of average size (bigger documents longer, 0.3–2.3 ×, with noise; a failing one is rejected
   * after a short look, 0.23–0.46 ×). Their sum varies about `count × meanDurationMs`; it is not that.
   * Default 400.
   *
   * @since 1.1.0
   */
  readonly meanDurationMs?: number
}

/**
 * Generates a deterministic, realistic document set: the same options give the same documents.
 * Throws a `RangeError` when `count` is not a whole number >= 0, or a duration is negative.
 *
 * @example
 * ```ts
 * import { Documents, NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const documents = Documents.generate({ count: 40, failures: 2, seed: 42 })
 * documents.filter((d) => d.fail !== undefined).length // 2
 *
 * const sim = await NodeSimulator.start({ scenario: "empty", clock: "manual" })
 * const { job } = sim.control.addDataSource("kb_empty", { documents })
 * sim.control.advanceToTerminal("kb_empty", job.id).documents_failed // 2
 * await sim.close()
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const generate: (options?: GenerateOptions) => ReadonlyArray<DocumentSpec> = internal.generate
