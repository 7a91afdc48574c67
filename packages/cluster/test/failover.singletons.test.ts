/**
 * The runner that held the cluster's singletons (among them `effect/cluster`'s runner health check) killed with
 * `kill -9` under a `tensoras-cluster wait`: the other runners notice within seconds (nobody checks the checker
 * otherwise), its knowledge base is polled again by a survivor, and the command's timeout still tells what the
 * dead runner's polls saw.
 */
import { Eventually } from "@tensoras/ingestion-testkit"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { EVENTS } from "./support/eventLimit.js"
import { type FailoverWorld, startFailoverWorld } from "./support/failover.js"
import { psql } from "./support/postgres.js"
import { HEALTH_SINGLETON, holderOf, shardOf } from "./support/processes.js"
import { linesOf } from "./support/waitOutput.js"

describe("tensoras-cluster wait while the runner holding the singletons dies", () => {
  let world: FailoverWorld

  beforeAll(async () => {
    world = await startFailoverWorld(inject("postgresUrl"), "cluster_failover_singletons")
  })

  afterAll(async () => {
    await world?.close()
  })

  it("takes a runner's work over within seconds when the one killed held the cluster's singletons", async () => {
    const { sim, databaseUrl, responsesOf, knowledgeBaseOf, wait } = world
    const live = world.alive()
    const victim = holderOf(live, HEALTH_SINGLETON)
    const survivors = live.filter((runner) => runner !== victim)

    // A knowledge base the victim hosts, with a wait on a job that stays queued: its polls are seen, and it
    // times out after the failover, on a survivor.
    const knowledgeBaseId = knowledgeBaseOf(victim, live, "kb_singletons")
    sim.control.addKnowledgeBase(knowledgeBaseId)
    sim.control.addDataSource(knowledgeBaseId, {
      jobId: "job_queued",
      queuedMs: 3_600_000,
      documents: [{ name: "notes.md", durationMs: 500 }]
    })
    const command = wait([knowledgeBaseId, "job_queued", "--timeout", "45s"])
    const responsesSeen = () => responsesOf(knowledgeBaseId, "job_queued")
    await Eventually.until(
      "the victim's polls of the wait recorded",
      async () => (await responsesSeen()) >= 3,
      EVENTS
    )
    const seenBefore = await responsesSeen()

    const killedAt = Date.now()
    victim.kill("SIGKILL")
    await Eventually.within("the killed runner's exit", victim.exited, EVENTS)
    // The survivors mark it unhealthy (the cluster's own check ran on it: nobody checks the checker).
    await Eventually.until(
      "the dead holder of the singletons marked unhealthy",
      async () =>
        (
          await psql(databaseUrl, `SELECT healthy FROM cluster_runners WHERE address = '${victim.address}'`)
        )[0]?.[0] === "f",
      EVENTS
    )
    const unhealthyMs = Date.now() - killedAt
    // Its knowledge base is polled again, by a survivor.
    const firstRound = await Eventually.until(
      "a survivor's round of the victim's knowledge base",
      () =>
        survivors
          .flatMap((runner) => runner.rounds)
          .filter((round) => round.knowledgeBaseId === knowledgeBaseId && round.at > killedAt)
          .sort((a, b) => a.at - b.at)[0],
      EVENTS
    )
    const failoverMs = firstRound.at - killedAt
    process.stdout.write(
      `singletons' holder killed (shard ${shardOf(HEALTH_SINGLETON)}): marked unhealthy after ${unhealthyMs} ms, its knowledge base polled again after ${failoverMs} ms\n`
    )

    // The timeout says what the polls saw before the failover too, not only after it.
    expect((await Eventually.within("the command's exit", command.exited, EVENTS)).code).toBe(1)
    const [line] = linesOf(command)
    expect(line).toEqual(expect.objectContaining({ job_id: "job_queued", outcome: "timed_out" }))
    const responses = Number(/last status: queued, (\d+) responses/.exec(line?.message ?? "")?.[1] ?? -1)
    expect(responses, line?.message).toBeGreaterThanOrEqual(seenBefore)
  })
})
