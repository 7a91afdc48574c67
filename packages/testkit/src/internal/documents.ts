/**
 * The generator behind `Documents.generate`: weighted file kinds, topics and durations from a seeded random.
 */
import type { DocumentSpec, GenerateOptions } from "../Documents.js"
import type { WireErrorObject } from "../WireFormat.js"
import { createRandom, type Random } from "./random.js"

interface Kind {
  readonly extension: string
  readonly weight: number
  readonly chunks: readonly [number, number]
  readonly errors: ReadonlyArray<WireErrorObject>
}

const ingestionError = (code: string, message: string): WireErrorObject => ({
  message,
  type: "ingestion_error",
  code
})

const tooLarge = ingestionError("file_too_large", "The file exceeds the maximum size of 50 MB")
const empty = ingestionError("empty_document", "The document contains no extractable text")

const KINDS: ReadonlyArray<Kind> = [
  {
    extension: "pdf",
    weight: 30,
    chunks: [12, 90],
    errors: [ingestionError("document_encrypted", "The PDF is password-protected"), tooLarge, empty]
  },
  {
    extension: "md",
    weight: 25,
    chunks: [3, 30],
    errors: [ingestionError("unsupported_encoding", "The file is not valid UTF-8"), empty]
  },
  {
    extension: "html",
    weight: 20,
    chunks: [4, 40],
    errors: [ingestionError("document_parse_failed", "The HTML could not be parsed"), empty]
  },
  {
    extension: "docx",
    weight: 15,
    chunks: [8, 60],
    errors: [ingestionError("document_parse_failed", "The Word document is corrupt"), tooLarge]
  },
  {
    extension: "csv",
    weight: 10,
    chunks: [2, 20],
    errors: [ingestionError("document_parse_failed", "Row 1 has no header"), tooLarge]
  }
]

const TOPICS = [
  "employee-handbook",
  "quarterly-report-2024-q3",
  "api-reference",
  "onboarding-guide",
  "pricing",
  "security-policy",
  "release-notes",
  "customer-faq",
  "product-roadmap",
  "sales-pipeline",
  "incident-postmortem",
  "architecture-overview",
  "brand-guidelines",
  "support-playbook",
  "contract-template",
  "data-retention-policy",
  "benchmark-results",
  "marketing-plan",
  "travel-policy",
  "engineering-ladder",
  "installation-guide",
  "troubleshooting",
  "compliance-checklist",
  "partner-program",
  "usage-metrics",
  "changelog",
  "style-guide",
  "privacy-notice",
  "runbook-database",
  "meeting-notes-2024-06"
]

const pickKind = (random: Random): Kind => {
  let roll = random.int(1, 100)
  for (const kind of KINDS) {
    roll -= kind.weight
    if (roll <= 0) return kind
  }
  return KINDS[0]!
}

/**
 * The mean weight of a document that does not fail, as {@link generate} draws it: 0.5 + the mean of the
 * mix's chunk counts (30.025, over its kinds' weights) ÷ 30 + the mean of the noise (0.25).
 */
const MEAN_WEIGHT = 0.75 + 30.025 / 30

/** Default mean time of a document that does not fail (ms). */
const DEFAULT_MEAN_DURATION_MS = 400

const checkDuration = (value: number | undefined, what: string): void => {
  if (value !== undefined && (!Number.isFinite(value) || value < 0))
    throw new RangeError(`${what} must be a finite number >= 0, got ${value}`)
}

/** Generates a deterministic, realistic document set (see `Documents.generate`). */
export const generate = (options: GenerateOptions = {}): ReadonlyArray<DocumentSpec> => {
  const count = options.count ?? 36
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be an integer >= 0, got ${count}`)
  checkDuration(options.totalDurationMs, "totalDurationMs")
  checkDuration(options.meanDurationMs, "meanDurationMs")
  if (options.totalDurationMs !== undefined && options.meanDurationMs !== undefined)
    throw new RangeError("give totalDurationMs or meanDurationMs, not both")
  const failures = Math.min(count, options.failures ?? 3)
  const random = createRandom(options.seed ?? 1)

  const failing = new Set<number>()
  while (failing.size < failures) failing.add(random.int(0, count - 1))

  const names = new Set<string>()
  const drafts: Array<Draft> = []
  for (let index = 0; index < count; index++) {
    const kind = pickKind(random)
    const topic = random.pick(TOPICS)
    let name = `${topic}.${kind.extension}`
    for (let copy = 2; names.has(name); copy++) name = `${topic}-${copy}.${kind.extension}`
    names.add(name)
    const fails = failing.has(index)
    const chunks = fails ? 0 : random.int(kind.chunks[0], kind.chunks[1])
    // Bigger documents take longer, with some noise; a failing one is rejected after a short look.
    const weight = fails ? 0.4 + random.next() * 0.4 : 0.5 + chunks / 30 + random.next() * 0.5
    drafts.push(fails ? { name, chunks, weight, fail: random.pick(kind.errors) } : { name, chunks, weight })
  }
  const durations =
    options.totalDurationMs === undefined
      ? drafts.map((draft) =>
          // Each document's time is its own: the sum varies about count × mean, it is not that (a client
          // that knows the count must not know the job's end).
          Math.max(
            1,
            Math.round(((options.meanDurationMs ?? DEFAULT_MEAN_DURATION_MS) * draft.weight) / MEAN_WEIGHT)
          )
        )
      : spread(drafts, options.totalDurationMs)
  return drafts.map((draft, index): DocumentSpec => {
    const base = { name: draft.name, chunks: draft.chunks, durationMs: durations[index]! }
    return draft.fail === undefined ? base : { ...base, fail: draft.fail }
  })
}

interface Draft {
  readonly name: string
  readonly chunks: number
  readonly weight: number
  readonly fail?: WireErrorObject
}

/** A scripted total, shared out by weight: the last document takes what rounding left. */
const spread = (drafts: ReadonlyArray<Draft>, totalDurationMs: number): ReadonlyArray<number> => {
  const totalWeight = drafts.reduce((sum, draft) => sum + draft.weight, 0)
  let assigned = 0
  return drafts.map((draft, index) => {
    const durationMs =
      index === drafts.length - 1
        ? totalDurationMs - assigned
        : Math.round((draft.weight / totalWeight) * totalDurationMs)
    assigned += durationMs
    return durationMs
  })
}
