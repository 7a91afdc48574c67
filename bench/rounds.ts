/**
 * The rounds of one client process, as the orchestrator (`run.ts`) plans and starts them: which jobs, when
 * their waits start and when the server ends them, counted from the moment the simulator creates them. A
 * round goes: the client asks for its plan (the knowledge bases are created then), sets itself up, asks for
 * its start (the jobs are created then; the round starts once they all exist), runs its waits, and asks for
 * the terminal times as the server set them (its latencies). No step waits on a guessed lead time: each
 * follows the one before it.
 *
 * @module
 */
import type {
  ClientConfig,
  CreatedJobs,
  Handlers,
  Layout,
  OrchestratorApi,
  Peer,
  PlannedJob,
  RoundKey,
  SimulatorApi,
  Variant
} from "./protocol.js"
import type { SharedEstimate } from "./report.js"

/** Waits of the warm-up round (on jobs of another knowledge base), whatever the level: enough to get code hot. */
export const WARMUP_WAITS = 50

/** The resident wait's job (see `client.ts`) runs this long: longer than any run. */
const RESIDENT_JOB_MS = 4 * 60 * 60 * 1000

/** Phase in [0, 1) of sample `index` of `total`, evenly spread, so terminal times cover a whole interval. */
const phase = (index: number, total: number): number => (index + 0.5) / total

/** A job's timeline in wall-clock ms: when its wait starts, when the server ends it. */
export interface Timeline {
  readonly startAt: number
  readonly terminalAt: number
}

/** A shared level's jobs as the server runs them: all N (what W watches), and those the bare loops ran. */
export interface SharedPlan {
  readonly all: ReadonlyArray<Timeline>
  readonly picked: ReadonlyArray<Timeline>
}

/**
 * How many bare loops of a shared level run for real: all N when the simulator serves N requests per
 * interval (`--max-rate`), else as many as it does. N loops polling every I ms send N·1000/I requests a
 * second; at 10,000 jobs and 1 s that is 10,000/s, far past what one simulator process on this machine
 * answers, so the loops would measure its queue.
 */
export const sharedLoops = (jobs: number, intervalMs: number, maxRate: number): number =>
  Math.max(1, Math.min(jobs, Math.floor((maxRate * intervalMs) / 1000)))

/** `count` items of `all`, spread evenly over it (the i-th from the middle of the i-th equal slice). */
const pickEvenly = <A>(all: ReadonlyArray<A>, count: number): Array<A> =>
  Array.from({ length: count }, (_, index) => all[Math.floor(((index + 0.5) * all.length) / count)]!)

/**
 * The responses a bare loop sends for one job: it polls when its wait starts, then once per interval
 * (plus its round trip, left out here), until a poll finds the job terminal.
 */
const loopPolls = (job: Timeline, intervalMs: number): number =>
  1 + Math.max(0, Math.ceil((job.terminalAt - job.startAt) / intervalMs))

/**
 * The bare loops' figures for all N jobs of a shared level, from the loops that ran: the responses all N
 * would get, computed from the plan (each job's polls, {@link loopPolls}) and calibrated by what the loops
 * that ran actually got against the same formula (their round trips make them poll a little less often);
 * the CPU for all N is then the CPU per response measured × those responses.
 */
export const sharedEstimate = (
  jobs: number,
  intervalMs: number,
  plan: SharedPlan,
  responsesRun: number
): SharedEstimate => {
  const predictedAll = plan.all.reduce((sum, job) => sum + loopPolls(job, intervalMs), 0)
  const predictedRun = plan.picked.reduce((sum, job) => sum + loopPolls(job, intervalMs), 0)
  return {
    jobs,
    loops: plan.picked.length,
    predictedAll,
    predictedRun,
    responsesRun,
    responsesAll: predictedAll * (responsesRun / Math.max(1, predictedRun))
  }
}

/** One client process's level, as the orchestrator runs it. */
export interface ClientLevel {
  readonly layout: Layout
  readonly variant: Variant
  /** The level's jobs (N; the client may run fewer: `loops`). */
  readonly concurrency: number
  /** The waits the client runs per measured round. */
  readonly loops: number
  readonly config: ClientConfig
  /** The id stem of its knowledge bases and jobs. */
  readonly base: string
  /** A shared level's span, in intervals from a wait's start to its job's end. */
  readonly sharedSpan: readonly [number, number]
}

interface Round {
  readonly kbId: string
  readonly documents: number
  /** All the round's jobs as planned (a shared level's N), and those the client runs. */
  readonly all: ReadonlyArray<PlannedJob>
  readonly picked: ReadonlyArray<PlannedJob>
  created?: CreatedJobs
}

/**
 * The orchestrator's side of one client process: its rounds' plans, their starts and terminal times, its
 * resident wait's job. `planned` holds a shared level's measured round as the server runs it (for
 * {@link sharedEstimate}) once it has started.
 */
export const clientRounds = (
  level: ClientLevel,
  simulator: Peer<SimulatorApi>
): {
  readonly handlers: Pick<Handlers<OrchestratorApi>, "jobs" | "start" | "terminals" | "resident">
  readonly planned: () => SharedPlan | undefined
} => {
  const { layout, config, base, concurrency, loops } = level
  const rounds = new Map<string, Round>()
  const keyOf = ({ purpose, round }: RoundKey) => `${purpose} ${round}`
  let planned: SharedPlan | undefined
  const roundOf = (key: RoundKey): Round => {
    const round = rounds.get(keyOf(key))
    if (round === undefined) throw new Error(`no plan for round ${keyOf(key)}`)
    return round
  }
  const jobs = async ({ purpose, round }: RoundKey) => {
    const warmup = purpose === "warmup"
    const count = warmup ? config.warmupWaits : concurrency
    const interval = warmup ? config.warmupIntervalMs : config.intervalMs
    // Shared levels run realistic timelines (many intervals); the warm-up stays short.
    const [spanFrom, spanTo] = layout === "shared" && !warmup ? level.sharedSpan : [2, 3]
    const samples = purpose === "measure" ? count * config.rounds : count
    const kbId = `${base}_${purpose}${purpose === "measure" ? "" : `_${round}`}`
    const all = Array.from({ length: count }, (_, index): PlannedJob => {
      // Waits start spread over one interval; each job ends `spanFrom` to `spanTo` intervals after its wait
      // starts, the offsets spread evenly (across rounds too), so detection latency samples every phase of
      // the polling.
      const startOffset = count === 1 ? 0 : Math.round(interval * phase(index, count))
      const offset = phase(purpose === "measure" ? round * count + index : index, samples)
      return {
        ...(layout === "separate" ? { kbId: `${kbId}_${round}_${index}` } : {}),
        jobId: `job_${base.slice(3)}_${purpose}_${round}_${index}`,
        startOffset,
        terminalOffset: startOffset + interval * (spanFrom + (spanTo - spanFrom) * offset)
      }
    })
    const picked = warmup || loops === count ? all : pickEvenly(all, loops)
    await simulator.call("prepare", { kbIds: [...new Set(picked.map((job) => job.kbId ?? kbId))] })
    rounds.set(keyOf({ purpose, round }), {
      kbId,
      documents: layout === "shared" ? 10 : 3,
      all,
      picked
    })
    return { kbId, jobs: picked }
  }
  const start = async (key: RoundKey) => {
    const round = roundOf(key)
    const created = await simulator.call("createJobs", {
      kbId: round.kbId,
      jobs: round.picked,
      documents: round.documents
    })
    round.created = created
    if (layout === "shared" && key.purpose === "measure") {
      // What the server does for the jobs run (terminal times as the simulator set them); the others' times
      // are as planned (the simulator rounds them by under a ms).
      const exact = new Map(round.picked.map((job, index) => [job.jobId, created.terminalAts[index]!]))
      const timeline = (job: PlannedJob): Timeline => ({
        startAt: created.anchor + job.startOffset,
        terminalAt: exact.get(job.jobId) ?? created.createdAt + job.terminalOffset
      })
      planned = { all: round.all.map(timeline), picked: round.picked.map(timeline) }
    }
    return { anchor: created.anchor, createdAt: created.createdAt }
  }
  const terminals = (key: RoundKey) => {
    const created = roundOf(key).created
    if (created === undefined) throw new Error(`round ${keyOf(key)} has not started`)
    return created.terminalAts
  }
  const resident = async () => {
    const kbId = `${base}_resident`
    const jobId = `job_${base.slice(3)}_resident`
    await simulator.call("createJobs", {
      kbId,
      jobs: [{ jobId, startOffset: 0, terminalOffset: RESIDENT_JOB_MS }]
    })
    return { kbId, jobId }
  }
  return { handlers: { jobs, start, terminals, resident }, planned: () => planned }
}
