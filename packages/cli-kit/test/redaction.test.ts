import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { afterEach, describe, expect, it, vi } from "vitest"
import { redactSecrets } from "../src/FailureReport.js"
import { redactingLogger } from "../src/internal/redactingLogger.js"

const secret = "hunter2-do-not-print"

const hostile = [
  `postgres://u:pa/${secret}@host/db`,
  `postgresql://u:Zx@${secret}@host:99999/db`,
  `postgres://u:12?${secret}#x@host/db`,
  `http://u:${secret}@proxy:3128`,
  `host=db password='${secret} x' sslpassword=${secret}`,
  // The environment of a shell or a container, as an error or a log may echo it.
  `PGPASSWORD=${secret} psql -h db`,
  `export PGPASSWORD='${secret} x'`,
  `PGPASSWORD="${secret} x" coderops`,
  `POSTGRES_PASSWORD=${secret}`,
  `host=db password="${secret} x"`,
  `postgres://u@host/db?sslmode=require&password=${secret}`,
]

describe("redactSecrets", () => {
  it("redacts every URL's user info to its last @, and libpq passwords, inside free text", () => {
    for (const text of hostile) {
      const redacted = redactSecrets(`cannot connect (${text}): refused`)
      expect(redacted, text).not.toContain(secret)
      expect(redacted, text).toContain("xxxxx")
    }
    expect(redactSecrets(`PGPASSWORD=${secret} psql`)).toBe("PGPASSWORD=xxxxx psql")
    expect(redactSecrets("password_encryption=scram-sha-256")).toBe(
      "password_encryption=scram-sha-256",
    )
    expect(redactSecrets("at file:///app/node_modules/@oclif/core/lib/x.js:12:3")).toBe(
      "at file:///app/node_modules/@oclif/core/lib/x.js:12:3",
    )
  })
})

describe("redactingLogger", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it("writes Effect's log lines to stderr with secrets redacted, message and cause", async () => {
    const written: Array<string> = []
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk))
      return true
    })
    await Effect.runPromise(
      Effect.logWarning(`collector failed for ${hostile[0]}`, new Error(hostile[1])).pipe(
        Effect.provide(Logger.layer([redactingLogger(redactSecrets)])),
      ),
    )
    const output = written.join("")
    expect(output).toMatch(
      /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] WARN \(#\d+\): collector failed for /,
    )
    expect(output).toContain("postgres://u:xxxxx@host/db")
    expect(output).not.toContain(secret)
  })
})
