/**
 * A full collection for the benches' heap figures, with or without `--expose-gc`.
 *
 * @module
 */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

const gc: () => void =
  globalThis.gc ??
  (() => {
    setFlagsFromString("--expose-gc")
    return runInNewContext("gc") as () => void
  })()

/** Two full collections: the second frees what the first one's weak callbacks and finalizers released. */
export const forceGc = (): void => {
  gc()
  gc()
}
