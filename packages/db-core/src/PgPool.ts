import { readFileSync } from "node:fs"
import type { ConnectionOptions } from "node:tls"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import pg from "pg"
import {
  connectionDefaults,
  DatabaseConfig,
  type DatabaseSettings,
  describeTarget,
  InvalidDatabaseConfig,
  type TlsSettings,
} from "./DatabaseConfig.js"
import { embeddedClientClass } from "./internal/embeddedClient.js"
import { ClosingClient, passwordFromEnvironment } from "./internal/pgClient.js"

/** The `pg` pool every statement of the toolkit goes through (via `Db`). */
export class PgPool extends Context.Service<PgPool, pg.Pool>()("@coderops/db-core/PgPool") {
  /** Opens the pool from `DatabaseConfig`; on shutdown waits for checked-out clients and closes. */
  static readonly layer = Layer.effect(PgPool)(
    Effect.gen(function* () {
      const settings = yield* DatabaseConfig
      return yield* Effect.acquireRelease(
        Effect.try({
          try: () => makePool(settings),
          // The only thing that can throw here is reading a certificate or key file.
          catch: (cause) =>
            new InvalidDatabaseConfig({
              source: settings.source,
              value: describeTarget(settings),
              reason: `names a TLS file that cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`,
              message: `the database settings from ${settings.source} name a TLS file that cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`,
            }),
        }),
        (pool) => Effect.promise(() => pool.end()),
      )
    }),
  )
}

const tlsOptions = (tls: TlsSettings): boolean | ConnectionOptions => {
  const ca = tls.rootCert ? readFileSync(tls.rootCert, "utf8") : undefined
  const cert = tls.cert ? readFileSync(tls.cert, "utf8") : undefined
  const key = tls.key ? readFileSync(tls.key, "utf8") : undefined
  switch (tls.mode) {
    // node-postgres cannot fall back from TLS to plain TCP, so allow/prefer connect in plain.
    case "disable":
    case "allow":
    case "prefer":
      return false
    // libpq: `require` with a root certificate behaves like verify-ca.
    case "require":
      return ca === undefined
        ? { rejectUnauthorized: false, cert, key }
        : { ca, cert, key, rejectUnauthorized: true, checkServerIdentity: () => undefined }
    case "verify-ca":
      return { ca, cert, key, rejectUnauthorized: true, checkServerIdentity: () => undefined }
    case "verify-full":
      return { ca, cert, key, rejectUnauthorized: true }
  }
}

/** `-c name=value` for the startup packet's options: spaces and backslashes escaped. */
const sessionSetting = (name: string, value: string) =>
  `-c ${name}=${value.replace(/\\/g, "\\\\").replace(/ /g, "\\ ")}`

/** Session settings sent in the startup packet, so every pooled connection has them. */
const sessionOptions = (settings: DatabaseSettings): string | undefined => {
  const options = [
    ...(settings.serverOptions ? [settings.serverOptions] : []),
    ...Object.entries(settings.runtimeParameters ?? {}).map(([name, value]) =>
      sessionSetting(name, value),
    ),
  ]
  return options.length === 0 ? undefined : options.join(" ")
}

const makePool = (settings: DatabaseSettings): pg.Pool => {
  const pool = new pg.Pool({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    // Without one in the URL: PGPASSWORD or the password file. pg calls the function with
    // its connection parameters and takes undefined as "none" (its types declare neither).
    password:
      settings.password === undefined
        ? (passwordFromEnvironment as unknown as () => Promise<string>)
        : Redacted.value(settings.password),
    ssl: tlsOptions(settings.tls),
    application_name: settings.applicationName,
    max: settings.poolSize,
    connectionTimeoutMillis: Duration.toMillis(settings.connectTimeout),
    idleTimeoutMillis: Duration.toMillis(connectionDefaults.idleTimeout),
    options: sessionOptions(settings),
    // SCRAM only, and the server's current port: see embeddedClientClass.
    Client:
      settings.source === "embedded"
        ? embeddedClientClass(settings.embeddedDataDir)
        : ClosingClient,
  })
  // An idle client whose server went away emits 'error' on the pool; without a listener
  // Node would crash the process. The next query reconnects and reports its own error.
  pool.on("error", () => {})
  // A checked-out client has no pool listener: when its connection dies mid-statement it
  // emits 'error' itself, which would crash the process too. The statement in flight
  // fails with the same error, and Db reports that one.
  pool.on("connect", (client) => client.on("error", () => {}))
  return pool
}
