/**
 * What the benchmark's three processes say to each other over Node's IPC channel: the orchestrator
 * (`run.ts`), the simulator (`simulator.ts`) and one client per measured variant and level (`client.ts`).
 * A tiny request/reply protocol: either side may call the other.
 *
 * @module
 */

import type { Serializable } from "node:child_process"

/**
 * A: the library's Promise wait; B: the API docs' bare loop; C: the library's Effect wait; M: the machine;
 * W: the library's `Wait.watchAll` (one stream for all the jobs of a knowledge base; shared levels).
 */
export type Variant = "A" | "B" | "C" | "M" | "W"

export const VARIANT_NAMES: Readonly<Record<Variant, string>> = {
  A: "library waitForIngestionJob (Promise, Node)",
  B: "bare fetch + sleep loop (API docs)",
  C: "library Wait.waitFor (Effect, on the WaitEngine)",
  M: "library JobMachine (XState, on the WaitEngine)",
  W: "library Wait.watchAll (Effect, one stream for all the jobs, on the WaitEngine)"
}

/**
 * `separate`: every wait on a job of its own knowledge base (no sharing possible); `shared`: every job of
 * one knowledge base (the engine watches them all with one loop).
 */
export type Layout = "separate" | "shared"

/** One round of the engine's loop, as the bench keeps it. */
export interface RoundSummary {
  readonly mode: "get" | "sweep"
  readonly requests: number
  readonly dueJobs: number
  /** Jobs the knowledge base's waits watched when the round started (W of the bound). */
  readonly watchedJobs: number
  readonly followUpGets: number
  readonly activeQueued: number | null
  readonly activeProcessing: number | null
  /** From the round's start until its last response was handled (wall clock), ms. */
  readonly durationMs: number
}

/**
 * A job to wait on, planned relative to its round's start: the moment the simulator has created the round's
 * jobs (`SimulatorApi.createJobs`), once the client has said it is ready. Nothing is planned on a guessed
 * lead time.
 */
export interface PlannedJob {
  /** The job's own knowledge base (layout `separate`), else the round's. */
  readonly kbId?: string
  readonly jobId: string
  /** When its wait starts, ms after the round's start. */
  readonly startOffset: number
  /** When the server turns it terminal, ms after the simulator began creating the round's jobs. */
  readonly terminalOffset: number
}

/** One round's jobs, as the client gets them before it sets itself up. */
export interface RoundPlan {
  readonly kbId: string
  readonly jobs: ReadonlyArray<PlannedJob>
}

/** What the simulator says when it has created a round's jobs. */
export interface CreatedJobs {
  /**
   * The round's start, wall-clock (`Date.now()`) ms: when the last job had been created. The waits' start
   * offsets count from it.
   */
  readonly anchor: number
  /**
   * When the simulator began creating the jobs: their terminal offsets count from it (so each job ends as
   * much sooner after its wait's start as creating them all took, under a ms per 10 jobs; the terminal
   * times are exact, and the latencies count from them).
   */
  readonly createdAt: number
  /** Each job's terminal time as the server set it, wall-clock ms, in the order of the jobs given. */
  readonly terminalAts: ReadonlyArray<number>
}

/** Which round of a client: the warm-up, a measured one, or one that only samples the heap. */
export interface RoundKey {
  readonly purpose: "warmup" | "measure" | "heap"
  readonly round: number
}

/** What the simulator's request log says about one knowledge base. */
export interface RequestSummary {
  readonly total: number
  readonly responded: number
  /** Requests answered with something other than 200, or not answered. */
  readonly notOk: number
  /** The simulator process's CPU since the previous count (all knowledge bases, idle time included), µs. */
  readonly simulatorCpuMicros: number
}

/** Calls the simulator process answers. */
export interface SimulatorApi {
  /** Creates the knowledge bases a round will use (before its client sets up: they cost it nothing). */
  prepare: (params: { readonly kbIds: ReadonlyArray<string> }) => null
  /**
   * Creates a round's jobs now (a knowledge base not prepared is created too), each turning terminal
   * `terminalOffset` ms after the call; the round starts once they all exist (`CreatedJobs.anchor`).
   */
  createJobs: (params: {
    readonly kbId: string
    readonly jobs: ReadonlyArray<PlannedJob>
    /** Documents per job (default 3). */
    readonly documents?: number
  }) => CreatedJobs
  /** Counts the requests that hit knowledge bases whose id starts with `kbPrefix`, then forgets the whole log. */
  requests: (params: { readonly kbPrefix: string }) => RequestSummary
}

/** Sent once by the simulator process when it listens. */
export interface SimulatorReady {
  readonly baseUrl: string
  readonly apiKey: string
}

/** What a client process was told to do (passed as JSON in its argv). */
export interface ClientConfig {
  readonly variant: Variant
  readonly layout: Layout
  readonly concurrency: number
  /** Rounds that time CPU and latency. */
  readonly rounds: number
  /** Rounds (after those) that sample the heap; 0: the measured rounds sample it. */
  readonly heapRounds: number
  readonly warmupWaits: number
  /** This level's poll interval, for every variant. */
  readonly intervalMs: number
  readonly warmupIntervalMs: number
  readonly roundTimeoutMs: number
  readonly baseUrl: string
  readonly apiKey: string
  readonly repeat: number
}

/** What a client measured over all its rounds. */
export interface ClientResult {
  readonly variant: Variant
  readonly layout: Layout
  /** Index of this run among the repeats of its (layout, level, variant). */
  readonly repeat: number
  /** The engine's rounds during the measured rounds (variants C and M). */
  readonly engineRounds: ReadonlyArray<RoundSummary>
  readonly concurrency: number
  readonly rounds: number
  readonly intervalMs: number
  /** Each wait's detection latency: resolve time minus the job's terminal time, in ms. */
  readonly latenciesMs: ReadonlyArray<number>
  /** Client CPU (user + system) while the measured rounds' waits were in flight, in µs. */
  readonly cpuMicros: number
  /** Wall time of the measured rounds, first wait's start to last wait's end, summed. */
  readonly measureWallMs: number
  /** Per heap round: (heap used after a forced GC while all waits were pending) − (same before they started), bytes. */
  readonly heapDeltas: ReadonlyArray<number>
  /** Rounds where some wait had already resolved at the heap sample (so no heap figure). */
  readonly heapSkipped: number
  /** Waits of the measured rounds that started late: over 5% of the interval (at least 5 ms) after their planned start. */
  readonly lateStarts: number
  /** The longest a measured round's start (its jobs all created) took to reach the client, ms. */
  readonly startLagMs: number
  /** Waits that rejected, or resolved with a job not `completed`/`failed`. */
  readonly errors: number
  readonly firstError: string | null
  readonly wallMs: number
}

/** Which optional library variants the installed `@tensoras/ingestion` offers. */
export interface ProbeResult {
  readonly available: Readonly<Record<Variant, boolean>>
  readonly notes: ReadonlyArray<string>
}

/** Calls the orchestrator answers for a client. */
export interface OrchestratorApi {
  /** A round's plan (its knowledge bases exist when this answers; its jobs do not yet). */
  jobs: (params: RoundKey) => RoundPlan
  /**
   * The client is set up: the round's jobs are created now. Its start offsets count from the anchor
   * returned, its terminal offsets from `createdAt` (see `CreatedJobs`).
   */
  start: (params: RoundKey) => { readonly anchor: number; readonly createdAt: number }
  /** The round's terminal times as the server set them (wall-clock ms, in plan order), for the latencies. */
  terminals: (params: RoundKey) => ReadonlyArray<number>
  /**
   * The job of the client's resident wait, created now: it runs for hours, in a knowledge base of its own
   * (its requests count nowhere).
   */
  resident: (params: {}) => { readonly kbId: string; readonly jobId: string }
  done: (result: ClientResult) => null
  probed: (result: ProbeResult) => null
}

/** A map of call signatures (an interface of methods taking one parameter). */
type Api<A> = { readonly [K in keyof A]: (params: any) => unknown }

/** The functions that answer the calls of `A` (each may return a promise). */
export type Handlers<A extends Api<A>> = {
  readonly [K in keyof A]: (params: Parameters<A[K]>[0]) => ReturnType<A[K]> | Promise<ReturnType<A[K]>>
}

/** What both `process` (in a child) and a `ChildProcess` offer. */
export interface Port {
  send?: ((message: Serializable) => boolean) | undefined
  on(event: "message", listener: (message: unknown) => void): unknown
}

type Envelope =
  | { readonly kind: "call"; readonly id: number; readonly method: string; readonly params: unknown }
  | { readonly kind: "reply"; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: "reply"; readonly id: number; readonly ok: false; readonly error: string }
  | { readonly kind: "event"; readonly name: string; readonly payload: unknown }

const isEnvelope = (message: unknown): message is Envelope =>
  typeof message === "object" && message !== null && "kind" in message

/** One end of the channel: serves `Local` calls, makes `Remote` calls, and hears one-off events. */
export interface Peer<Remote extends Api<Remote>> {
  call<K extends keyof Remote & string>(
    method: K,
    params: Parameters<Remote[K]>[0]
  ): Promise<Awaited<ReturnType<Remote[K]>>>
  emit(name: string, payload: unknown): void
  onEvent(name: string, listener: (payload: unknown) => void): void
}

export const createPeer = <Local extends Api<Local>, Remote extends Api<Remote>>(
  port: Port,
  handlers: Partial<Handlers<Local>>
): Peer<Remote> => {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  const listeners = new Map<string, Array<(payload: unknown) => void>>()
  let nextId = 1
  const send = (envelope: Envelope): void => {
    if (port.send === undefined) throw new Error("bench: no IPC channel (run this file through bench/run.ts)")
    port.send(envelope as unknown as Serializable)
  }
  port.on("message", (message) => {
    if (!isEnvelope(message)) return
    if (message.kind === "event") {
      for (const listener of listeners.get(message.name) ?? []) listener(message.payload)
      return
    }
    if (message.kind === "reply") {
      const waiter = pending.get(message.id)
      pending.delete(message.id)
      if (waiter === undefined) return
      if (message.ok) waiter.resolve(message.result)
      else waiter.reject(new Error(message.error))
      return
    }
    const handler = (handlers as Record<string, ((params: unknown) => unknown) | undefined>)[message.method]
    const { id } = message
    if (handler === undefined) {
      send({ kind: "reply", id, ok: false, error: `unknown method '${message.method}'` })
      return
    }
    Promise.resolve()
      .then(() => handler(message.params))
      .then(
        (result) => send({ kind: "reply", id, ok: true, result: result ?? null }),
        (error: unknown) =>
          send({
            kind: "reply",
            id,
            ok: false,
            error: error instanceof Error ? error.message : String(error)
          })
      )
  })
  return {
    call: (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        send({ kind: "call", id, method, params })
      }),
    emit: (name, payload) => send({ kind: "event", name, payload }),
    onEvent: (name, listener) => {
      listeners.set(name, [...(listeners.get(name) ?? []), listener])
    }
  }
}
