/**
 * A child's run as `TestProcess` sees it: what it prints, read as it comes (stdout, stderr, stdout's
 * complete lines), how it ended, and the waits on its output (`printed`, `line`), which reject when the
 * child ends first or after the limit.
 */
import type { ChildProcess } from "node:child_process"
import * as Eventually from "../Eventually.js"
import type { Exit, LineMatch } from "../TestProcess.js"

/** The longest delay `setTimeout` keeps: a longer limit is no limit. */
export const MAX_TIMER_MS = 2_147_483_647

/** A child's output so far, and its end once it came. */
export interface Run {
  /** The process's name in errors. */
  readonly name: string
  /** How long each wait on its output waits. */
  readonly limitMs: number
  stdout: string
  stderr: string
  /** The complete lines of stdout (without their line breaks). */
  readonly complete: Array<string>
  /** The line of stdout still being written. */
  partial: string
  readonly lineListeners: Set<(line: string) => void>
  /** Called on every change: new output, or the end. */
  readonly watchers: Set<() => void>
  ended: Exit | undefined
  /** Why a program that could not start never ran (no such file). */
  startError: Error | undefined
  /** Its lifetime ran out: it was killed. */
  outOfTime: boolean
}

export const makeRun = (name: string, limitMs: number): Run => ({
  name,
  limitMs,
  stdout: "",
  stderr: "",
  complete: [],
  partial: "",
  lineListeners: new Set(),
  watchers: new Set(),
  ended: undefined,
  startError: undefined,
  outOfTime: false
})

export const notify = (run: Run): void => {
  for (const watcher of [...run.watchers]) watcher()
}

const TAIL = 2_000
export const tail = (label: string, text: string): string =>
  `${label}: ${text === "" ? "(nothing)" : JSON.stringify(text.length > TAIL ? `…${text.slice(-TAIL)}` : text)}`

const endOf = (exit: Exit): string => (exit.signal === null ? `exit code ${exit.code}` : exit.signal)

const matcher = (match: LineMatch): ((line: string) => boolean) =>
  typeof match === "string"
    ? (line) => line === match
    : match instanceof RegExp
      ? (line) => line.search(match) >= 0
      : match

/** Reads the child's stdout (line by line too) and stderr as they come. */
export const read = (run: Run, child: ChildProcess): void => {
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    run.stdout += chunk
    run.partial += chunk
    if (chunk.includes("\n")) {
      const parts = run.partial.split("\n")
      run.partial = parts.pop() ?? ""
      for (const part of parts) {
        const line = part.endsWith("\r") ? part.slice(0, -1) : part
        run.complete.push(line)
        for (const listener of [...run.lineListeners]) listener(line)
      }
    }
    notify(run)
  })
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    run.stderr += chunk
  })
}

/** Resolves with `found()`'s first answer; rejects when the process ends first, or after the limit. */
const waitFor = <A>(run: Run, what: string, found: () => A | undefined): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const finish = (done: () => void) => {
      run.watchers.delete(check)
      clearTimeout(timer)
      done()
    }
    const check = () => {
      const value = found()
      if (value !== undefined) return finish(() => resolve(value))
      if (run.ended !== undefined) {
        const end = run.ended
        finish(() =>
          reject(
            new Error(
              `${run.name} ended (${endOf(end)}) before ${what}\n${tail("stdout", end.stdout)}\n${tail("stderr", end.stderr)}`
            )
          )
        )
      }
    }
    const timer =
      run.limitMs <= MAX_TIMER_MS
        ? setTimeout(
            () =>
              finish(() =>
                reject(
                  new Eventually.GaveUp(
                    `${run.name} ${what}`,
                    run.limitMs,
                    `${tail("stdout", run.stdout)}\n${tail("stderr", run.stderr)}`
                  )
                )
              ),
            run.limitMs
          )
        : undefined
    run.watchers.add(check)
    check()
  })

/** Resolves with the stdout so far once it contains `text` (or matches the pattern). */
export const printed = (run: Run, text: string | RegExp): Promise<string> => {
  if (typeof text !== "string")
    return waitFor(run, `printed ${String(text)}`, () =>
      run.stdout.search(text) >= 0 ? run.stdout : undefined
    )
  // Each check searches what is new (and the text's length before it), not all of stdout again.
  let from = 0
  return waitFor(run, `printed ${JSON.stringify(text)}`, () => {
    const found = run.stdout.includes(text, from)
    from = Math.max(0, run.stdout.length - text.length + 1)
    return found ? run.stdout : undefined
  })
}

/** Resolves with the first stdout line (already printed or to come) that matches. */
export const line = (run: Run, match: LineMatch): Promise<string> => {
  const test = matcher(match)
  const what = `printed a line ${typeof match === "function" ? "it waited for" : `matching ${typeof match === "string" ? JSON.stringify(match) : String(match)}`}`
  // Each check reads the lines that are new.
  let next = 0
  return waitFor(run, what, () => {
    for (; next < run.complete.length; next++) {
      const line = run.complete[next] as string
      if (test(line)) return line
    }
    return undefined
  })
}
