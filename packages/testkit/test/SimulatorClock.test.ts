import { describe, expect, it } from "vitest"
import { SimulatorClock } from "../src/index.js"
import { EPOCH_MS } from "./helpers.js"

describe("the manual clock", () => {
  it("stands still until advanced or set", () => {
    const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
    expect(clock.now()).toBe(EPOCH_MS)
    expect(clock.advance(250)).toBe(EPOCH_MS + 250)
    expect(clock.setTime(EPOCH_MS + 1_000)).toBe(EPOCH_MS + 1_000)
    expect(clock.now()).toBe(EPOCH_MS + 1_000)
  })

  it("never moves backwards (except by reset)", () => {
    const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
    expect(() => clock.advance(-1)).toThrow(RangeError)
    expect(() => clock.setTime(EPOCH_MS - 1)).toThrow(RangeError)
    clock.reset(EPOCH_MS - 5_000)
    expect(clock.now()).toBe(EPOCH_MS - 5_000)
  })

  it("wakes sleepers when time reaches their instant", async () => {
    const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
    const woke: Array<number> = []
    const a = clock.sleepUntil(EPOCH_MS + 100).then(() => woke.push(clock.now()))
    const b = clock.sleepUntil(EPOCH_MS + 300).then(() => woke.push(clock.now()))
    clock.advance(100)
    await a
    expect(woke).toEqual([EPOCH_MS + 100])
    clock.setTime(EPOCH_MS + 500)
    await b
    expect(woke).toEqual([EPOCH_MS + 100, EPOCH_MS + 500])
  })

  it("releases sleepers on abort and on dispose", async () => {
    const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
    const controller = new AbortController()
    const aborted = clock.sleepUntil(EPOCH_MS + 1_000_000, controller.signal)
    controller.abort()
    await aborted
    const disposed = clock.sleepUntil(EPOCH_MS + 1_000_000)
    clock.dispose()
    await disposed
    expect(clock.now()).toBe(EPOCH_MS)
  })
})

describe("the real clock", () => {
  it("follows real time from its epoch, and can still be advanced", () => {
    const clock = SimulatorClock.make({ mode: "real", epochMs: EPOCH_MS })
    const start = clock.now()
    expect(start - EPOCH_MS).toBeLessThan(1_000)
    expect(clock.advance(60_000) - start).toBeGreaterThanOrEqual(60_000)
  })

  it("wakes an engine-time sleeper early when advanced past its instant", async () => {
    const clock = SimulatorClock.make({ mode: "real", epochMs: EPOCH_MS })
    const sleeping = clock.sleepUntil(EPOCH_MS + 3_600_000)
    clock.advance(3_600_000)
    await sleeping
    clock.dispose()
  })
})
