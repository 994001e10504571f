import {
  AdvisoryLockBusy,
  ClusterError,
  ConnectionFailed,
  DirectoryNotEnterable,
  EmbeddedPostgresError,
  InvalidDuration,
  LockNotAvailable,
  QueryFailed,
  UnsafeDirectory,
} from "@coderops/db-core"
import { InvalidListenAddress, MetricsServerError, TextfileError } from "@coderops/metrics"
import { describe, expect, it } from "vitest"
import { ExitCode } from "../src/ExitCode.js"
import { reportOf } from "../src/FailureReport.js"

// db-core's and metrics' errors are data; every command words them with cli-kit's tables,
// with no table of its own.
describe("the tables every command shares", () => {
  it("words db-core's errors: the problem from their facts, the CLI's hint and exit code", () => {
    const refused = new ConnectionFailed({
      query: "Ping",
      target: "db.internal:5432",
      code: "ECONNREFUSED",
      message: "connect ECONNREFUSED",
    })
    expect(reportOf(refused)).toMatchObject({
      tag: "ConnectionFailed",
      message: "cannot connect to db.internal:5432 (ECONNREFUSED: connect ECONNREFUSED)",
      hint: "check the host and port, that PostgreSQL is running and reachable from here, or pass --database-url",
      exitCode: ExitCode.connectionFailed,
    })
    const noTls = new ConnectionFailed({ ...refused, code: "ENOTLS" })
    expect(reportOf(noTls).hint).toContain("sslmode=disable")
    const locked = new LockNotAvailable({
      query: "AlterApiKeys",
      sqlState: "55P03",
      message: "canceling statement due to lock timeout",
    })
    expect(reportOf(locked)).toMatchObject({
      message: "AlterApiKeys: canceling statement due to lock timeout (SQLSTATE 55P03)",
      exitCode: ExitCode.lockConflict,
    })
    const busy = new AdvisoryLockBusy({ key: 7n, message: "the lock is held" })
    expect(reportOf(busy)).toMatchObject({
      message: "the lock is held",
      exitCode: ExitCode.lockConflict,
    })
    const denied = new QueryFailed({ query: "Q", sqlState: "42501", message: "permission denied" })
    expect(reportOf(denied).hint).toBe("grant the privilege named above to this user")
  })

  it("a duration out of range is a configuration error (3), in the library's words", () => {
    const error = new InvalidDuration({
      value: "-1s",
      source: "--interval",
      message: '--interval: "-1s" is negative; give a duration of 0 or more',
    })
    expect(reportOf(error)).toMatchObject({
      message: '--interval: "-1s" is negative; give a duration of 0 or more',
      hint: undefined,
      exitCode: ExitCode.invalidConfig,
      details: { value: "-1s", source: "--interval" },
    })
  })

  it("words the metrics library's errors with the flag they came from", () => {
    const address = new InvalidListenAddress({ value: "nope", message: '"nope" is not HOST:PORT' })
    expect(reportOf(address)).toMatchObject({
      message: '--metrics-addr "nope" is not HOST:PORT',
      exitCode: ExitCode.invalidConfig,
    })
    const inUse = new MetricsServerError({
      address: "127.0.0.1:9464",
      code: "EADDRINUSE",
      message: "cannot listen on 127.0.0.1:9464: EADDRINUSE",
    })
    expect(reportOf(inUse)).toMatchObject({
      hint: "another process uses that port; choose another with --metrics-addr",
      exitCode: ExitCode.failure,
    })
    const textfile = new TextfileError({ path: "/x/y.prom", message: "cannot write" })
    expect(reportOf(textfile).hint).toContain("--collector.textfile.directory")
  })

  it("words the embedded server's errors by their facts, alone or as the reason of db-core's", () => {
    const notEnterable = new DirectoryNotEnterable({
      what: "data directory",
      path: "/root/pg/data",
      directory: "/root",
      mode: 0o700,
      account: "postgres",
    })
    expect(reportOf(notEnterable)).toMatchObject({
      tag: "DirectoryNotEnterable",
      message:
        'the data directory at /root/pg/data cannot be reached by the "postgres" account that runs PostgreSQL: /root (mode 0700) does not let it in',
      hint: expect.stringContaining("let the postgres account enter /root (chmod o+x"),
      exitCode: ExitCode.embeddedServer,
      details: { what: "data directory", directory: "/root", mode: 0o700, account: "postgres" },
    })
    const wrapped = new EmbeddedPostgresError({
      root: "/root/pg",
      message: `the embedded PostgreSQL server in /root/pg could not be started: ${notEnterable.message}`,
      unsafeDirectory: {
        directory: "/root",
        mode: "0700",
        problem: "not-enterable",
        account: "postgres",
      },
      reason: notEnterable,
    })
    const report = reportOf(wrapped)
    expect(report).toMatchObject({
      tag: "EmbeddedPostgresError",
      message: wrapped.message,
      hint: reportOf(notEnterable).hint,
      exitCode: ExitCode.embeddedServer,
    })
    // The JSON details stay plain data: the reason's facts are already in them.
    expect(Object.keys(report.details ?? {}).sort()).toEqual(["root", "unsafeDirectory"])
    const cache = new UnsafeDirectory({
      what: "PostgreSQL binaries",
      directory: "/srv/cache",
      mode: 0o777,
      reason: "others can write into it",
    })
    expect(reportOf(cache).hint).toContain("XDG_CACHE_HOME")
    const failed = new ClusterError({ message: "pg_ctl start failed", logFile: "/x/postgres.log" })
    expect(reportOf(failed)).toMatchObject({
      hint: "see the server log at /x/postgres.log, or pass --database-url to use your own server",
      exitCode: ExitCode.embeddedServer,
    })
  })

  it("a command's own table comes first", () => {
    const error = new InvalidDuration({ value: "x", source: "s", message: "m" })
    const own = { InvalidDuration: () => ({ hint: "mine", exitCode: ExitCode.usage }) }
    expect(reportOf(error, [own])).toMatchObject({ hint: "mine", exitCode: ExitCode.usage })
  })
})
