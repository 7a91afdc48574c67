/**
 * The gate before every round of this tab's engine: a round runs only while the page is visible and
 * online and, when tabs share, only in the tab that leads the knowledge base (its latch is open).
 */
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"

/** Per knowledge base: open while this tab leads it. Never removed (a loop may await it). */
export const makeLatches = (): ((knowledgeBaseId: string) => Latch.Latch) => {
  const latches = new Map<string, Latch.Latch>()
  return (knowledgeBaseId) => {
    let latch = latches.get(knowledgeBaseId)
    if (latch === undefined) {
      latch = Latch.makeUnsafe(false)
      latches.set(knowledgeBaseId, latch)
    }
    return latch
  }
}

/** `latchOf`: when tabs share, the leadership latches (see {@link makeLatches}). */
export const gate = (
  awaitActive: Effect.Effect<unknown>,
  latchOf: ((knowledgeBaseId: string) => Latch.Latch) | undefined
): NonNullable<WaitEngine.EngineOptions["gate"]> =>
  latchOf === undefined
    ? () => Effect.asVoid(awaitActive)
    : (knowledgeBaseId) =>
        Effect.andThen(
          awaitActive,
          Effect.suspend(() => latchOf(knowledgeBaseId).await)
        )
