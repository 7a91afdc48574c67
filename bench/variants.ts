/**
 * The waits being compared. Each one polls `GET …/ingestion-jobs/{job_id}` every `intervalMs` until the job
 * is `completed` or `failed`, and resolves with the final job's status.
 *
 * @module
 */
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync
} from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { ProbeResult, RoundSummary, Variant } from "./protocol.js"

const packageDirs = {
  core: new URL("../packages/core/", import.meta.url),
  node: new URL("../packages/node/", import.meta.url)
} as const

/** The packages' names, as the node package's build imports the core one. */
const packageNames = { core: "@tensoras/ingestion", node: "@tensoras/ingestion-node" } as const

/** The newest modification time of the files under a directory (0 when there is none). */
const newest = (dir: URL): number =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((latest, entry) => Math.max(latest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs), 0)

/** The environment variable that points the client processes at the run's copy of the builds. */
export const LIBRARY_VARIABLE = "BENCH_LIBRARY_DIR"

/**
 * Fails when a package's build is missing or older than its sources: it would measure code that is not
 * there any more.
 */
const checkBuilt = (pkg: keyof typeof packageDirs): void => {
  const dir = packageDirs[pkg]
  const builtAt = (() => {
    try {
      return statSync(new URL("dist/index.js", dir)).mtimeMs
    } catch {
      return 0
    }
  })()
  if (builtAt === 0 || newest(new URL("src/", dir)) > builtAt)
    throw new Error(
      `packages/${pkg}/dist is missing or older than the sources: run \`pnpm build\` first (the bench measures the built library, as users run it)`
    )
}

/**
 * Copies the packages' builds (and their `package.json`) for one run, checked first, and returns the copy's
 * directory: every client process of the run loads the library from it (through {@link LIBRARY_VARIABLE}), so
 * a source edited or rebuilt during a run (an hour, on a machine others work on) changes nothing it measures.
 * The copy lies under the repository's `node_modules`, so that its imports of `effect` and `xstate` resolve
 * to the installed ones; undici, the node package's own dependency, is linked beside it. `removeLibrary`
 * deletes it.
 */
export const snapshotLibrary = (): string => {
  for (const pkg of ["core", "node"] as const) checkBuilt(pkg)
  const dir = fileURLToPath(
    new URL(`../node_modules/.cache/tensoras-bench/run-${process.pid}/`, import.meta.url)
  )
  rmSync(dir, { recursive: true, force: true })
  for (const pkg of ["core", "node"] as const) {
    const target = `${dir}node_modules/${packageNames[pkg]}/`
    mkdirSync(target, { recursive: true })
    copyFileSync(new URL("package.json", packageDirs[pkg]), `${target}package.json`)
    cpSync(new URL("dist/", packageDirs[pkg]), `${target}dist`, { recursive: true })
  }
  symlinkSync(realpathSync(new URL("node_modules/undici", packageDirs.node)), `${dir}node_modules/undici`)
  return dir
}

export const removeLibrary = (dir: string): void => rmSync(dir, { recursive: true, force: true })

/**
 * A module of the library as users run it: its build (`packages/<core|node>/dist`), not its sources: the
 * run's copy of it ({@link snapshotLibrary}) in the client processes that `run.ts` starts, else the packages'
 * own build, checked. The bench's processes run under tsx (for the bench's own TypeScript), whose transform
 * of the sources names every function it compiles (`keepNames`): a `defineProperty` per closure created and
 * about 250 bytes of heap per closure kept, which the published build does not have. (The client processes
 * run without the sources' export condition, so the node package's build imports the core package's build,
 * as a user's install does.)
 */
const built = async <Module>(module: string, pkg: keyof typeof packageDirs = "core"): Promise<Module> => {
  const library = process.env[LIBRARY_VARIABLE]
  if (library !== undefined && library !== "")
    return (await import(
      pathToFileURL(`${library}/node_modules/${packageNames[pkg]}/dist/${module}.js`).href
    )) as Module
  checkBuilt(pkg)
  return (await import(new URL(`dist/${module}.js`, packageDirs[pkg]).href)) as Module
}

export interface WaitContext {
  readonly baseUrl: string
  readonly apiKey: string
  readonly intervalMs: number
  /** Aborted at the round's deadline. */
  readonly signal: AbortSignal
  /** Real ms the round may last; waits are given it as their own timeout too. */
  readonly timeoutMs: number
}

/**
 * Resolves with the final job's status. `all`, when present, waits for many jobs of one knowledge base at
 * once (started together), resolving each job's promise when that job ends.
 */
export type Wait = ((kbId: string, jobId: string) => Promise<string>) & {
  readonly all?: (kbId: string, jobIds: ReadonlyArray<string>) => ReadonlyMap<string, Promise<string>>
}

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
  const library = await built<typeof import("@tensoras/ingestion")>("index")
  const exported = library as unknown as Record<string, unknown>

  // A Node user of the Promise API imports it from the node package: undici's Dispatcher.request, one
  // keep-alive agent per process (the core package's runs on the global fetch).
  const node = await built<typeof import("@tensoras/ingestion-node")>("index", "node")
  if (typeof (node as unknown as Record<string, unknown>).waitForIngestionJob === "function") {
    const { waitForIngestionJob } = node
    // A: a user's call as documented (each wait on its own knowledge base here: no loop to share), polling at the bare
    // loop's interval. No `onUpdate`: the bare loop reports nothing either. `timeoutMs` bounds the run.
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
    notes.push("A: @tensoras/ingestion-node does not export a function `waitForIngestionJob`")
  }

  const engineWaits = await loadEngineWaits(exported, node)
  if (typeof engineWaits === "string")
    notes.push(`C: ${engineWaits}`, `M: ${engineWaits}`, `W: ${engineWaits}`)
  else {
    factories.C = engineWaits.C
    factories.W = engineWaits.W
    if (typeof engineWaits.M === "string") notes.push(`M: ${engineWaits.M}`)
    else factories.M = engineWaits.M
  }
  return { factories, notes }
}

/** Round reports of the engine (variants C and M share one engine per process). */
export const engineRounds: Array<RoundSummary> = []

/**
 * C: `Wait.waitFor` as an Effect user on Node runs many waits: one `ManagedRuntime` holding the `WaitEngine` and
 * `IngestionJobs` layers on `NodeIngestion.layerHttpClient()` (built during the warm-up), one `runPromise` per wait, `pollInterval` = the bare
 * loop's sleep. Waits on one knowledge base share its loop; on different ones they cannot.
 * M: the XState machine (`@tensoras/ingestion/JobMachine`) on the same kind of runtime, one actor per wait.
 */
const loadEngineWaits = async (
  library: Record<string, unknown>,
  node: typeof import("@tensoras/ingestion-node")
): Promise<
  { readonly C: WaitFactory; readonly W: WaitFactory; readonly M: WaitFactory | string } | string
> => {
  const wait = library.Wait
  if (typeof wait !== "object" || wait === null || !("waitFor" in wait))
    return "`Wait.waitFor` is not exported"
  const [Wait, WaitEngine, IngestionJobs, Duration, Effect, Layer, ManagedRuntime, Redacted, Result, Stream] =
    await Promise.all([
      built<typeof import("@tensoras/ingestion/Wait")>("Wait"),
      built<typeof import("@tensoras/ingestion/WaitEngine")>("WaitEngine"),
      built<typeof import("@tensoras/ingestion/IngestionJobs")>("IngestionJobs"),
      import("effect/Duration"),
      import("effect/Effect"),
      import("effect/Layer"),
      import("effect/ManagedRuntime"),
      import("effect/Redacted"),
      import("effect/Result"),
      import("effect/Stream")
    ])
  const runtimes = new Map<string, ReturnType<typeof makeRuntime>>()
  const makeRuntime = (baseUrl: string, apiKey: string) =>
    ManagedRuntime.make(
      WaitEngine.layer({
        onRound: (round) =>
          void engineRounds.push({
            mode: round.mode,
            requests: round.requests,
            dueJobs: round.dueJobs,
            watchedJobs: round.watchedJobs,
            followUpGets: round.followUpGets,
            activeQueued: round.activeQueued ?? null,
            activeProcessing: round.activeProcessing ?? null,
            // The bench runs the engine on the real clock: `at` is wall-clock ms.
            durationMs: Date.now() - round.at
          })
      }).pipe(
        Layer.provideMerge(IngestionJobs.layer({ apiKey: Redacted.make(apiKey), baseUrl })),
        // An Effect user on Node: the node package's HttpClient (undici's Dispatcher.request, keep-alive).
        Layer.provide(node.NodeIngestion.layerHttpClient())
      )
    )
  const runtimeFor = (baseUrl: string, apiKey: string) => {
    const key = `${baseUrl} ${apiKey}`
    const runtime = runtimes.get(key) ?? makeRuntime(baseUrl, apiKey)
    runtimes.set(key, runtime)
    return runtime
  }
  const C: WaitFactory = ({ baseUrl, apiKey, intervalMs, signal, timeoutMs }) => {
    const runtime = runtimeFor(baseUrl, apiKey)
    const options = { pollInterval: Duration.millis(intervalMs), timeout: Duration.millis(timeoutMs) }
    return (knowledgeBaseId, jobId) =>
      runtime.runPromise(Wait.waitFor(knowledgeBaseId, jobId, options), { signal }).then((job) => job.status)
  }
  const W: WaitFactory = ({ baseUrl, apiKey, intervalMs, signal, timeoutMs }) => {
    const runtime = runtimeFor(baseUrl, apiKey)
    const options = { pollInterval: Duration.millis(intervalMs), timeout: Duration.millis(timeoutMs) }
    const one = (knowledgeBaseId: string, jobId: string) => all(knowledgeBaseId, [jobId]).get(jobId)!
    const all = (knowledgeBaseId: string, jobIds: ReadonlyArray<string>) => {
      const settle = new Map<
        string,
        { resolve: (status: string) => void; reject: (error: unknown) => void; promise: Promise<string> }
      >()
      for (const jobId of jobIds) {
        let resolve!: (status: string) => void
        let reject!: (error: unknown) => void
        const promise = new Promise<string>((res, rej) => {
          resolve = res
          reject = rej
        })
        settle.set(jobId, { resolve, reject, promise })
      }
      // One stream of every job's changes; each job's promise settles on its `Ended` update.
      runtime
        .runPromise(
          Stream.runForEach(Wait.watchAll(knowledgeBaseId, jobIds, options), (update) =>
            Effect.sync(() => {
              if (update._tag !== "Ended") return
              const pending = settle.get(update.jobId)
              if (pending === undefined) return
              if (Result.isSuccess(update.result)) pending.resolve(update.result.success.status)
              else pending.reject(update.result.failure)
            })
          ),
          { signal }
        )
        .catch((error: unknown) => {
          for (const pending of settle.values()) pending.reject(error)
        })
      return new Map([...settle].map(([jobId, pending]) => [jobId, pending.promise]))
    }
    return Object.assign(one, { all })
  }
  let M: WaitFactory | string
  try {
    const [JobMachine, PollSchedule, xstate] = await Promise.all([
      built<typeof import("@tensoras/ingestion/JobMachine")>("JobMachine"),
      built<typeof import("@tensoras/ingestion/PollSchedule")>("PollSchedule"),
      import("xstate")
    ])
    const machines = new Map<string, Promise<ReturnType<typeof JobMachine.make>>>()
    M = ({ baseUrl, apiKey, intervalMs, signal, timeoutMs }) => {
      const key = `${baseUrl} ${apiKey} ${intervalMs}`
      const machine =
        machines.get(key) ??
        runtimeFor(baseUrl, apiKey)
          .context()
          .then((context) =>
            JobMachine.make(context, { schedule: PollSchedule.fixed(Duration.millis(intervalMs)) })
          )
      machines.set(key, machine)
      return async (knowledgeBaseId, jobId) => {
        const actor = xstate
          .createActor(await machine, { input: { knowledgeBaseId, jobId, timeoutMs } })
          .start()
        const cancel = () => actor.stop()
        signal.addEventListener("abort", cancel, { once: true })
        try {
          const output = (await xstate.toPromise(actor)) as {
            readonly _tag: string
            readonly job?: { readonly status: string }
          }
          return output._tag === "Completed" || output._tag === "Failed"
            ? (output.job?.status ?? output._tag)
            : output._tag
        } finally {
          signal.removeEventListener("abort", cancel)
        }
      }
    }
  } catch (error) {
    M = `@tensoras/ingestion/JobMachine could not be loaded (${error instanceof Error ? error.message : String(error)})`
  }
  return { C, W, M }
}

export const probe = async (): Promise<ProbeResult> => {
  const { factories, notes } = await loadLibrary()
  return {
    available: {
      A: factories.A !== undefined,
      B: true,
      C: factories.C !== undefined,
      M: factories.M !== undefined,
      W: factories.W !== undefined
    },
    notes
  }
}
