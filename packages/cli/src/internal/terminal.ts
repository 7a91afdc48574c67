/** Where `tensoras-ingest` writes: stdout and stderr, scrubbed of the API key, with what the terminal can do. */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

export interface TerminalShape {
  /** Writes to stdout as is (add the newline). */
  readonly out: (text: string) => Effect.Effect<void>
  /** Writes one line to stderr. */
  readonly err: (line: string) => Effect.Effect<void>
  /** stdout is a terminal that understands cursor movement: the live view is drawn. */
  readonly interactive: boolean
  /**
   * stderr is a terminal too: its lines land on the same screen as the view and the summary, so on
   * a terminal they count against its height (redirected, stderr gets every line).
   */
  readonly errInteractive: boolean
  /** Colours are welcome: an interactive terminal, and `NO_COLOR` unset or empty. */
  readonly color: boolean
  /** The width of the terminal, in columns. */
  readonly columns: () => number
  /** The height of the terminal, in rows. */
  readonly rows: () => number
}

export class Terminal extends Context.Service<Terminal, TerminalShape>()(
  "@tensoras/ingestion-node/cli/Terminal"
) {}

/** A whole number > 0 from the environment, or undefined. */
const sizeFromEnv = (name: "LINES" | "COLUMNS"): number | undefined => {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 ? value : undefined
}

/**
 * The process's own stdout and stderr; every text passes through `scrub` first. The size is the
 * terminal's; a terminal that reports none (0, as a pseudo-terminal without a window may) falls back
 * on `LINES` and `COLUMNS` (the curses convention), then 24 × 80.
 */
export const fromProcess = (scrub: (text: string) => string): TerminalShape => {
  const interactive = process.stdout.isTTY === true && process.env.TERM !== "dumb"
  return {
    out: (text) =>
      Effect.sync(() => {
        process.stdout.write(scrub(text))
      }),
    err: (line) =>
      Effect.sync(() => {
        process.stderr.write(`${scrub(line)}\n`)
      }),
    interactive,
    errInteractive: process.stderr.isTTY === true,
    color: interactive && (process.env.NO_COLOR ?? "") === "",
    columns: () => process.stdout.columns || sizeFromEnv("COLUMNS") || 80,
    rows: () => process.stdout.rows || sizeFromEnv("LINES") || 24
  }
}

const SGR = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39]
} as const

export type Style = keyof typeof SGR

/** Paints text with ANSI styles when colours are on; returns it unchanged otherwise. */
export const painter =
  (color: boolean) =>
  (style: Style, text: string): string =>
    color ? `\x1b[${SGR[style][0]}m${text}\x1b[${SGR[style][1]}m` : text

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g

/** The text without ANSI sequences: what the terminal shows. */
export const visible = (text: string): string => text.replace(ANSI, "")

/** A line that fits in `columns` (a line that wraps would break the redraw); colours go if it must be cut. */
export const fitToWidth = (line: string, columns: number): string => {
  const width = Math.max(20, columns - 1)
  const plain = visible(line)
  return plain.length <= width ? line : `${plain.slice(0, width - 1)}…`
}

export const HIDE_CURSOR = "\x1b[?25l"
export const SHOW_CURSOR = "\x1b[?25h"
/** Back to the first line of a block of `lines` lines just written, and clear from there down. */
export const rewind = (lines: number): string => `\x1b[${lines}A\r\x1b[J`
