import { RetrySchedule } from "@tensoras/ingestion"
import type * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import { DenoIngestion } from "@tensoras/ingestion-deno"
import type { ServedSimulator } from "@tensoras/ingestion-deno/DenoSimulator"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

/** The client against a served simulator, with fast retries so that a fault costs milliseconds. */
export const clientLayer = (
  sim: ServedSimulator,
  options: Partial<DenoIngestion.Options> = {}
): Layer.Layer<IngestionJobs.IngestionJobs, unknown> =>
  DenoIngestion.layer({
    apiKey: Redacted.make(sim.apiKey),
    baseUrl: sim.baseUrl,
    retrySchedule: RetrySchedule.exponential({ base: "5 millis", max: "20 millis", retries: 5, jitter: 0 }),
    ...options
  })

/** Runs a program on the client and returns its Exit. */
export const runExit = <A, E, R>(
  program: Effect.Effect<A, E, R>,
  layer: Layer.Layer<R, unknown>
): Promise<Exit.Exit<A, unknown>> => Effect.runPromiseExit(Effect.provide(program, layer))

/** The error of a failed Exit, or a thrown assertion. */
export const failureOf = <A>(exit: Exit.Exit<A, unknown>): unknown => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const failure = exit.cause.reasons.find(Cause.isFailReason)
  if (failure === undefined) {
    throw new Error(`expected a typed failure, got cause ${exit.cause.reasons.map((reason) => reason._tag)}`)
  }
  return failure.error
}

/** The repository root and the Deno config, for subprocesses. */
export const repoRoot = new URL("../../../", import.meta.url).pathname
export const denoConfig = new URL("../deno.json", import.meta.url).pathname

/** Runs `deno run` with exactly the flags given, and collects its output. */
export const denoRun = async (
  flags: ReadonlyArray<string>,
  script: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>
): Promise<{ code: number; stdout: string; stderr: string }> => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--config", denoConfig, ...flags, script, ...args],
    cwd: repoRoot,
    env,
    stdout: "piped",
    stderr: "piped"
  }).output()
  const decoder = new TextDecoder()
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) }
}
