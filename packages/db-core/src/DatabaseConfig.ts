import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { defaultEmbeddedRoot } from "./internal/embeddedRoot.js"

/**
 * Where the connection settings came from, for messages and `doctor`: one of the
 * variables read here, the embedded server, or the caller's own name for a URL it gave
 * ("explicit" unless it names one; the CLI names its flag).
 */
export type ConfigSource =
  | "CODER_PG_CONNECTION_URL"
  | "DATABASE_URL"
  | "embedded"
  | "explicit"
  | (string & {})

/** libpq's sslmode values; `prefer`/`allow` degrade to plain TCP when TLS is refused. */
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full"

export interface TlsSettings {
  readonly mode: SslMode
  /** PEM file paths, as libpq's sslrootcert / sslcert / sslkey. */
  readonly rootCert?: string | undefined
  readonly cert?: string | undefined
  readonly key?: string | undefined
}

export interface DatabaseSettings {
  readonly source: ConfigSource
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
  readonly password: Redacted.Redacted<string> | undefined
  readonly tls: TlsSettings
  readonly applicationName: string
  readonly poolSize: number
  /** How long connecting (TCP, TLS, authentication) may take. */
  readonly connectTimeout: Duration.Duration
  /**
   * Other URL parameters (`search_path`, ...), sent as run-time parameters of every
   * session, as Coder's driver (lib/pq) sends them.
   */
  readonly runtimeParameters?: Readonly<Record<string, string>> | undefined
  /** libpq's `options` URL parameter (`-c name=value ...`), passed to the server as given. */
  readonly serverOptions?: string | undefined
  /** The embedded server's data directory: each new connection finds its current port there. */
  readonly embeddedDataDir?: string | undefined
}

/** A connection string or option that cannot be used as given. */
export class InvalidDatabaseConfig extends Data.TaggedError("InvalidDatabaseConfig")<{
  readonly source: ConfigSource
  /** The offending value with any password replaced. */
  readonly value: string
  readonly reason: string
  readonly message: string
}> {}

export class DatabaseConfig extends Context.Service<DatabaseConfig, DatabaseSettings>()(
  "@coderops/db-core/DatabaseConfig",
) {
  static readonly layer = (settings: DatabaseSettings) => Layer.succeed(DatabaseConfig, settings)
}

/** What a command sets on its connections whatever the URL says. */
export interface ConfigOverrides {
  readonly applicationName?: string | undefined
  readonly poolSize?: number | undefined
  readonly connectTimeout?: Duration.Input | undefined
}

/** The connection defaults, for a URL and for the embedded server alike. */
export const connectionDefaults = {
  applicationName: "coderops",
  poolSize: 10,
  connectTimeout: Duration.seconds(10),
  /** An idle pooled connection is closed after this. */
  idleTimeout: Duration.seconds(30),
} as const

/**
 * The pool and session options: the command's overrides, else what the URL says, else
 * the defaults.
 */
export const connectionOptions = (
  overrides: ConfigOverrides,
  fromUrl: {
    readonly applicationName?: string | undefined
    readonly connectTimeout?: Duration.Duration | undefined
  } = {},
): Pick<DatabaseSettings, "applicationName" | "poolSize" | "connectTimeout"> => ({
  applicationName:
    overrides.applicationName ?? fromUrl.applicationName ?? connectionDefaults.applicationName,
  poolSize: overrides.poolSize ?? connectionDefaults.poolSize,
  connectTimeout:
    overrides.connectTimeout !== undefined
      ? Duration.fromInputUnsafe(overrides.connectTimeout)
      : (fromUrl.connectTimeout ?? connectionDefaults.connectTimeout),
})

const sslModes: ReadonlySet<string> = new Set([
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
])

/** `scheme://`, where a URL's authority starts. */
const schemePrefix = /^\s*[a-z][a-z0-9+.-]*:\/\//i

/**
 * libpq's `password=` / `sslpassword=` (key=value strings, URL parameters) and a variable
 * such as PGPASSWORD or POSTGRES_PASSWORD (a shell's or a container's environment), quoted
 * or not.
 */
const passwordParameter =
  /(\b\w*password\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^&\s]*)/gi

/**
 * Replaces the password of a connection string, even one that does not parse: all from
 * the first `:` after `scheme://` (or after the start, without one) to the LAST `@`,
 * because a password may itself hold `/`, `?`, `#` or `@`. Redacting too much is safe.
 */
export const redactUrl = (url: string): string => {
  const start = schemePrefix.exec(url)?.[0].length ?? 0
  const at = url.lastIndexOf("@")
  const colon = url.indexOf(":", start)
  const withoutUserInfo =
    colon !== -1 && colon < at ? `${url.slice(0, colon)}:xxxxx${url.slice(at)}` : url
  return withoutUserInfo.replace(passwordParameter, "$1xxxxx")
}

/** The connection target for display: `user@host:port/database`, no password. */
export const describeTarget = (settings: DatabaseSettings): string =>
  `${settings.user}@${settings.host}:${settings.port}/${settings.database}`

/** The settings as a URL with the password replaced, for logs and `--json`. */
export const redactedUrlOf = (settings: DatabaseSettings): string => {
  const url = new URL("postgres://localhost")
  url.hostname = settings.host
  url.port = String(settings.port)
  url.pathname = `/${encodeURIComponent(settings.database)}`
  url.username = settings.user
  if (settings.password !== undefined) url.password = "xxxxx"
  if (settings.tls.mode !== "prefer") url.searchParams.set("sslmode", settings.tls.mode)
  return url.toString()
}

/** URL parameters that configure the connection itself, not the session. */
const connectionParameters: ReadonlySet<string> = new Set([
  "host",
  "port",
  "user",
  "password",
  "dbname",
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "connect_timeout",
  "application_name",
  // Read and dropped by lib/pq too; none changes what coderops does.
  "fallback_application_name",
  "sslsni",
  "krbsrvname",
  "krbspn",
  "disable_prepared_binary_result",
  "binary_parameters",
])

const maxTimerMs = 2_147_483_647

const settingName = /^[A-Za-z_][A-Za-z0-9_.]*$/

const decodeComponent = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

const parsePositiveInt = (value: string): number | undefined =>
  /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : undefined

/** Parses a `postgres://` / `postgresql://` URL the way libpq reads one. */
export const parseDatabaseUrl = (
  url: string,
  source: ConfigSource,
  overrides: ConfigOverrides = {},
): Effect.Effect<DatabaseSettings, InvalidDatabaseConfig> =>
  Effect.suspend(() => {
    const fail = (reason: string) =>
      Effect.fail(
        new InvalidDatabaseConfig({
          source,
          value: redactUrl(url),
          reason,
          message: `the database URL from ${source} (${redactUrl(url)}) ${reason}`,
        }),
      )
    // libpq ends the user info at the first "/", so "u:pa/ss@host" is host "u", port
    // "pa"; and "u:12/ss@host/db" would connect to host "u" and print the rest of the
    // password as the database name. An "@" after the authority, other than in a
    // parameter's value (?user=name@server), is a password that needs percent-encoding.
    const authority = schemePrefix.exec(url)?.[0].length
    const afterAuthority =
      authority === undefined ? "" : url.slice(authority).replace(/^[^/?#]*/, "")
    if (afterAuthority.replace(/=[^&#]*/g, "").includes("@")) {
      return fail(
        'has an "@" after a "/", "?" or "#"; percent-encode those characters in the user name and password (/ as %2F, ? as %3F, # as %23, @ as %40)',
      )
    }
    let parsed: URL
    try {
      // libpq wants the "//": without it the rest would be read as a path.
      if (!/^[a-z]+:\/\//i.test(url.trim())) throw new Error("no //")
      parsed = new URL(url.trim())
    } catch {
      return fail(
        "is not a valid URL; expected postgres://USER@HOST:PORT/DATABASE?sslmode=... with the password after USER:",
      )
    }
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
      return fail(
        `has scheme "${parsed.protocol.slice(0, -1)}"; expected postgres:// or postgresql://`,
      )
    }
    const query = parsed.searchParams
    // decodeURIComponent throws on a malformed escape such as "%ZZ"; the part is named,
    // never shown (it may be the password).
    const decoded = {
      host: decodeComponent(parsed.hostname),
      user: decodeComponent(parsed.username),
      password: decodeComponent(parsed.password),
      database: decodeComponent(parsed.pathname.replace(/^\//, "")),
    }
    for (const [part, value] of Object.entries(decoded)) {
      if (value === undefined) {
        return fail(
          `has a malformed percent-encoding in its ${part}; a "%" must start %XX with two hex digits (write a literal "%" as %25)`,
        )
      }
    }
    const host = decoded.host!.replace(/^\[(.*)\]$/, "$1") || query.get("host") || "localhost"
    const portText = parsed.port || query.get("port") || "5432"
    const port = parsePositiveInt(portText)
    if (port === undefined || port > 65535) return fail(`has an invalid port "${portText}"`)
    const user = decoded.user || query.get("user") || "postgres"
    const passwordText = decoded.password || query.get("password")
    const database = decoded.database || query.get("dbname") || user
    const mode = query.get("sslmode") ?? "prefer"
    if (!sslModes.has(mode)) {
      return fail(`has sslmode=${mode}; expected one of ${[...sslModes].join(", ")}`)
    }
    const timeoutText = query.get("connect_timeout")
    const connectTimeoutSeconds = timeoutText === null ? undefined : parsePositiveInt(timeoutText)
    // Node's timers hold at most 2^31-1 ms; a longer one fires at once ("timeout expired").
    if (
      timeoutText !== null &&
      (connectTimeoutSeconds === undefined || connectTimeoutSeconds * 1000 > maxTimerMs)
    ) {
      return fail(
        `has an invalid connect_timeout "${timeoutText}"; allowed: 1 to ${Math.floor(maxTimerMs / 1000)} (seconds)`,
      )
    }
    const runtimeParameters: Record<string, string> = {}
    for (const [name, value] of query) {
      if (connectionParameters.has(name) || name === "options") continue
      if (!settingName.test(name)) return fail(`has a parameter "${name}" that is no setting name`)
      runtimeParameters[name] = value
    }
    return Effect.succeed({
      source,
      host,
      port,
      database,
      user,
      password: passwordText ? Redacted.make(passwordText, { label: "password" }) : undefined,
      tls: {
        mode: mode as SslMode,
        rootCert: query.get("sslrootcert") ?? undefined,
        cert: query.get("sslcert") ?? undefined,
        key: query.get("sslkey") ?? undefined,
      },
      ...connectionOptions(overrides, {
        applicationName: query.get("application_name") ?? undefined,
        connectTimeout:
          connectTimeoutSeconds === undefined ? undefined : Duration.seconds(connectTimeoutSeconds),
      }),
      runtimeParameters,
      serverOptions: query.get("options") ?? undefined,
    })
  })

/**
 * The URL a command should use, in Coder's order of precedence: the one given (`givenAs`
 * names where it came from), then Coder's own `CODER_PG_CONNECTION_URL`, then
 * `DATABASE_URL`. Undefined means none is set, and the caller falls back to the embedded
 * server.
 */
export const findDatabaseUrl = (
  given: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  givenAs: ConfigSource = "explicit",
): { readonly url: string; readonly source: ConfigSource } | undefined => {
  // An empty URL given (an unset shell variable) must not fall through to another database.
  if (given !== undefined) return { url: given, source: givenAs }
  if (env.CODER_PG_CONNECTION_URL) {
    return { url: env.CODER_PG_CONNECTION_URL, source: "CODER_PG_CONNECTION_URL" }
  }
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: "DATABASE_URL" }
  return undefined
}

/**
 * "Use the embedded server in `root`": what configuration resolves to when no URL is set.
 * Nothing is started until a connection is needed (see `Db.layerFrom`).
 */
export class EmbeddedTarget extends Data.TaggedClass("EmbeddedTarget")<{
  /** The folder of the server's files (see `defaultEmbeddedRoot`). */
  readonly root: string
  readonly overrides: ConfigOverrides
  /** The database on it; default `embeddedDatabase` ("coder"), created with the server. */
  readonly database?: string | undefined
}> {}

/** Names the database commands use on the embedded server instead of "coder". */
export const embeddedDatabaseVariable = "CODEROPS_EMBEDDED_DATABASE"

/** Where a command's connections go: settings parsed from a URL, or the embedded server. */
export type DatabaseTarget = DatabaseSettings | EmbeddedTarget

/**
 * The database a command runs against: the first URL found (see `findDatabaseUrl`),
 * parsed, or else the embedded server in its default root. Pure: it reads no file and
 * starts nothing.
 */
export const resolveDatabaseTarget = (input: {
  readonly databaseUrl?: string | undefined
  /** Where `databaseUrl` came from, for messages (default "explicit"). */
  readonly databaseUrlSource?: ConfigSource | undefined
  readonly env: Readonly<Record<string, string | undefined>>
  readonly overrides?: ConfigOverrides | undefined
}): Effect.Effect<DatabaseTarget, InvalidDatabaseConfig> => {
  const found = findDatabaseUrl(input.databaseUrl, input.env, input.databaseUrlSource)
  if (found !== undefined) return parseDatabaseUrl(found.url, found.source, input.overrides)
  return Effect.succeed(
    new EmbeddedTarget({
      root: defaultEmbeddedRoot(input.env),
      overrides: input.overrides ?? {},
      database: input.env[embeddedDatabaseVariable] || undefined,
    }),
  )
}
