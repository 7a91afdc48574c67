/** The help of `tensoras-ingest watch`. Loads no Effect (see `args.ts`). */

export const WATCH_USAGE = `Usage: tensoras-ingest watch <kb_id> [<job_id>...] [--kb <kb_id> [<job_id>...]]... --web [options]
       tensoras-ingest watch <kb_id> --all-active --web [options]

Waits on jobs of one or more knowledge bases and shows them live on a local page: each job's
state in the job machine (its diagram, as Stately draws it, with the state marked), its progress,
counts, elapsed time and how it ended; an ended job's documents, with why those that failed did;
per knowledge base, the requests the wait sent against those of the API docs' 5-second loop.

The page is served on 127.0.0.1 at a free port, under a random token: the command prints its
URL and opens nothing. The API key stays in this process: the page never sees it. The command
runs until Ctrl-C (exit 130), the page staying up after the jobs have ended.

Options:
  --web                  serve the page (required: in a terminal, use jobs wait)
  --kb <kb_id>           one more knowledge base; the job IDs after it are its own
  --all-active           every queued or processing job of each knowledge base given without job IDs
  --interval <dur>       poll every <dur> (a fixed cadence; default: the cadence of jobs wait)
  --timeout <dur>        give up on a job after <dur> (default 30m)
  --port <n>             serve on this port (default: a free one)
  -h, --help             this help

Durations: a whole number and a unit, ms, s, m or h: 500ms, 5s, 2m, 1h.

Connection:
  --api-key <key>, --base-url <url>, --allow-insecure-http, --request-timeout <d>: as for
  jobs wait (tensoras-ingest jobs wait --help).
`
