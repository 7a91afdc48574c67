import { describe, expect } from "@effect/vitest"
import { Cadence, PollSchedule } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import { type Store, scheduleFor } from "../src/internal/cadence/store.js"
import {
  EPOCH,
  engineTest,
  load,
  makeEngine,
  type Observed,
  register,
  requestsOf,
  runUntil,
  useSimulator
} from "./utils/engineWorld.js"

/**
 * The engine learns each knowledge base's jobs from the ended jobs it fetches anyway, and gives a
 * wait with no schedule of its own the cadence that knowledge base's jobs predict. What it learned
 * is JSON: another engine (another process) starts warm from it.
 */

useSimulator()

const KB = "kb_learning"

const endedAll = (waits: ReadonlyArray<Observed>) => () => waits.every((wait) => wait.exits.length > 0)

/** `count` jobs of one document each, each `durationMs` long, started one after another. */
const jobsOf = (count: number, durationMs: number, prefix: string) =>
  load((sim) => {
    sim.addKnowledgeBase(KB)
    for (let index = 0; index < count; index++) {
      sim.addDataSource(KB, {
        jobId: `${prefix}_${index}`,
        queuedMs: 1_000 + index * 137,
        documents: [{ name: `${prefix}-${index}.md`, durationMs: durationMs + ((index * 977) % 3_000) }]
      })
    }
  })

describe("WaitEngine's cadence", { timeout: 60_000 }, () => {
  engineTest("learns from the ended jobs its waits fetch, and exports what it learned", () =>
    Effect.gen(function* () {
      yield* jobsOf(12, 20_000, "job_seen")
      const cadence = Cadence.make()
      const { engine } = yield* makeEngine({ cadence })
      // Nothing learned yet: a wait with no schedule of its own gets the default's.
      expect(scheduleFor(cadence as Store, KB)).toBe(PollSchedule.defaultSchedule)
      const waits = yield* Effect.forEach(
        Array.from({ length: 12 }, (_, index) => `job_seen_${index}`),
        (jobId) => register(engine, KB, jobId)
      )
      yield* runUntil(endedAll(waits))
      const learned = Cadence.learned(cadence, KB)
      expect(learned).toBeDefined()
      const json = Cadence.toJSON(cadence)
      expect(json.knowledgeBases[KB]?.completed.length).toBe(12)
      // Learned: a wait given no schedule now gets this knowledge base's cadence.
      expect(scheduleFor(cadence as Store, KB)).not.toBe(PollSchedule.defaultSchedule)
    })
  )

  engineTest(
    "another engine given the exported JSON starts warm: its first wait already polls at the learned cadence",
    () =>
      Effect.gen(function* () {
        // What an engine learned of 12 jobs of ~20 s, saved as JSON and read back (another process).
        const seen = Cadence.make()
        {
          yield* jobsOf(12, 20_000, "job_seen")
          const { engine } = yield* makeEngine({ cadence: seen })
          const waits = yield* Effect.forEach(
            Array.from({ length: 12 }, (_, index) => `job_seen_${index}`),
            (jobId) => register(engine, KB, jobId)
          )
          yield* runUntil(endedAll(waits))
        }
        const saved = JSON.parse(JSON.stringify(Cadence.toJSON(seen)))
        const warm = yield* Cadence.fromJSON(saved)
        const cold = Cadence.make()
        // One more job of the same kind, waited on by a warm engine and by a cold one.
        const pollsWith = (cadence: Cadence.Cadence) =>
          Effect.gen(function* () {
            yield* jobsOf(1, 20_000, "job_next")
            const { engine } = yield* makeEngine({ cadence })
            const wait = yield* register(engine, KB, "job_next_0")
            yield* runUntil(endedAll([wait]))
            return requestsOf(KB).map((request) => request.at - EPOCH)
          })
        const warmPolls = yield* pollsWith(warm)
        const coldPolls = yield* pollsWith(cold)
        // The cold engine knows nothing: today's cadence. The warm one polls another way (it knows
        // how long this knowledge base's documents take).
        expect(warmPolls.length).toBeLessThan(coldPolls.length)
        expect(warmPolls.at(-1)!).toBeLessThanOrEqual(coldPolls.at(-1)!)
      })
  )
})
