import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { describe, expect, it } from "vitest"
import {
  EmbeddedTarget,
  findDatabaseUrl,
  formatGoDuration,
  parseDatabaseUrl,
  parseGoDuration,
  redactedUrlOf,
  redactUrl,
  resolveDatabaseTarget,
} from "../src/index.js"

const parse = (url: string) => Effect.runPromise(parseDatabaseUrl(url, "explicit"))

describe("DatabaseConfig", () => {
  it("prefers the URL given, then CODER_PG_CONNECTION_URL, then DATABASE_URL", () => {
    const env = { CODER_PG_CONNECTION_URL: "postgres://coder", DATABASE_URL: "postgres://other" }
    expect(findDatabaseUrl("postgres://given", env)?.source).toBe("explicit")
    expect(findDatabaseUrl("postgres://flag", env, "--database-url")?.source).toBe("--database-url")
    expect(findDatabaseUrl(undefined, env)).toEqual({
      url: "postgres://coder",
      source: "CODER_PG_CONNECTION_URL",
    })
    expect(findDatabaseUrl(undefined, { DATABASE_URL: "postgres://other" })?.source).toBe(
      "DATABASE_URL",
    )
    expect(findDatabaseUrl(undefined, {})).toBeUndefined()
  })

  it("names the embedded server's database from CODEROPS_EMBEDDED_DATABASE (unset or empty: coder's)", async () => {
    const target = (env: Record<string, string>) =>
      Effect.runPromise(resolveDatabaseTarget({ env: { CODEROPS_DATA_DIR: "/x", ...env } }))
    const named = await target({ CODEROPS_EMBEDDED_DATABASE: "coderops_demo" })
    expect(named).toBeInstanceOf(EmbeddedTarget)
    expect((named as EmbeddedTarget).database).toBe("coderops_demo")
    expect(((await target({ CODEROPS_EMBEDDED_DATABASE: "" })) as EmbeddedTarget).database).toBe(
      undefined,
    )
    // A URL still wins over the embedded server.
    expect(
      await target({ CODEROPS_EMBEDDED_DATABASE: "x", DATABASE_URL: "postgres://h/db" }),
    ).toMatchObject({ database: "db", source: "DATABASE_URL" })
  })

  it("reads host, port, database, user, password and TLS options", async () => {
    const settings = await parse(
      "postgresql://coder:p%40ss@db.internal:6432/coderdb?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=3",
    )
    expect(settings).toMatchObject({
      host: "db.internal",
      port: 6432,
      database: "coderdb",
      user: "coder",
      tls: { mode: "verify-full", rootCert: "/ca.pem" },
      applicationName: "coderops",
    })
    expect(Duration.toMillis(settings.connectTimeout)).toBe(3000)
    expect(settings.password && Redacted.value(settings.password)).toBe("p@ss")
    expect(String(settings.password)).not.toContain("p@ss")
    expect(JSON.stringify(settings)).not.toContain("p@ss")
    expect(redactedUrlOf(settings)).toBe(
      "postgres://coder:xxxxx@db.internal:6432/coderdb?sslmode=verify-full",
    )
  })

  it("rejects bad schemes, ports and sslmodes with the reason", async () => {
    const reasonOf = (url: string) =>
      Effect.runPromise(Effect.flip(parseDatabaseUrl(url, "explicit"))).then((e) => e.reason)
    expect(await reasonOf("mysql://u:p@h/db")).toContain("scheme")
    expect(await reasonOf("postgres://u:p@h:0/db")).toContain("port")
    expect(await reasonOf("postgres://u:p@h/db?sslmode=maybe")).toContain("sslmode")
    expect(await reasonOf("postgres://u:p@h/db?connect_timeout=99999999")).toContain(
      "allowed: 1 to 2147483 (seconds)",
    )
    expect(await reasonOf("not a url")).toContain("not a valid URL")
  })

  it("redacts passwords even in strings that do not parse", () => {
    expect(redactUrl("postgres://u:secret@h:5432/db")).toBe("postgres://u:xxxxx@h:5432/db")
    expect(redactUrl("postgres://u:sec ret@h:bad/db")).not.toContain("sec ret")
    expect(redactUrl("u:secretA@h:5432/x")).toBe("u:xxxxx@h:5432/x")
    expect(redactUrl("postgres:/u:secretC@h/x")).not.toContain("secretC")
    expect(redactUrl("postgres://u@h/x?sslmode=bogus&password=secretR")).not.toContain("secretR")
    // Everything up to the last "@": a password may hold "/", "?", "#" and "@".
    expect(redactUrl("postgres://u:pa/secretS@h/db")).toBe("postgres://u:xxxxx@h/db")
    expect(redactUrl("postgres://u:Zx@secretT@h:99999")).toBe("postgres://u:xxxxx@h:99999")
    expect(redactUrl("postgres://u:12?secretQ#x@h/db")).toBe("postgres://u:xxxxx@h/db")
    expect(redactUrl("host=h password='secret U' sslpassword=secretV")).toBe(
      "host=h password=xxxxx sslpassword=xxxxx",
    )
  })

  it("refuses an @ after the host and a malformed escape, naming the part, not its text", async () => {
    const failure = (url: string) =>
      Effect.runPromise(Effect.flip(parseDatabaseUrl(url, "explicit")))
    const slash = await failure("postgres://u:12/secretW@h/db")
    expect(slash.reason).toContain("%2F")
    expect(slash.value).toBe("postgres://u:xxxxx@h/db")
    expect((await failure("postgres://u:12?secretY@h/db")).message).not.toContain("secretY")
    // An "@" in a parameter's value is no password: Azure's user@server form.
    expect((await parse("postgres://h/db?user=me@server")).user).toBe("me@server")
    const malformed = await failure("postgres://u:pa%ZZsecretX@h/db")
    expect(malformed.reason).toContain("malformed percent-encoding in its password")
    expect(malformed.message).not.toContain("secretX")
  })

  it("refuses a URL without // and an empty --database-url instead of guessing", async () => {
    const reason = await Effect.runPromise(
      Effect.flip(parseDatabaseUrl("postgres:/u:secretC@h/x", "--database-url")),
    )
    expect(reason.reason).toContain("not a valid URL")
    expect(reason.message).not.toContain("secretC")
    expect(findDatabaseUrl("", { CODER_PG_CONNECTION_URL: "postgres://coder" })).toEqual({
      url: "",
      source: "explicit",
    })
  })
})

describe("parseGoDuration", () => {
  const ms = (text: string) =>
    Effect.runPromise(Effect.map(parseGoDuration(text, "test"), Duration.toMillis))
  it("reads Go durations", async () => {
    expect(await ms("3s")).toBe(3000)
    expect(await ms("1m30s")).toBe(90_000)
    expect(await ms("250ms")).toBe(250)
    expect(await ms("1.5h")).toBe(5_400_000)
    expect(await ms("0")).toBe(0)
  })
  it("refuses negative durations, and 0 where it would mean spinning", async () => {
    const reason = (text: string, allowZero?: boolean) =>
      Effect.runPromise(
        Effect.flip(parseGoDuration(text, "--retention", { allowZero: allowZero ?? true })),
      ).then((error) => error.message)
    expect(await reason("-8760h")).toContain("is negative")
    expect(await reason("-1s")).toContain("--retention")
    expect(await reason("0", false)).toContain("must be longer than 0")
    expect(await reason("0s", false)).toContain("must be longer than 0")
    expect(await ms("+2s")).toBe(2000)
    const tooLong = await Effect.runPromise(
      Effect.flip(parseGoDuration("1000h", "--scrape-timeout", { serverTimeout: true })),
    )
    expect(tooLong.message).toContain("PostgreSQL's limit")
    expect(await ms("1000h")).toBe(3_600_000_000)
  })
  it("checks a range, naming it in Go's form; 0 stays 'none' where allowed", async () => {
    const failure = (text: string, options: Parameters<typeof parseGoDuration>[2]) =>
      Effect.runPromise(Effect.flip(parseGoDuration(text, "--interval", options)))
    const short = await failure("1ns", { allowZero: false, min: "1 second", max: "24 hours" })
    expect(short).toMatchObject({ source: "--interval", minSeconds: 1, maxSeconds: 86_400 })
    expect(short.message).toBe('--interval: "1ns" is out of range; allowed: 1s to 24h')
    expect((await failure("1ns", { serverTimeout: true })).message).toContain(
      "allowed: 1ms to 596h31m23s647ms, or 0 for none",
    )
    expect(
      Duration.isZero(await Effect.runPromise(parseGoDuration("0", "t", { min: "1 second" }))),
    ).toBe(true)
    expect(formatGoDuration(90_500)).toBe("1m30s500ms")
  })
  it("rejects what Go rejects, naming the source", async () => {
    for (const bad of ["3", "3 s", "s", "1x", ""]) {
      const error = await Effect.runPromise(
        Effect.flip(parseGoDuration(bad, "CODER_PG_MIGRATION_LOCK_TIMEOUT")),
      )
      expect(error.message).toContain("CODER_PG_MIGRATION_LOCK_TIMEOUT")
    }
  })
})
