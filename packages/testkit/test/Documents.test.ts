import { describe, expect, it } from "vitest"
import { Documents } from "../src/index.js"

describe("Documents.generate", () => {
  it("is deterministic per seed", () => {
    expect(Documents.generate({ seed: 5 })).toEqual(Documents.generate({ seed: 5 }))
    expect(Documents.generate({ seed: 5 })).not.toEqual(Documents.generate({ seed: 6 }))
  })

  it("makes dozens of uniquely named PDF, Markdown, HTML, Word and CSV documents, a few failing", () => {
    const documents = Documents.generate({ count: 48, failures: 4, seed: 2 })
    expect(documents).toHaveLength(48)
    expect(new Set(documents.map((d) => d.name)).size).toBe(48)
    expect(new Set(documents.map((d) => d.name.split(".").pop()))).toEqual(
      new Set(["pdf", "md", "html", "docx", "csv"])
    )
    const failing = documents.filter((d) => d.fail !== undefined)
    expect(failing).toHaveLength(4)
    for (const document of failing) {
      expect(document.chunks).toBe(0)
      expect(document.fail).toMatchObject({
        type: "ingestion_error",
        code: expect.any(String),
        message: expect.any(String)
      })
    }
    expect(documents.filter((d) => d.fail === undefined).every((d) => (d.chunks ?? 0) > 0)).toBe(true)
  })

  it("spreads exactly totalDurationMs over the documents", () => {
    const documents = Documents.generate({ count: 30, totalDurationMs: 12_345 })
    expect(documents.reduce((sum, d) => sum + (d.durationMs ?? 0), 0)).toBe(12_345)
    expect(documents.every((d) => (d.durationMs ?? 0) > 0)).toBe(true)
  })

  it("draws each document's time on its own: without totalDurationMs, they do not add up to count × mean", () => {
    // The default was count × 400 exactly: a client that counted the documents knew when the job would end.
    for (let seed = 1; seed <= 40; seed++) {
      const total = (options: Documents.GenerateOptions) =>
        Documents.generate(options).reduce((sum, d) => sum + (d.durationMs ?? 0), 0)
      expect(total({ count: 12, seed })).not.toBe(12 * 400)
      expect(total({ count: 12, seed, meanDurationMs: 2_000 })).not.toBe(12 * 2_000)
    }
    const processed = Array.from({ length: 60 }, (_, seed) =>
      Documents.generate({ count: 50, failures: 0, seed, meanDurationMs: 2_000 })
    ).flat()
    const mean = processed.reduce((sum, d) => sum + (d.durationMs ?? 0), 0) / processed.length
    expect(mean).toBeGreaterThan(1_900)
    expect(mean).toBeLessThan(2_100)
    // Bigger documents take longer, with noise: times spread over several-fold.
    const times = processed.map((d) => d.durationMs ?? 0)
    expect(Math.max(...times) / Math.min(...times)).toBeGreaterThan(5)
  })

  it("keeps the names, kinds and chunks of a seed whatever the durations asked for", () => {
    const strip = (documents: ReadonlyArray<Documents.DocumentSpec>) =>
      documents.map(({ durationMs: _, ...rest }) => rest)
    expect(strip(Documents.generate({ seed: 3, meanDurationMs: 5_000 }))).toEqual(
      strip(Documents.generate({ seed: 3, totalDurationMs: 1_000 }))
    )
  })

  it("refuses totalDurationMs with meanDurationMs, and negative durations", () => {
    expect(() => Documents.generate({ totalDurationMs: 1_000, meanDurationMs: 100 })).toThrow(RangeError)
    expect(() => Documents.generate({ meanDurationMs: -1 })).toThrow(RangeError)
    expect(() => Documents.generate({ totalDurationMs: Number.NaN })).toThrow(RangeError)
  })
})
