import { describe, expect, it } from "vitest"
import { stoppingLine } from "../src/index.js"

describe("what the CLI says when a signal stops it", () => {
  it("offers Ctrl-C only for SIGINT from a terminal", () => {
    expect(stoppingLine("SIGINT", true)).toBe(
      "interrupted: finishing cleanly (press Ctrl-C again to exit at once)",
    )
    expect(stoppingLine("SIGINT", false)).toBe(
      "SIGINT received: finishing cleanly (a second signal exits at once)",
    )
    for (const fromTerminal of [true, false]) {
      expect(stoppingLine("SIGTERM", fromTerminal)).toBe(
        "SIGTERM received: finishing cleanly (a second signal exits at once)",
      )
    }
  })
})
