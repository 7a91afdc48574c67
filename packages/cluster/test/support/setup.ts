/**
 * Run before each cluster test file (the project's `setupFiles`): its runners and `wait` commands start from
 * the command bundled by the global setup (`command.ts`).
 */
import { inject } from "vitest"
import { useBundledCommand } from "./processes.js"

useBundledCommand(inject("clusterCommand"))
