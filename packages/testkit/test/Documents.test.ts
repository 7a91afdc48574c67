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
})
