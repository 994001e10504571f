import { describe, expect, it } from "vitest"
import { errorTable } from "../src/ErrorTable.js"
import { ExitCode } from "../src/ExitCode.js"
import { reportOf } from "../src/FailureReport.js"

interface DirectoryMissing {
  readonly _tag: "DirectoryMissing"
  readonly message: string
  readonly directory: string
}
interface FileTooLarge {
  readonly _tag: "FileTooLarge"
  readonly message: string
  readonly bytes: number
}

const table = errorTable<DirectoryMissing | FileTooLarge>({
  DirectoryMissing: (error) => ({
    hint: `create ${error.directory}, or pass --dir`,
    exitCode: ExitCode.invalidConfig,
  }),
  FileTooLarge: (error) => ({
    problem: `a file of ${error.bytes} bytes is too large`,
    exitCode: ExitCode.failure,
  }),
})

describe("reportOf with error tables", () => {
  it("words a library error by its tag: exit code and hint from the table, its fields as details", () => {
    const error: DirectoryMissing = {
      _tag: "DirectoryMissing",
      message: "no directory /srv/migrations",
      directory: "/srv/migrations",
    }
    expect(reportOf(error, [table])).toEqual({
      tag: "DirectoryMissing",
      message: "no directory /srv/migrations",
      hint: "create /srv/migrations, or pass --dir",
      exitCode: ExitCode.invalidConfig,
      details: { directory: "/srv/migrations" },
    })
  })

  it("takes the problem line from the table when it gives one, and redacts what it words", () => {
    const error: FileTooLarge = { _tag: "FileTooLarge", message: "too large", bytes: 9 }
    expect(reportOf(error, [table]).message).toBe("a file of 9 bytes is too large")
    const leaky = errorTable<DirectoryMissing>({
      DirectoryMissing: () => ({
        hint: "retry with postgres://u:hunter2@db/x",
        exitCode: ExitCode.failure,
      }),
    })
    const report = reportOf({ _tag: "DirectoryMissing", message: "m", directory: "d" }, [leaky])
    expect(report.hint).not.toContain("hunter2")
  })

  it("a tag no table knows is a plain failure, whatever exit code or hint it carries", () => {
    const error = { _tag: "Unknown", message: "odd", exitCode: 7, hint: "run --force" }
    expect(reportOf(error, [table])).toMatchObject({
      tag: "Unknown",
      message: "odd",
      hint: undefined,
      exitCode: ExitCode.failure,
    })
  })
})
