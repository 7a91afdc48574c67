/**
 * `pnpm bench`'s options: argv, else the `BENCH_*` environment variables, else the defaults (see `USAGE`).
 *
 * @module
 */
import { resolve } from "node:path"
import { parseArgs } from "node:util"
import type { Variant } from "./protocol.js"

const USAGE = `Usage: pnpm bench [options]   (or: tsx bench/run.ts [options])

Options (environment variable in brackets):
  --levels LIST      single waits, each on a job of its own knowledge base (no sharing
                     possible), per level, comma-separated, default 1,100,1000;
                     "none" for none                                                [BENCH_LEVELS]
  --shared LIST      watched jobs of one knowledge base (10 documents each) per level,
                     default 1000,10000; "none" for none                            [BENCH_SHARED]
  --shared-interval MS  poll interval of the shared levels (engine and bare loops), at
                     least; lengthened to 0.5 ms per watched job (a sweep of N jobs reads
                     N/100 pages one after the other: it must stay a small part of an
                     interval), default 1000                              [BENCH_SHARED_INTERVAL_MS]
  --shared-span A-B  how long a shared level's jobs run, in intervals from their wait's
                     start, spread evenly from A to B; default 20-40            [BENCH_SHARED_SPAN]
  --shared-repeat N  runs of each shared (level, variant), interleaved, default 3 (a run
                     lasts up to B intervals)                                 [BENCH_SHARED_REPEAT]
  --repeat N         runs of each (level, variant), interleaved, default 3           [BENCH_REPEAT]
  --interval MS      poll interval of every variant, default 150                      [BENCH_INTERVAL_MS]
  --max-rate N       lengthen a level's interval so that its waits send at most N
                     requests/s in all, default 500 (the simulator keeps up)          [BENCH_MAX_RATE]
  --variants LIST    A (library Promise wait), B (bare loop), C (library Effect wait),
                     M (the machine); default A,B,C,M (A,B with --quick)              [BENCH_VARIANTS]
  --shared-variants LIST  variants of the shared levels: W (Wait.watchAll over all the
                     jobs), C (one Wait.waitFor per job), B; default W,B (B always runs)
                                                                               [BENCH_SHARED_VARIANTS]
  --min-samples N    latency samples per level at least (small levels repeat), default 20;
                     below 100 waits a run has 50 rounds (but with --quick)
                                                                                      [BENCH_MIN_SAMPLES]
  --timeout S        give up after S seconds in all, default 3600                     [BENCH_TIMEOUT_S]
  --quick            levels 1,10, shared 200, interval 100, 5 samples, 2 heap rounds,
                     variants A,B, 1 repeat (shared too), no docs written: a smoke run for CI
                     (under a minute), noisy numbers
  --out FILE         the Markdown file to update, default docs/benchmarks.md
  --write            update it (the default, except with --quick)
  --no-write         do not
  --profile DIR      write a V8 CPU profile of each client process to DIR (slows them)
  --library DIR      load the library from DIR (a copy of the builds laid out as the run's
                     own: DIR/node_modules/@tensoras/ingestion{,-node}/dist), not from
                     this checkout's builds: to compare two versions, interleaved runs
  -h, --help         this help
`

const fail = (message: string): never => {
  console.error(`bench: ${message}`)
  process.exit(2)
}

/** The run's options, from argv and the environment (`--help` prints the usage and exits); files are resolved from `root`. */
export const parseOptions = (root: string) => {
  let values: ReturnType<typeof parse>
  function parse() {
    return parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        levels: { type: "string" },
        shared: { type: "string" },
        "shared-interval": { type: "string" },
        "shared-span": { type: "string" },
        "shared-repeat": { type: "string" },
        "shared-variants": { type: "string" },
        repeat: { type: "string" },
        interval: { type: "string" },
        "max-rate": { type: "string" },
        variants: { type: "string" },
        "min-samples": { type: "string" },
        timeout: { type: "string" },
        quick: { type: "boolean" },
        out: { type: "string" },
        write: { type: "boolean" },
        "no-write": { type: "boolean" },
        profile: { type: "string" },
        library: { type: "string" },
        help: { type: "boolean", short: "h" }
      }
    }).values
  }
  try {
    values = parse()
  } catch (cause) {
    return fail(`${cause instanceof Error ? cause.message : String(cause)}\n\n${USAGE}`)
  }
  if (values.help) {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  const env = process.env
  const quick = values.quick === true
  const integer = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined || raw === "") return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max)
      fail(`${name} must be an integer from ${min} to ${max}, got '${raw}'`)
    return value
  }
  // A list of levels; "none" (or nothing) for none, never a level 0 read from an empty entry.
  const levelList = (name: string, raw: string, max: number): Array<number> =>
    raw.trim() === "none" || raw.trim() === ""
      ? []
      : raw.split(",").map((level) => {
          if (level.trim() === "") fail(`${name} has an empty entry: '${raw}'`)
          return integer(name, level.trim(), 0, 1, max)
        })
  const levels = levelList(
    "--levels",
    values.levels ?? env.BENCH_LEVELS ?? (quick ? "1,10" : "1,100,1000"),
    5_000
  )
  const shared = levelList(
    "--shared",
    values.shared ?? env.BENCH_SHARED ?? (quick ? "200" : "1000,10000"),
    20_000
  )
  const variantsRaw = values.variants ?? env.BENCH_VARIANTS
  const variants =
    variantsRaw === undefined
      ? undefined
      : variantsRaw.split(",").map((variant) => {
          const name = variant.trim().toUpperCase()
          if (name !== "A" && name !== "B" && name !== "C" && name !== "M")
            fail(`unknown variant '${variant}' (A, B, C or M; W is for --shared-variants)`)
          return name as Variant
        })
  if (variants !== undefined && variants.length === 0) fail("--variants is empty")
  const sharedVariantsRaw = values["shared-variants"] ?? env.BENCH_SHARED_VARIANTS ?? "W,B"
  const sharedVariants = [
    ...new Set([
      ...sharedVariantsRaw.split(",").map((variant) => {
        const name = variant.trim().toUpperCase()
        if (name !== "W" && name !== "C" && name !== "B")
          fail(`unknown shared variant '${variant}' (W, C or B)`)
        return name as Variant
      }),
      "B" as const
    ])
  ]
  if (values.write && values["no-write"]) fail("--write and --no-write together")
  const spanRaw = values["shared-span"] ?? env.BENCH_SHARED_SPAN ?? (quick ? "5-10" : "20-40")
  const span = /^(\d+)-(\d+)$/.exec(spanRaw.trim())
  const sharedSpan =
    span === null || Number(span[1]) < 2 || Number(span[2]) < Number(span[1]) || Number(span[2]) > 1000
      ? fail(`--shared-span must be A-B with 2 <= A <= B <= 1000, got '${spanRaw}'`)
      : ([Number(span[1]), Number(span[2])] as const)
  return {
    quick,
    levels: [...new Set(levels)],
    shared: [...new Set(shared)],
    repeat: integer("--repeat", values.repeat ?? env.BENCH_REPEAT, quick ? 1 : 3, 1, 20),
    intervalMs: integer(
      "--interval",
      values.interval ?? env.BENCH_INTERVAL_MS,
      quick ? 100 : 150,
      10,
      10_000
    ),
    maxRate: integer("--max-rate", values["max-rate"] ?? env.BENCH_MAX_RATE, 500, 1, 100_000),
    sharedIntervalMs: integer(
      "--shared-interval",
      values["shared-interval"] ?? env.BENCH_SHARED_INTERVAL_MS,
      quick ? 200 : 1000,
      10,
      60_000
    ),
    sharedSpan,
    sharedVariants,
    sharedRepeat: integer(
      "--shared-repeat",
      values["shared-repeat"] ?? env.BENCH_SHARED_REPEAT,
      quick ? 1 : 3,
      1,
      20
    ),
    variants: variants === undefined ? undefined : [...new Set(variants)],
    minSamples: integer(
      "--min-samples",
      values["min-samples"] ?? env.BENCH_MIN_SAMPLES,
      quick ? 5 : 20,
      1,
      500
    ),
    timeoutMs: 1000 * integer("--timeout", values.timeout ?? env.BENCH_TIMEOUT_S, 3_600, 10, 14_400),
    out: resolve(root, values.out ?? "docs/benchmarks.md"),
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    libraryDir: values.library === undefined ? undefined : resolve(values.library),
    write: values.write === true || (!quick && values["no-write"] !== true)
  }
}
