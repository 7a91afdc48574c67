/**
 * The help texts of `tensoras-ingest`: what `--help` prints, and the usage shown after a usage error.
 * Loads no Effect (see `args.ts`).
 */
import * as Scenarios from "@tensoras/ingestion-testkit/Scenarios"

/** `IngestionJobs.DEFAULT_BASE_URL`, restated without loading that module (a test keeps them equal). */
export const DEFAULT_BASE_URL = "https://api.tensoras.ai/v1"

const CONNECTION_HELP = `Connection:
  --api-key <key>        the API key (default: $TENSORAS_API_KEY); never printed
  --base-url <url>       the API's base URL (default: $TENSORAS_BASE_URL, else ${DEFAULT_BASE_URL});
                         https:, or http: on a loopback host
  --allow-insecure-http  accept an http: base URL on any host (the key then crosses the network in clear)
  --request-timeout <d>  the time one request attempt may take, such as 5s (default 30s)

A service that never answers (nothing listens, an unknown host, every request timed out) ends the
command after 6 attempts: error Unreachable, exit 4. Each retry is shown with its cause, e.g.
"ECONNREFUSED 127.0.0.1:9, retry 3 in 2.1 s". TENSORAS_LOG=debug prints every request and retry
on stderr (never the key).`

const EXIT_CODES_HELP = `Exit codes:
  0    success (wait: every job completed, even if some documents failed)
  1    a job failed
  2    bad usage or input (nothing was sent)
  3    a wait ended first: --timeout passed, or --max-polls polls were made
  4    API error (authentication, not found, bad response, service unreachable; for list and
       get also retries exhausted: a wait polls on instead)
  70   a bug of the command itself
  130  interrupted by SIGINT (Ctrl-C)
  143  interrupted by SIGTERM`

export const MAIN_USAGE = `Usage: tensoras-ingest <command> [options]

Read and wait on Tensoras ingestion jobs.

Commands:
  jobs list <kb_id>             list the jobs of a knowledge base
  jobs get <kb_id> <job_id>     show one job with its documents
  jobs wait <kb_id> <job_id>... wait until jobs complete or fail, showing their progress
  jobs wait <kb_id> --all-active  ... every queued or processing job of the knowledge base
  watch <kb_id> [<job_id>...] --web  the same waits live on a local page (several knowledge bases too)
  simulate                      serve a simulated API on loopback until SIGINT / SIGTERM
  demo                          watch a simulated sync to its end (no network, no key); --web: on a page

Options:
  -h, --help             help (also per command: tensoras-ingest jobs wait --help)
  --version              print the version

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`

export const JOBS_USAGE = `Usage: tensoras-ingest jobs <list | get | wait> ... [options]

  jobs list <kb_id> [--status <s>] [--limit <n>] [--after <job_id>] [--all] [--json]
  jobs get  <kb_id> <job_id> [--json]
  jobs wait <kb_id> (<job_id>... | --all-active) [--interval <dur>] [--max-interval <dur>]
            [--max-polls <n>] [--timeout <dur>] [--json] [--verbose]

Run 'tensoras-ingest jobs <command> --help' for the options of each.
`

export const LIST_USAGE = `Usage: tensoras-ingest jobs list <kb_id> [options]

Lists the ingestion jobs of a knowledge base, one per line:
  job_abc123: completed - 15 docs, 482 chunks

Options:
  --status <s>           only jobs in this status: queued, processing, completed or failed
  --limit <n>            at most n jobs, 1 to 100 (the API's default is 20); with --all, the page size
  --after <job_id>       only jobs created after this one (the API's cursor)
  --all                  every job, following the cursor page after page
  --json                 the API's job objects, one JSON object per line (NDJSON)
  -h, --help             this help

${CONNECTION_HELP}
`

export const GET_USAGE = `Usage: tensoras-ingest jobs get <kb_id> <job_id> [options]

Shows one ingestion job: its status and counters, then one line per document.

Options:
  --json                 the API's job object (with document_details), on one line
  -h, --help             this help

${CONNECTION_HELP}
`

export const WAIT_USAGE = `Usage: tensoras-ingest jobs wait <kb_id> <job_id> [<job_id>...] [options]
       tensoras-ingest jobs wait <kb_id> --all-active [options]

Polls jobs of one knowledge base until each completes or fails (one polling loop for all of
them). On a terminal: a live view, the totals, then a line per job, those that need attention
(failed, stalled, retrying) first. Otherwise: one line each time a job changes. Then a summary:
what failed first, then a count of the rest (on a terminal, as much as fits on the screen).

Options:
  --all-active           wait for every job of the knowledge base that is queued or processing now
  --interval <dur>       poll every <dur> (a fixed cadence)
  --max-interval <dur>   back off from --interval (default 1s) up to <dur>, x1.5 each poll
                         (neither flag: the default cadence, which reads each job's counters:
                         sparse while many documents are left, dense around its predicted end)
  --max-polls <n>        poll each job at most n times: then give up on it (exit 3)
  --timeout <dur>        give up after <dur> (default 30m): exit 3
  --json                 NDJSON on stdout, each event with its time ("at", ISO 8601):
                         {"event":"changed",...} each time a job changes, {"event":"ended",...}
                         with its result when its wait ends, {"event":"interrupted",...} on a signal
  --verbose              the summary lists every job and document, not only the failures, however
                         tall
  -h, --help             this help

Durations: a whole number and a unit, ms, s, m or h: 500ms, 5s, 2m, 1h.

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`

export const SIMULATE_USAGE = `Usage: tensoras-ingest simulate [options]

Serves the simulated ingestion-jobs API (the testkit's simulator) on 127.0.0.1 until SIGINT or
SIGTERM (exit 0). Prints its base URL alone on the first line, then its API key and IDs.

Options:
  --port <n>             the port (default: a free one)
  --scenario <name>      ${Object.keys(Scenarios.builtIn).join(", ")} (default: docs)
  -h, --help             this help
`

export const DEMO_USAGE = `Usage: tensoras-ingest demo [--verbose]
       tensoras-ingest demo --web [--port <n>]

Starts the simulator in-process (scenario realistic: a sync of 40 documents, 3 of which fail,
done in about 15 seconds), watches job_demo_sync to its end with the progress view, then prints
the documents that failed and how many HTTP requests the wait used. No network, no key.

With --web: the page of 'tensoras-ingest watch --web' on three simulated knowledge bases (that
sync, a job that fails, one with failed documents, and a 429 on the way), until Ctrl-C.

Options:
  --verbose              list every document, not only those that failed
  --web                  serve the live page on 127.0.0.1 and print its URL (opens nothing)
  --port <n>             with --web: the page's port (default: a free one)
  -h, --help             this help
`
