/**
 * The built-in scenarios' worlds, each set up relative to its start time (`engine.clock.now()`), so on
 * the manual clock every timestamp and counter is exact. `Scenarios.builtIn` lists them by name.
 */
import type { DocumentSpec } from "../Documents.js"
import type { Scenario } from "../Scenarios.js"
import { generate } from "./documents.js"

/** The API docs' example values hold at this instant: job_def456 has been processing for 40 s. */
const DOCS_EPOCH_MS = 1_709_125_040_000
const SECOND = 1_000

export const docs: Scenario = {
  name: "docs",
  description:
    "The API docs' examples: kb_abc123 with job_abc123 (completed, 15 documents, 482 chunks) and job_def456 " +
    "(processing: 8 processed, 1 failed, 245 chunks; completes 44 s after start)",
  epochMs: DOCS_EPOCH_MS,
  apiKeys: ["tns_your_key_here"],
  defaultApiKey: "tns_your_key_here",
  setup: (engine) => {
    engine.addKnowledgeBase("kb_abc123")
    const finished: Array<readonly [string, number]> = [
      ["product-guide.pdf", 32],
      ["api-reference.md", 18],
      ["getting-started.md", 41],
      ["pricing-faq.html", 27],
      ["security-whitepaper.pdf", 36],
      ["release-notes-2024.md", 29],
      ["onboarding-checklist.docx", 44],
      ["integrations-overview.html", 22],
      ["billing-export.csv", 38],
      ["architecture-overview.pdf", 31],
      ["troubleshooting.md", 35],
      ["sla-terms.pdf", 26],
      ["changelog.html", 40],
      ["team-handbook.docx", 33],
      ["usage-metrics.csv", 30]
    ]
    // 15 documents × 40 s = the documented 600 s between started_at and completed_at.
    engine.addDataSource("kb_abc123", {
      id: "ds_xyz789",
      name: "Product documentation",
      jobId: "job_abc123",
      createdAt: 1_709_123_450 * SECOND,
      queuedMs: 6 * SECOND,
      documents: finished.map(([name, chunks], index) => ({
        id: `doc_${String(index + 1).padStart(3, "0")}`,
        name,
        chunks,
        durationMs: 40 * SECOND
      }))
    })

    // Started at 1709125000: nine documents of 4 s are done 36 s in (8 ok with 245 chunks, 1 failed),
    // the tenth runs until 44 s in, then ten more of 4 s: completed 84 s in, 44 s after the scenario starts.
    const running: ReadonlyArray<DocumentSpec> = [
      { name: "faq.md", chunks: 28 },
      { name: "admin-console.pdf", chunks: 35 },
      { name: "webhooks.html", chunks: 31 },
      { name: "sdk-python.md", chunks: 40 },
      {
        name: "legacy-manual-2019.pdf",
        fail: {
          message: "The PDF is password-protected",
          type: "ingestion_error",
          code: "document_encrypted"
        }
      },
      { name: "sdk-typescript.md", chunks: 26 },
      { name: "rate-limits.html", chunks: 33 },
      { name: "glossary.docx", chunks: 22 },
      { name: "status-codes.csv", chunks: 30 },
      { name: "migration-guide.pdf", chunks: 47, durationMs: 8 * SECOND },
      { name: "authentication.md", chunks: 19 },
      { name: "embeddings-overview.html", chunks: 24 },
      { name: "quotas.md", chunks: 12 },
      { name: "data-residency.pdf", chunks: 38 },
      { name: "support-plans.html", chunks: 15 },
      { name: "connectors.md", chunks: 29 },
      { name: "retention-policy.docx", chunks: 21 },
      { name: "regions.csv", chunks: 6 },
      { name: "best-practices.pdf", chunks: 52 },
      { name: "cli-reference.md", chunks: 34 }
    ].map((document) => ({ durationMs: 4 * SECOND, ...document }))
    engine.addDataSource("kb_abc123", {
      id: "ds_lmn456",
      name: "Support site",
      jobId: "job_def456",
      createdAt: 1_709_124_990 * SECOND,
      queuedMs: 10 * SECOND,
      documents: running
    })
  }
}

export const empty: Scenario = {
  name: "empty",
  description: "kb_empty: a knowledge base without any ingestion job",
  setup: (engine) => {
    engine.addKnowledgeBase("kb_empty")
  }
}

const PAGINATED_JOBS = 250

export const paginated: Scenario = {
  name: "paginated",
  description:
    "kb_paginated with 250 jobs job_page_001 … job_page_250, oldest first, 10 minutes apart: mostly completed, " +
    "every 7th failed, every 23rd failed while queued, 246–248 processing, 249–250 queued",
  setup: (engine) => {
    const now = engine.clock.now()
    engine.addKnowledgeBase("kb_paginated")
    for (let index = 1; index <= PAGINATED_JOBS; index++) {
      const jobId = `job_page_${String(index).padStart(3, "0")}`
      const dataSourceId = `ds_page_${((index - 1) % 5) + 1}`
      // 246–248 are still processing at the start, 249–250 still queued; the rest ended long ago.
      const createdAt =
        index <= 245 ? now - (PAGINATED_JOBS - index) * 600 * SECOND : now - (251 - index) * 10 * SECOND
      const options = {
        jobId,
        createdAt,
        queuedMs: index >= 249 ? 30 * SECOND : 5 * SECOND,
        documents: [
          { name: `export-${index}-a.pdf`, chunks: 10 + (index % 13), durationMs: 20 * SECOND },
          {
            name: `export-${index}-b.md`,
            chunks: 3 + (index % 7),
            durationMs: 20 * SECOND,
            fail: index % 5 === 0
          },
          { name: `export-${index}-c.html`, chunks: 5 + (index % 11), durationMs: 20 * SECOND }
        ],
        ...(index % 23 === 0
          ? { failure: { afterMs: 2 * SECOND, error: "The data source could not be reached" } }
          : index % 7 === 0
            ? { failure: { afterMs: 30 * SECOND, error: "Embedding service unavailable" } }
            : {})
      }
      if (index <= 5)
        engine.addDataSource("kb_paginated", { id: dataSourceId, name: `Export ${index}`, ...options })
      else engine.syncDataSource("kb_paginated", dataSourceId, options)
    }
  }
}

export const realistic: Scenario = {
  name: "realistic",
  description:
    "kb_demo: ds_handbook's first ingestion (job_demo_initial, a day ago) and a live sync job_demo_sync of 40 " +
    "PDF/Markdown/HTML/Word/CSV documents, 3 failing, that completes 15.5 s after start",
  setup: (engine) => {
    const now = engine.clock.now()
    const documents = generate({ count: 40, failures: 3, seed: 7, totalDurationMs: 14 * SECOND })
    engine.addKnowledgeBase("kb_demo")
    engine.addDataSource("kb_demo", {
      id: "ds_handbook",
      name: "Company handbook (Google Drive)",
      jobId: "job_demo_initial",
      createdAt: now - 86_400 * SECOND,
      queuedMs: 1_500,
      documents
    })
    engine.syncDataSource("kb_demo", "ds_handbook", { jobId: "job_demo_sync", queuedMs: 1_500 })
  }
}

export const failing: Scenario = {
  name: "failing",
  description:
    "kb_failing: job_failing fails as a whole 5.5 s after start while processing; job_rejected goes " +
    "straight from queued to failed 2 s after start",
  setup: (engine) => {
    engine.addKnowledgeBase("kb_failing")
    engine.addDataSource("kb_failing", {
      id: "ds_crawler",
      name: "Website crawler",
      jobId: "job_failing",
      queuedMs: SECOND,
      documents: generate({ count: 12, failures: 1, seed: 3, totalDurationMs: 9 * SECOND }),
      failure: {
        afterMs: 5_500,
        error: {
          message: "Embedding service unavailable after 3 attempts",
          type: "ingestion_error",
          code: "embedding_service_unavailable"
        }
      }
    })
    engine.addDataSource("kb_failing", {
      id: "ds_s3_bucket",
      name: "S3 bucket acme-docs",
      jobId: "job_rejected",
      queuedMs: 10 * SECOND,
      documents: generate({ count: 5, failures: 0, seed: 4 }),
      failure: {
        afterMs: 2 * SECOND,
        error: {
          message: "Access denied to s3://acme-docs: check the data source credentials",
          type: "ingestion_error",
          code: "data_source_access_denied"
        }
      }
    })
  }
}

export const partial: Scenario = {
  name: "partial",
  description: "kb_partial: job_partial completes 9 s after start with 20 documents processed and 4 failed",
  setup: (engine) => {
    engine.addKnowledgeBase("kb_partial")
    engine.addDataSource("kb_partial", {
      id: "ds_shared_drive",
      name: "Shared drive",
      jobId: "job_partial",
      queuedMs: SECOND,
      documents: generate({ count: 24, failures: 4, seed: 11, totalDurationMs: 8 * SECOND })
    })
  }
}

export const unknownStatus: Scenario = {
  name: "unknown-status",
  description:
    "kb_unknown: job_skipped (completed, one document 'skipped'), job_cancelled (reports 'cancelled' for good) " +
    "and job_paused ('paused' for the first 5 s, then processing, completed 9 s after start)",
  setup: (engine) => {
    const now = engine.clock.now()
    engine.addKnowledgeBase("kb_unknown")
    engine.addDataSource("kb_unknown", {
      id: "ds_confluence",
      name: "Confluence space ENG",
      jobId: "job_skipped",
      createdAt: now - 600 * SECOND,
      documents: [
        { name: "design-review.md", chunks: 12 },
        { name: "oncall-guide.html", chunks: 9 },
        { name: "diagram.png", chunks: 0, status: "skipped" },
        { name: "postmortem-42.docx", chunks: 17 },
        { name: "capacity-plan.csv", chunks: 4 }
      ]
    })
    engine.syncDataSource("kb_unknown", "ds_confluence", {
      jobId: "job_cancelled",
      createdAt: now - 120 * SECOND,
      failure: { afterMs: 3 * SECOND, error: { message: "Cancelled by user", code: "job_cancelled" } },
      reportStatus: { status: "cancelled", fromMs: 3 * SECOND }
    })
    // The long second document spans the pause, so no counter moves while the job says "paused".
    engine.addDataSource("kb_unknown", {
      id: "ds_notion",
      name: "Notion workspace",
      jobId: "job_paused",
      createdAt: now - 3 * SECOND,
      queuedMs: SECOND,
      documents: [
        { name: "roadmap.md", chunks: 8, durationMs: SECOND },
        { name: "meeting-notes.md", chunks: 21, durationMs: 7 * SECOND },
        { name: "okrs.md", chunks: 5, durationMs: SECOND },
        { name: "hiring-plan.docx", chunks: 11, durationMs: SECOND },
        { name: "retro.html", chunks: 6, durationMs: SECOND }
      ],
      reportStatus: { status: "paused", fromMs: 2_500, untilMs: 8 * SECOND }
    })
  }
}
