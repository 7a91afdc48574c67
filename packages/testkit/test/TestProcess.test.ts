import { afterAll, describe, expect, it } from "vitest"
import { Eventually, TestProcess } from "../src/index.js"

afterAll(() => TestProcess.stopAll())

/** A shell program: starts in milliseconds, even on a loaded machine. */
const sh = (script: string, options: TestProcess.SpawnOptions = {}) =>
  TestProcess.spawn("sh", ["-c", script], options)

describe.concurrent("TestProcess", () => {
  it("captures stdout and stderr, and resolves exited with the code once all is read", async () => {
    const exit = await sh("echo one; echo two >&2; printf three; exit 3").exited
    expect(exit).toEqual({ code: 3, signal: null, stdout: "one\nthree", stderr: "two\n" })
  })

  it("lines: the complete ones; onLine: each line once, as it comes", async () => {
    const child = sh("printf 'a\\r\\nb\\n'; read go; printf 'c\\nd'", { stdin: "go\n" })
    const seen: Array<string> = []
    child.onLine((line) => seen.push(line))
    const exit = await child.exited
    expect(seen).toEqual(["a", "b", "c"])
    expect(child.lines()).toEqual(["a", "b", "c"])
    expect(exit.stdout).toBe("a\r\nb\nc\nd")
  })

  it("line and printed wait for output still to come; a line already printed answers at once", async () => {
    const child = sh("echo ready; read line; echo got $line; exec sleep 60", { stdin: "x\n" })
    expect(await child.line("ready")).toBe("ready")
    expect(await child.line(/^got /)).toBe("got x")
    expect(await child.line((line) => line.startsWith("r"))).toBe("ready")
    expect(await child.printed("got x\n")).toBe("ready\ngot x\n")
    expect(child.kill("SIGTERM")).toBe(true)
    const exit = await child.exited
    expect([exit.code, exit.signal]).toEqual([null, "SIGTERM"])
    expect(child.kill()).toBe(false)
  })

  it("a wait rejects when the process ends first, saying what it printed", async () => {
    const child = sh("echo partial; exit 4", { name: "the program" })
    await expect(child.printed("done")).rejects.toThrow(
      'the program ended (exit code 4) before printed "done"\nstdout: "partial\\n"\nstderr: (nothing)'
    )
    expect((await child.exited).code).toBe(4)
  })

  it("a wait gives up after the limit with an Eventually.GaveUp", async () => {
    const child = sh("echo started; exec sleep 60", { limitMs: 50, lifetimeMs: Number.POSITIVE_INFINITY })
    const error = await child.line("never").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Eventually.GaveUp)
    expect((error as Error).message).toMatch(
      /^Gave up after 50 ms waiting for sh -c .* printed a line matching "never"/
    )
    await child.stop()
  })

  it("a process still running after its lifetime is killed, and exited rejects with a GaveUp", async () => {
    const child = sh("exec sleep 60", { lifetimeMs: 50 })
    const error = await child.exited.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Eventually.GaveUp)
    expect((error as Error).message).toMatch(
      /^Gave up after 50 ms waiting for sh -c exec sleep 60 to exit \(killed\)/
    )
  })

  it("a canary key on stdout or stderr rejects exited, without the key in the error", async () => {
    const key = "tns_canary_0123456789abcdef01234567"
    const error = await sh(`echo "error: ${key}" >&2`, {
      canaries: ["tns_other", key],
      name: "leaky"
    }).exited.catch((e: unknown) => e)
    expect((error as Error).message).toBe("leaky: a canary key came out on its stderr")
    expect(await sh("echo clean", { canaries: [key] }).exited).toMatchObject({ code: 0 })
  })

  it("the child's environment: the test's, less TENSORAS_*, NO_COLOR, FORCE_COLOR and unset, plus env", async () => {
    process.env.TENSORAS_TEST_PROCESS_PROBE = "inherited"
    process.env.TEST_PROCESS_PROBE = "kept"
    try {
      const variables = async (options: TestProcess.SpawnOptions) =>
        (await TestProcess.spawn("env", [], options).exited).stdout.split("\n")
      const given = await variables({ env: { GIVEN: "given" } })
      expect(given).toContain("TEST_PROCESS_PROBE=kept")
      expect(given).toContain("GIVEN=given")
      expect(given.filter((line) => /^(TENSORAS_|NO_COLOR=|FORCE_COLOR=)/.test(line))).toEqual([])
      const unset = await variables({ unset: ["TEST_PROCESS_PROBE"] })
      expect(unset.filter((line) => line.startsWith("TEST_PROCESS_PROBE="))).toEqual([])
    } finally {
      delete process.env.TENSORAS_TEST_PROCESS_PROBE
      delete process.env.TEST_PROCESS_PROBE
    }
  })

  it("pty: the program runs in a terminal", async () => {
    const exit = await sh('test -t 1 && echo "terminal $TERM"', { pty: true }).exited
    expect(exit.code).toBe(0)
    expect(exit.stdout.replace(/\r/g, "")).toBe("terminal xterm\n")
  })

  it("a program that cannot start rejects exited and every wait", async () => {
    const child = TestProcess.spawn("/nonexistent/program", [])
    await expect(child.exited).rejects.toThrow(/ENOENT/)
    await expect(child.line("x")).rejects.toThrow(/program ended/)
  })

  it("nodeModule: an ES module on this Node, through tsx, with Node's flags", async () => {
    const child = TestProcess.nodeModule(
      ["const answer = 6 * 7", 'console.log(answer + " " + process.execArgv.join(" "))'].join("\n"),
      { nodeArgs: ["--no-warnings"] }
    )
    const exit = await child.exited
    expect([exit.code, exit.stderr]).toEqual([0, ""])
    expect(exit.stdout).toBe("42 --import tsx --no-warnings --input-type=module\n")
  })
})

describe("TestProcess.stopAll", () => {
  it("ends every process still running: the signal, then SIGKILL after the grace", async () => {
    const polite = sh("exec sleep 60")
    const stubborn = sh("trap '' TERM; echo trapped; exec sleep 60")
    await stubborn.line("trapped")
    await TestProcess.stopAll({ signal: "SIGTERM", graceMs: 100 })
    expect((await polite.exited).signal).toBe("SIGTERM")
    expect((await stubborn.exited).signal).toBe("SIGKILL")
  })
})
