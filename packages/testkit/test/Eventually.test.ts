import { describe, expect, it } from "vitest"
import { Eventually } from "../src/index.js"

describe("Eventually.until", () => {
  it("checks until the condition holds, and resolves with the check's answer", async () => {
    let checks = 0
    const answer = await Eventually.until("the third check", () => (++checks === 3 ? { checks } : undefined))
    expect(answer).toEqual({ checks: 3 })
  })

  it("takes null, undefined and false for 'not yet'; 0 and '' are answers", async () => {
    const answers = [null, undefined, false, 0]
    expect(await Eventually.until("0", () => answers.shift())).toBe(0)
    expect(await Eventually.until("an empty string", () => "")).toBe("")
  })

  it("awaits an asynchronous check", async () => {
    let checks = 0
    expect(await Eventually.until("a query", async () => ++checks >= 2)).toBe(true)
  })

  it("gives up after its limit with a GaveUp naming what it waited for and the state described", async () => {
    const error = await Eventually.until("the rows", () => false, {
      limitMs: 20,
      describe: async () => "rows: 3 of 5"
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Eventually.GaveUp)
    expect(error).toMatchObject({ what: "the rows", limitMs: 20 })
    expect((error as Error).message).toBe("Gave up after 20 ms waiting for the rows\nrows: 3 of 5")
  })

  it("a describe hook that throws still lets the wait give up, and says so", async () => {
    const error = await Eventually.until("x", () => false, {
      limitMs: 1,
      describe: () => {
        throw new Error("no database")
      }
    }).catch((e: unknown) => e)
    expect((error as Error).message).toBe(
      "Gave up after 1 ms waiting for x\n(describe failed: Error: no database)"
    )
  })

  it("a check that throws ends the wait with its error", async () => {
    const boom = new Error("boom")
    await expect(
      Eventually.until("never", () => {
        throw boom
      })
    ).rejects.toBe(boom)
  })

  it("an aborted signal ends the wait with its reason", async () => {
    const controller = new AbortController()
    const wait = Eventually.until("never", () => false, { signal: controller.signal })
    controller.abort(new Error("the test ended"))
    await expect(wait).rejects.toThrow("the test ended")
  })
})

describe("Eventually.within", () => {
  it("resolves or rejects as the promise does", async () => {
    expect(await Eventually.within("a value", Promise.resolve(1))).toBe(1)
    await expect(Eventually.within("a failure", Promise.reject(new Error("no")))).rejects.toThrow("no")
  })

  it("gives up after its limit with a GaveUp", async () => {
    const error = await Eventually.within("the exit", new Promise(() => {}), {
      limitMs: 10,
      describe: () => "still running"
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Eventually.GaveUp)
    expect((error as Error).message).toBe("Gave up after 10 ms waiting for the exit\nstill running")
  })

  it("an infinite limit is no limit (not a timer that fires at once)", async () => {
    let resolve: (value: string) => void = () => {}
    const later = new Promise<string>((r) => {
      resolve = r
    })
    const wait = Eventually.within("the value", later, { limitMs: Number.POSITIVE_INFINITY })
    await new Promise((r) => setImmediate(r))
    resolve("late")
    expect(await wait).toBe("late")
  })

  it("an aborted signal ends the wait with its reason", async () => {
    const controller = new AbortController()
    controller.abort(new Error("stopped"))
    await expect(
      Eventually.within("never", new Promise(() => {}), { signal: controller.signal })
    ).rejects.toThrow("stopped")
  })
})
