/**
 * The waits being compared. Each one polls `GET …/ingestion-jobs/{job_id}` every `intervalMs` until the job
 * is `completed` or `failed`, and resolves with the final job's status.
 *
 * @module
 */
import type { ProbeResult, Variant } from "./protocol.js"

export interface WaitContext {
  readonly baseUrl: string
  readonly apiKey: string
  readonly intervalMs: number
  /** Aborted at the round's deadline. */
  readonly signal: AbortSignal
  /** Real ms the round may last; waits are given it as their own timeout too. */
  readonly timeoutMs: number
}

/** Resolves with the final job's status. */
export type Wait = (kbId: string, jobId: string) => Promise<string>

export type WaitFactory = (context: WaitContext) => Wait

/**
 * B: the API docs' loop, as users write it today. The only additions keep the benchmark bounded and cost
 * nothing measurable: a cap on iterations and a check of the round's deadline between polls. (No `signal` on
 * `fetch`: the docs' loop has none, and it would add an abort listener per request.)
 */
export const bareLoop: WaitFactory = ({ baseUrl, apiKey, intervalMs, signal, timeoutMs }) => {
  const maxPolls = Math.ceil(timeoutMs / intervalMs) + 2
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  return async (kbId, jobId) => {
    const url = `${baseUrl}/knowledge-bases/${kbId}/ingestion-jobs/${jobId}`
    for (let polls = 1; ; polls++) {
      const r = await fetch(url, { headers: { Authorization: `Bearer ${apiKey}` } })
      const job = JSON.parse(await r.text())
      if (job.status === "completed" || job.status === "failed") return job.status as string
      if (polls >= maxPolls || signal.aborted)
        throw new Error(`bare loop gave up on ${jobId} (${job.status})`)
      await sleep(intervalMs)
    }
  }
}

/**
 * Loads the library's waits, dynamically (variant B's processes never load the library). A variant that is
 * not exported is reported by {@link probe}, and the run fails before measuring anything.
 */
export const loadLibrary = async (): Promise<{
  readonly factories: Partial<Record<Variant, WaitFactory>>
  readonly notes: ReadonlyArray<string>
}> => {
  const notes: Array<string> = []
  const factories: Partial<Record<Variant, WaitFactory>> = {}
  const library = await import("@tensoras/ingestion")
  const exported = library as unknown as Record<string, unknown>

  if (typeof exported.waitForIngestionJob === "function") {
    const { waitForIngestionJob } = library
    // A: a user's call as documented, polling at the bare loop's interval. No `onUpdate`: the bare loop
    // reports nothing either (and with it the library takes another path, through `Poller.watch`).
    // `timeoutMs` bounds the run; it also sets the per-request timeout (one option name for both).
    factories.A =
      ({ baseUrl, apiKey, intervalMs, signal, timeoutMs }) =>
      (knowledgeBaseId, jobId) =>
        waitForIngestionJob({
          apiKey,
          baseUrl,
          knowledgeBaseId,
          jobId,
          signal,
          timeoutMs,
          pollIntervalMs: intervalMs
        }).then((job) => job.status)
  } else {
    notes.push("A: @tensoras/ingestion does not export a function `waitForIngestionJob`")
  }

  const effectWait = await loadEffectWait(exported)
  if (typeof effectWait === "string") notes.push(`C: ${effectWait}`)
  else factories.C = effectWait
  return { factories, notes }
}

/**
 * C: `Poller.waitFor` as an Effect user runs many waits: one `ManagedRuntime` holding the `IngestionJobs`
 * service (built before anything is measured), one fiber per wait, `PollSchedule.fixed(interval)` (a delay
 * after each answer, like the bare loop's sleep).
 */
const loadEffectWait = async (library: Record<string, unknown>): Promise<WaitFactory | string> => {
  const poller = library.Poller
  if (typeof poller !== "object" || poller === null || !("waitFor" in poller))
    return "`Poller.waitFor` is not exported"
  const [Poller, PollSchedule, IngestionJobs, FetchHttpClient, Duration, Layer, ManagedRuntime, Redacted] =
    await Promise.all([
      import("@tensoras/ingestion/Poller"),
      import("@tensoras/ingestion/PollSchedule"),
      import("@tensoras/ingestion/IngestionJobs"),
      import("@effect/platform/FetchHttpClient"),
      import("effect/Duration"),
      import("effect/Layer"),
      import("effect/ManagedRuntime"),
      import("effect/Redacted")
    ])
  const runtimes = new Map<string, ReturnType<typeof makeRuntime>>()
  const makeRuntime = (baseUrl: string, apiKey: string) =>
    ManagedRuntime.make(
      IngestionJobs.layer({ apiKey: Redacted.make(apiKey), baseUrl }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
  return ({ baseUrl, apiKey, intervalMs, signal, timeoutMs }) => {
    const key = `${baseUrl} ${apiKey}`
    const runtime = runtimes.get(key) ?? makeRuntime(baseUrl, apiKey)
    runtimes.set(key, runtime)
    const options = {
      schedule: PollSchedule.fixed(Duration.millis(intervalMs)),
      timeout: Duration.millis(timeoutMs)
    }
    return (knowledgeBaseId, jobId) =>
      runtime
        .runPromise(Poller.waitFor(knowledgeBaseId, jobId, options), { signal })
        .then((job) => job.status)
  }
}

export const probe = async (): Promise<ProbeResult> => {
  const { factories, notes } = await loadLibrary()
  return { available: { A: factories.A !== undefined, B: true, C: factories.C !== undefined }, notes }
}
