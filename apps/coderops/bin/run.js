#!/usr/bin/env node
// Cache compiled code between runs (Node ≥ 22.1): module loading dominates a cold start.
import { enableCompileCache } from "node:module"

enableCompileCache?.()
const { execute } = await import("@oclif/core")
await execute({ dir: import.meta.url })
