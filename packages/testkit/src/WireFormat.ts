/**
 * The JSON shapes the simulator sends, spelled exactly as the Tensoras ingestion-jobs API spells them
 * (snake_case, Unix seconds). They describe the wire, not a client's decoded model.
 *
 * @since 0.1.0
 */

/**
 * The error object carried by a failed job or a failed document.
 *
 * @example
 * ```ts
 * import type { WireFormat } from "@tensoras/ingestion-testkit"
 *
 * const error: WireFormat.WireErrorObject = {
 *   message: "The PDF is password-protected",
 *   type: "ingestion_error",
 *   code: "document_encrypted"
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface WireErrorObject {
  readonly message: string
  readonly type: string
  readonly code: string
}

/**
 * The body of every error response (4xx and 5xx with JSON).
 *
 * @example
 * ```ts
 * import type { WireFormat } from "@tensoras/ingestion-testkit"
 *
 * const body: WireFormat.WireErrorBody = {
 *   error: {
 *     message: "Ingestion job 'job_abc123' not found",
 *     type: "not_found_error",
 *     param: "job_id",
 *     code: "ingestion_job_not_found"
 *   }
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface WireErrorBody {
  readonly error: {
    readonly message: string
    readonly type: string
    readonly param: string | null
    readonly code: string | null
  }
}

/**
 * The documented job statuses. Faults and the `unknown-status` scenario can send other strings.
 *
 * @example
 * ```ts
 * import type { WireFormat } from "@tensoras/ingestion-testkit"
 *
 * const terminal: ReadonlyArray<WireFormat.WireJobStatus> = ["completed", "failed"]
 * ```
 * @category models
 * @since 0.1.0
 */
export type WireJobStatus = "queued" | "processing" | "completed" | "failed"

/**
 * One entry of `document_details`. While a job runs, unprocessed documents report `queued` and the
 * document being worked on reports `processing`.
 *
 * @example
 * ```ts
 * import type { WireFormat } from "@tensoras/ingestion-testkit"
 *
 * const detail: WireFormat.WireDocumentDetail = {
 *   document_id: "doc_001",
 *   document_name: "product-guide.pdf",
 *   status: "completed",
 *   chunks_created: 32,
 *   error: null
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface WireDocumentDetail {
  readonly document_id: string
  readonly document_name: string
  readonly status: string
  readonly chunks_created: number
  readonly error: WireErrorObject | null
}

/**
 * An ingestion job. `document_details` is present only on the single-job endpoint.
 *
 * @example
 * ```ts
 * import type { WireFormat } from "@tensoras/ingestion-testkit"
 *
 * const job: WireFormat.WireJob = {
 *   id: "job_def456", object: "ingestion_job",
 *   knowledge_base_id: "kb_abc123", data_source_id: "ds_lmn456",
 *   status: "processing",
 *   documents_processed: 8, documents_failed: 1, chunks_created: 245,
 *   started_at: 1709125000, completed_at: null, created_at: 1709124990,
 *   error: null
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface WireJob {
  readonly id: string
  readonly object: "ingestion_job"
  readonly knowledge_base_id: string
  readonly data_source_id: string
  readonly status: string
  readonly documents_processed: number
  readonly documents_failed: number
  readonly chunks_created: number
  readonly started_at: number | null
  readonly completed_at: number | null
  readonly created_at: number
  readonly error: WireErrorObject | null
  readonly document_details?: ReadonlyArray<WireDocumentDetail>
}

/**
 * The body of `GET /knowledge-bases/{kb_id}/ingestion-jobs`.
 *
 * @example
 * ```ts
 * import type { WireFormat } from "@tensoras/ingestion-testkit"
 *
 * const page: WireFormat.WireJobList = { object: "list", data: [], has_more: false }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface WireJobList {
  readonly object: "list"
  readonly data: ReadonlyArray<WireJob>
  readonly has_more: boolean
}
