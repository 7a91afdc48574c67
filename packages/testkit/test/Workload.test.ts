import { describe, expect, it } from "vitest"
import { SimulatorClock, SimulatorEngine, Workload } from "../src/index.js"
import { EPOCH_MS } from "./helpers.js"

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const correlation = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): number => {
  const mean = (values: ReadonlyArray<number>) => values.reduce((sum, v) => sum + v, 0) / values.length
  const [mx, my] = [mean(xs), mean(ys)]
  let [sxy, sxx, syy] = [0, 0, 0]
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my)
    sxx += (x - mx) ** 2
    syy += (ys[i]! - my) ** 2
  })
  return sxy / Math.sqrt(sxx * syy)
}

/** The times (ms) of every document that does not fail (a failing one takes a third of the time). */
const documentTimes = (jobs: ReadonlyArray<Workload.PlannedJob>) =>
  jobs.flatMap((job) => job.documents.filter((d) => d.fail === undefined).map((d) => d.durationMs ?? 0))

const law: Workload.KnowledgeBaseLaw = {
  queue: { medianMs: 3_000, spread: 0.6 },
  document: { medianMs: 5_000, spread: 0.5 },
  documents: { median: 1, spread: 0.6 }
}

describe("Workload.jobs: nothing of one job gives its end away", () => {
  const jobs = Workload.jobs({ id: "kb_leak", law }, { count: 3_000, seed: 4 })

  it("draws the queue time alone: no cap at a share of the job, no tie to its processing", () => {
    const singles = jobs.filter((job) => job.documents.length === 1 && job.failure === null)
    expect(singles.length).toBeGreaterThan(1_000)
    // A queue time capped at 40 % of the job told the exact duration of every job the cap bound.
    const shares = singles.map((job) => job.queuedMs / job.durationMs)
    expect(shares.filter((share) => share > 0.4).length).toBeGreaterThan(0.2 * singles.length)
    // Nor is it a fixed share of the job: no share (to the thousandth) holds more than a few jobs.
    const counts = new Map<string, number>()
    for (const share of shares) counts.set(share.toFixed(3), (counts.get(share.toFixed(3)) ?? 0) + 1)
    expect(Math.max(...counts.values())).toBeLessThan(0.01 * singles.length)
    const logs = (f: (job: Workload.PlannedJob) => number) => singles.map((job) => Math.log(f(job)))
    expect(
      Math.abs(
        correlation(
          logs((job) => job.queuedMs),
          logs((job) => job.processingMs)
        )
      )
    ).toBeLessThan(0.06)
  })

  it("draws each document's time alone: a job's documents do not add up to count × median", () => {
    const several = Workload.jobs(
      { id: "kb_several", law: { ...law, documents: { median: 8, spread: 0.5 } } },
      {
        count: 500
      }
    ).filter((job) => job.documents.length > 1)
    expect(several.length).toBeGreaterThan(400)
    const ratios = several.map((job) => job.processingMs / (job.documents.length * job.documentMedianMs))
    expect(ratios.filter((ratio) => Math.abs(ratio - 1) > 0.05).length).toBeGreaterThan(0.6 * ratios.length)
    for (const job of several) {
      const times = new Set(job.documents.map((document) => document.durationMs))
      expect(times.size).toBeGreaterThan(1)
      expect(job.processingMs).toBe(
        job.documents.reduce((sum, document) => sum + (document.durationMs ?? 0), 0)
      )
    }
  })

  it("plans in the simulator the job it drew: the same start, the same end", () => {
    const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
    const engine = SimulatorEngine.make(clock, 1)
    engine.addKnowledgeBase("kb_leak")
    for (const job of jobs.slice(0, 50)) {
      clock.setTime(EPOCH_MS + job.createdAfterMs)
      const { job: info } = engine.addDataSource("kb_leak", Workload.syncOptions(job, EPOCH_MS))
      expect(info.createdAt).toBe(EPOCH_MS + job.createdAfterMs)
      expect(info.terminalAt - info.createdAt).toBe(job.durationMs)
      if (job.failure === null) expect(info.startedAt! - info.createdAt).toBe(job.queuedMs)
    }
  })
})

describe("Workload.knowledgeBases: each its own law", () => {
  it("draws laws that differ, and jobs that follow their own knowledge base's law", () => {
    const kbs = Workload.knowledgeBases({ count: 8, seed: 3, ranges: { jobMs: [3_000, 120_000] } })
    expect(new Set(kbs.map((kb) => kb.id))).toEqual(
      new Set(["kb_001", "kb_002", "kb_003", "kb_004", "kb_005", "kb_006", "kb_007", "kb_008"])
    )
    expect(new Set(kbs.map((kb) => kb.law.document.medianMs)).size).toBe(8)
    expect(new Set(kbs.map((kb) => kb.law.queue.medianMs)).size).toBe(8)
    for (const kb of kbs) {
      expect(kb.law.queue.medianMs).toBeGreaterThanOrEqual(Workload.defaultRanges.queueMs[0])
      expect(kb.law.queue.medianMs).toBeLessThanOrEqual(Workload.defaultRanges.queueMs[1])
      expect(kb.law.document.spread).toBeGreaterThan(0)
      const jobs = Workload.jobs(kb, { count: 300 })
      const processed = documentTimes(jobs)
      const ratio = median(processed) / kb.law.document.medianMs
      expect(ratio).toBeGreaterThan(0.8)
      expect(ratio).toBeLessThan(1.25)
      expect(median(jobs.map((job) => job.queuedMs)) / kb.law.queue.medianMs).toBeGreaterThan(0.85)
      expect(median(jobs.map((job) => job.queuedMs)) / kb.law.queue.medianMs).toBeLessThan(1.15)
    }
  })

  it("gives two knowledge bases with the same seed their own noise", () => {
    const a = Workload.jobs({ id: "kb_a", law }, { count: 50, seed: 1 })
    const b = Workload.jobs({ id: "kb_b", law }, { count: 50, seed: 1 })
    expect(a.map((job) => job.queuedMs)).not.toEqual(b.map((job) => job.queuedMs))
  })

  it("keeps within the ranges asked for", () => {
    const kbs = Workload.knowledgeBases({
      count: 20,
      seed: 5,
      ranges: { documentMs: [2_000, 3_000], failingShare: [0.1, 0.1] },
      idPrefix: "kb_small_"
    })
    expect(kbs[0]!.id).toBe("kb_small_001")
    for (const kb of kbs) {
      expect(kb.law.document.medianMs).toBeGreaterThanOrEqual(2_000)
      expect(kb.law.document.medianMs).toBeLessThanOrEqual(3_000)
      expect(kb.law.failingShare).toBe(0.1)
    }
  })
})

describe("Workload: drift", () => {
  const base: Workload.KnowledgeBase = {
    id: "kb_drift",
    law: { ...law, documents: { median: 4, spread: 0.3 } }
  }

  it("makes a knowledge base 2× slower from job K on, and changes nothing before", () => {
    const drifting: Workload.KnowledgeBase = { ...base, drift: [{ fromJob: 200, factor: 2 }] }
    expect(Workload.lawAt(drifting, 199)).toEqual(Workload.lawAt(base, 199))
    expect(Workload.lawAt(drifting, 200).document.medianMs).toBe(10_000)
    expect(Workload.lawAt(drifting, 200).queue.medianMs).toBe(3_000)
    const before = Workload.jobs(drifting, { count: 400, seed: 8 })
    const steady = Workload.jobs(base, { count: 400, seed: 8 })
    // Same seed: the jobs before K are the steady knowledge base's own.
    expect(before.slice(0, 200)).toEqual(steady.slice(0, 200))
    const ratio = median(documentTimes(before.slice(200))) / median(documentTimes(before.slice(0, 200)))
    expect(ratio).toBeGreaterThan(1.7)
    expect(ratio).toBeLessThan(2.3)
  })

  it("reaches its factor step by step over overJobs, and drifts the queue when asked", () => {
    const ramp: Workload.KnowledgeBase = {
      ...base,
      drift: [
        { fromJob: 10, factor: 4, overJobs: 2 },
        { fromJob: 0, factor: 0.5, applies: "queue" }
      ]
    }
    expect(Workload.lawAt(ramp, 9).document.medianMs).toBe(5_000)
    expect(Workload.lawAt(ramp, 10).document.medianMs).toBe(10_000)
    expect(Workload.lawAt(ramp, 11).document.medianMs).toBe(20_000)
    expect(Workload.lawAt(ramp, 500).document.medianMs).toBe(20_000)
    expect(Workload.lawAt(ramp, 0).queue.medianMs).toBe(1_500)
  })
})

describe("Workload: seeds", () => {
  const [kb] = Workload.knowledgeBases({ count: 1, seed: 2 })

  it("gives the same knowledge bases and jobs for the same seed, others for another", () => {
    expect(Workload.knowledgeBases({ count: 3, seed: 2 })).toEqual(
      Workload.knowledgeBases({ count: 3, seed: 2 })
    )
    expect(Workload.knowledgeBases({ count: 3, seed: 2 })).not.toEqual(
      Workload.knowledgeBases({ count: 3, seed: 3 })
    )
    expect(Workload.jobs(kb!, { count: 20, seed: 1 })).toEqual(Workload.jobs(kb!, { count: 20, seed: 1 }))
    expect(Workload.jobs(kb!, { count: 20, seed: 1 })).not.toEqual(Workload.jobs(kb!, { count: 20, seed: 2 }))
  })

  it("draws the first jobs alike whatever the count asked for", () => {
    expect(Workload.jobs(kb!, { count: 100, seed: 1 }).slice(0, 10)).toEqual(
      Workload.jobs(kb!, { count: 10, seed: 1 })
    )
  })

  it("fails jobs and documents in the shares of the law", () => {
    const failing = Workload.jobs(
      {
        id: "kb_failing",
        law: { ...law, documents: { median: 5, spread: 0.3 }, failingShare: 0.3, documentFailureShare: 0.2 }
      },
      { count: 1_000 }
    )
    const failed = failing.filter((job) => job.failure !== null)
    expect(failed.length / failing.length).toBeGreaterThan(0.25)
    expect(failed.length / failing.length).toBeLessThan(0.35)
    for (const job of failed) {
      expect(job.durationMs).toBe(job.failure!.afterMs)
      expect(job.durationMs).toBeGreaterThanOrEqual(job.queuedMs)
      expect(job.durationMs).toBeLessThanOrEqual(job.queuedMs + job.processingMs)
    }
    const documents = failing.flatMap((job) => job.documents)
    const share = documents.filter((d) => d.fail !== undefined).length / documents.length
    expect(share).toBeGreaterThan(0.17)
    expect(share).toBeLessThan(0.23)
  })

  it("refuses laws, drifts, ranges and counts that are not ones", () => {
    expect(() =>
      Workload.jobs({ id: "kb_x", law: { ...law, document: { medianMs: 0, spread: 1 } } }, { count: 1 })
    ).toThrow(RangeError)
    expect(() =>
      Workload.jobs({ id: "kb_x", law, drift: [{ fromJob: 1, factor: -2 }] }, { count: 1 })
    ).toThrow(RangeError)
    expect(() => Workload.jobs({ id: "kb_x", law }, { count: 1.5 })).toThrow(RangeError)
    expect(() => Workload.knowledgeBases({ count: 1, ranges: { queueMs: [10, 1] } })).toThrow(RangeError)
    expect(() => Workload.knowledgeBases({ count: 1, ranges: { failingShare: [0, 2] } })).toThrow(RangeError)
  })
})
