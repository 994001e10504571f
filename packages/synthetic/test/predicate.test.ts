import { describe, expect, it } from "vitest"
import { parsePredicate } from "../src/internal/faithful/predicate.js"

const row = (values: Record<string, string | null>) => ({ get: (c: string) => values[c] })

describe("parsePredicate", () => {
  it("evaluates Coder's partial-index predicates and checks as the catalogs render them", () => {
    const token = parsePredicate("(login_type = 'token'::login_type)")!
    expect(token.columns).toEqual(["login_type"])
    expect(token.test(row({ login_type: "token" }))).toBe(true)
    expect(token.test(row({ login_type: "password" }))).toBe(false)
    const length = parsePredicate("CHECK ((length(username) >= 1))")!
    expect(length.test(row({ username: "" }))).toBe(false)
    expect(length.test(row({ username: "é" }))).toBe(true)
    const both = parsePredicate(
      "CHECK ((((hashed_one_time_passcode IS NULL) AND (one_time_passcode_expires_at IS NULL)) OR ((hashed_one_time_passcode IS NOT NULL) AND (one_time_passcode_expires_at IS NOT NULL))))",
    )!
    expect(both.columns).toEqual(["hashed_one_time_passcode", "one_time_passcode_expires_at"])
    expect(
      both.test(row({ hashed_one_time_passcode: null, one_time_passcode_expires_at: null })),
    ).toBe(true)
    expect(
      both.test(row({ hashed_one_time_passcode: "\\x00", one_time_passcode_expires_at: null })),
    ).toBe(false)
    const notDeleted = parsePredicate("(NOT deleted)")!
    expect(notDeleted.test(row({ deleted: "f" }))).toBe(true)
    expect(notDeleted.test(row({ deleted: "t" }))).toBe(false)
    expect(parsePredicate("(deleted = false)")!.test(row({ deleted: "f" }))).toBe(true)
    expect(parsePredicate("(quota_allowance >= 0)")!.test(row({ quota_allowance: "-1" }))).toBe(
      false,
    )
    expect(parsePredicate("((name)::text <> ''::character varying)")!.test(row({ name: "" }))).toBe(
      false,
    )
  })

  it("refuses what it cannot evaluate, so that the caller reports it", () => {
    expect(parsePredicate("CHECK ((name ~ '^[a-z]+$'::text))")).toBeUndefined()
    expect(parsePredicate("CHECK ((lower(name) = name))")).toBeUndefined()
    expect(parsePredicate("(a = ANY (ARRAY['x'::text, 'y'::text]))")).toBeUndefined()
  })
})
