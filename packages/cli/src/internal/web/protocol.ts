/**
 * What the server of `tensoras-ingest watch --web` sends its page (server-sent events) and answers it
 * (a job's documents): the one contract of both. Types only, plain JSON: the page imports nothing
 * else from the server, and nothing here runs. No field ever holds the API key.
 */

/** A state of `JobMachine`, placed by the layout (page coordinates). */
export interface DiagramNode {
  /** The state's ID in the machine (`ingestionJob.watching.job.processing`); `init:<id>` for a start marker. */
  readonly id: string
  /** The state's key (`processing`); empty for a start marker. */
  readonly label: string
  readonly kind: "atomic" | "compound" | "parallel" | "final" | "initial"
  /** The state's description in the machine's definition. */
  readonly description: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** A transition of `JobMachine` (or a start marker's arrow), routed by the layout. */
export interface DiagramEdge {
  readonly from: string
  readonly to: string
  /** The event and its guard, as Stately shows them: `POLLED [jobCompleted]`; empty for a start arrow. */
  readonly label: string
  /** The route's points, start to end. */
  readonly points: ReadonlyArray<readonly [number, number]>
  /** Where the label goes: its top-left corner and size; absent without a label. */
  readonly labelBox?: {
    readonly x: number
    readonly y: number
    readonly width: number
    readonly height: number
  }
}

/** `JobMachine`'s states and transitions, laid out once by the server (elkjs). */
export interface Diagram {
  readonly width: number
  readonly height: number
  /** Parents before their children, so a page draws containers first. */
  readonly nodes: ReadonlyArray<DiagramNode>
  readonly edges: ReadonlyArray<DiagramEdge>
}

/** How a wait ended, for the page. */
export interface Ending {
  readonly tag: "Completed" | "Failed" | "TimedOut" | "Cancelled" | "Errored"
  /** One line: `completed, 3 of 40 documents failed`, `failed: Embedding service unavailable`, ... */
  readonly text: string
  /** Whether a document failed, or the job or the wait did: what needs a look. */
  readonly attention: boolean
}

/** One watched job as the page shows it. */
export interface JobRow {
  /** Its place on the page (and in the server's list): the key of updates and of its documents. */
  readonly key: number
  readonly knowledgeBaseId: string
  readonly jobId: string
  /** The machine's active leaf states, by ID (`ingestionJob.watching.job.processing`, ...). */
  readonly states: ReadonlyArray<string>
  /** The job's status as last reported; `null` before the first answer. */
  readonly status: string | null
  readonly processed: number
  readonly failed: number
  readonly chunks: number
  /** Documents ended and their total, when known (a GET of the job, or its end); else `null`. */
  readonly documentsEnded: number | null
  readonly documentsTotal: number | null
  /** When the wait started and ended (epoch ms, the server's clock). */
  readonly startedAt: number
  readonly endedAt: number | null
  readonly ending: Ending | null
  readonly polls: number
  readonly retries: number
  /** The last transient failure (`RateLimited: ...`), while the wait goes on. */
  readonly lastError: string | null
}

/** What the engine of one knowledge base did, and what the API docs' loop would have done. */
export interface KnowledgeBaseStats {
  readonly knowledgeBaseId: string
  readonly jobs: number
  readonly ended: number
  /** Rounds of the engine's loop for this knowledge base. */
  readonly rounds: number
  /** Requests sent: first attempts and retries. */
  readonly requests: number
  readonly retries: number
  /** Times the loop paused for a 429 (`Retry-After`). */
  readonly rateLimitPauses: number
  /**
   * The requests of the API docs' loop (a GET of each job every 5 seconds until it is seen ended)
   * for the same waits, up to now.
   */
  readonly docsLoopRequests: number
  /** The last round's mode: a GET per due job, or a sweep of the active jobs. */
  readonly lastMode: "get" | "sweep" | null
}

/** The first event of every connection (and of every reconnection): everything, once. */
export interface Hello {
  readonly type: "hello"
  /** What is watched, for the title: `3 knowledge bases, 42 jobs`. */
  readonly title: string
  /** The server's clock now, so that the page counts elapsed times on it. */
  readonly now: number
  readonly diagram: Diagram
  readonly knowledgeBases: ReadonlyArray<KnowledgeBaseStats>
  readonly jobs: ReadonlyArray<JobRow>
  /** Set when the jobs are still being listed (`--all-active`): more rows will come. */
  readonly listing: boolean
}

/** What changed since the last event: the rows and knowledge bases that did. */
export interface Update {
  readonly type: "update"
  /** As in {@link Hello}: the count of jobs grows while they are listed. */
  readonly title: string
  /** When the server sent it (its clock). */
  readonly now: number
  readonly jobs: ReadonlyArray<JobRow>
  readonly knowledgeBases: ReadonlyArray<KnowledgeBaseStats>
  readonly listing: boolean
}

/** The command is stopping: the page stops reconnecting. */
export interface Bye {
  readonly type: "bye"
}

export type ServerEvent = Hello | Update | Bye

/** One document of an ended job. */
export interface DocumentRow {
  readonly id: string
  readonly name: string
  readonly status: string
  readonly chunks: number
  /** Why it failed (the API's `error.message`, with its code); `null` when it did not. */
  readonly reason: string | null
}

/** `GET <token>/documents/<key>`: an ended job's documents, and the job's own error. */
export interface Documents {
  readonly key: number
  readonly jobError: string | null
  readonly documents: ReadonlyArray<DocumentRow>
}
