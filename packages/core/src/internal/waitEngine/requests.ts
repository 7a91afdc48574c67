/**
 * A round's GETs (a `get` round's, or a sweep's follow-ups, which go out during the sweep or after
 * it): a queue that at most `concurrency` workers drain. (Not a semaphore: each release of Effect's
 * wakes every fiber waiting on it, and a sweep of 10,000 jobs can have hundreds waiting.)
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { startTimer } from "../liveClock.js"

export class Requests {
  private readonly queue: Array<string> = []
  private head = 0
  private idle: number
  private readonly workers: Array<Fiber.Fiber<void>> = []
  /** Resumes the fiber waiting in `drained` (at most one: the sweep reading its pages). */
  private onDrained: (() => void) | undefined = undefined
  /** Takes jobs off the queue until it is empty. */
  private readonly worker: Effect.Effect<void>

  constructor(
    private readonly concurrency: number,
    /** The request of one job. */
    private readonly get: (jobId: string) => Effect.Effect<unknown>
  ) {
    this.idle = concurrency
    this.worker = Effect.suspend(() => this.next())
  }

  private next(): Effect.Effect<void> {
    if (this.head === this.queue.length) {
      if (++this.idle === this.concurrency && this.onDrained !== undefined) {
        const resume = this.onDrained
        this.onDrained = undefined
        resume()
      }
      return Effect.void
    }
    const jobId = this.queue[this.head++] as string
    return Effect.andThen(this.get(jobId), this.worker)
  }

  private fork(count: number): Effect.Effect<void> {
    return count === 0
      ? Effect.void
      : Effect.flatMap(Effect.forkChild(this.worker), (fiber) => {
          this.workers.push(fiber)
          return this.fork(count - 1)
        })
  }

  /** Queues requests, and starts the workers they call for (up to `concurrency` in all). */
  add(jobIds: ReadonlyArray<string>): Effect.Effect<void> {
    return Effect.suspend(() => {
      for (const jobId of jobIds) this.queue.push(jobId)
      const start = Math.min(this.idle, this.queue.length - this.head)
      this.idle -= start
      return this.fork(start)
    })
  }

  /**
   * Waits until every request queued so far is answered (true; at once when none is left), or for
   * `maxMillis` on the clock of the fiber that waits (false), whichever comes first: a sweep that
   * found jobs gone reads its next page after their GETs, not beside them, and a GET that retries
   * holds it up no longer.
   */
  drained(maxMillis: number): Effect.Effect<boolean> {
    return Effect.withFiber((fiber) =>
      Effect.callback<boolean>((resume) => {
        if (this.idle === this.concurrency) return resume(Effect.succeed(true))
        const done = (answered: boolean) => {
          this.onDrained = undefined
          cancel()
          resume(Effect.succeed(answered))
        }
        const cancel = startTimer(fiber, maxMillis, () => done(false))
        this.onDrained = () => done(true)
        return Effect.sync(() => {
          this.onDrained = undefined
          cancel()
        })
      })
    )
  }

  /** Waits for every request: a worker ends when the queue is empty, and more may start meanwhile. */
  join(): Effect.Effect<void> {
    const workers = this.workers
    return Effect.gen(function* () {
      for (let joined = 0; joined < workers.length; joined++)
        yield* Fiber.join(workers[joined] as Fiber.Fiber<void>)
    })
  }
}
