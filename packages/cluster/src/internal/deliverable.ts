import * as Schema from "effect/Schema"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import { Delivered } from "./outcome.js"

/**
 * The durable deferred every wait workflow awaits: the outcomes of its batch, in JSON form (the
 * cluster's storage carries a deferred's value as JSON; the workflow decodes it with the outcome schema).
 */
export const Deliverable = DurableDeferred.make("tensoras.outcomes", { success: Schema.Array(Delivered) })
