import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { describeProblem, type SeedOptions, validateSeedOptions } from "../src/index.js"

const options: SeedOptions = {
  orgs: 2,
  users: 4,
  templatesPerOrg: 1,
  versionsPerTemplate: 1,
  presetsPerVersion: 1,
  apiKeys: 10,
  expiredFraction: 0.5,
  seed: 1,
}

const problems = (overrides: Partial<SeedOptions>) =>
  Effect.runSync(
    validateSeedOptions({ ...options, ...overrides }).pipe(
      Effect.match({ onSuccess: () => [], onFailure: (error) => error.problems }),
    ),
  )

describe("validateSeedOptions", () => {
  it("fills in the defaults", () => {
    expect(Effect.runSync(validateSeedOptions(options))).toEqual({
      ...options,
      presetDesiredFraction: 0.5,
      prebuiltWorkspacesPerPreset: 0,
      reconciledFraction: 0,
      now: new Date("2026-01-01T00:00:00Z"),
    })
  })

  it("names the option at fault and what it must be", () => {
    expect(problems({ orgs: -1, expiredFraction: 1.5, seed: 0.5 })).toEqual([
      { option: "orgs", problem: "must be an integer from 0 to 4294967295, got -1" },
      { option: "seed", problem: "must be an integer from 0 to 9007199254740991, got 0.5" },
      { option: "expiredFraction", problem: "must be between 0 and 1, got 1.5" },
    ])
    expect(problems({ now: new Date(Number.NaN) })).toEqual([
      { option: "now", problem: "must be a valid date" },
    ])
  })

  it("rejects combinations it cannot honour", () => {
    expect(problems({ orgs: 0, templatesPerOrg: 0 })).toEqual([
      { problem: "users need at least one organization" },
    ])
    expect(problems({ users: 0 })).toEqual([
      { problem: "API keys need at least one user" },
      { problem: "templates need at least one user (their creator)" },
    ])
    expect(problems({ versionsPerTemplate: 0 })).toEqual([
      { problem: "templates need at least one version (their active version)" },
    ])
  })

  it("says every problem in one message", async () => {
    const error = await Effect.runPromise(
      Effect.flip(validateSeedOptions({ ...options, apiKeys: 1.5, reconciledFraction: 2 })),
    )
    expect(error.message).toBe(
      "invalid seed options: apiKeys must be an integer from 0 to 4294967295, got 1.5; reconciledFraction must be between 0 and 1, got 2",
    )
    expect(
      error.problems.map((problem) => describeProblem(problem, (option) => `--${option}`)),
    ).toEqual([
      "--apiKeys must be an integer from 0 to 4294967295, got 1.5",
      "--reconciledFraction must be between 0 and 1, got 2",
    ])
  })
})
