import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { Metrics } from "./Metrics.js"

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** Loopback by default: metrics reveal table names and sizes. */
export const defaultMetricsAddress: ListenAddress = { host: "127.0.0.1", port: 9464 }

export class InvalidListenAddress extends Data.TaggedError("InvalidListenAddress")<{
  readonly value: string
  readonly message: string
}> {}

export class MetricsServerError extends Data.TaggedError("MetricsServerError")<{
  readonly address: string
  /** The system's error code (EADDRINUSE: another process has the port), when it gave one. */
  readonly code: string | undefined
  readonly message: string
}> {}

/** `HOST:PORT`, an IPv6 host in brackets (`[::1]:9464`), as a URL and a message write it. */
export const formatListenAddress = (address: ListenAddress): string =>
  `${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`

/** Parses `HOST:PORT`, `[::1]:PORT` or `:PORT` (all interfaces). */
export const parseListenAddress = (
  value: string,
): Effect.Effect<ListenAddress, InvalidListenAddress> => {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim())
  const port = match ? Number(match[3]) : Number.NaN
  if (!match || port > 65535) {
    return Effect.fail(
      new InvalidListenAddress({
        value,
        message: `"${value}" is not HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464, :9464)`,
      }),
    )
  }
  return Effect.succeed({ host: match[1] ?? (match[2] || "0.0.0.0"), port })
}

/** What `/readyz` answers: 200 with `reason` when ready, 503 with it when not. */
export interface Readiness {
  readonly ready: boolean
  readonly reason: string
}

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (the process answers) and
 * `/readyz` (`readiness`, e.g. whether the database was reached; "ok" without one) until
 * the scope closes. `beforeScrape` runs before each exposition (the exporter refreshes its
 * gauges there); a failure in it never fails the scrape.
 */
export const serveMetrics = Effect.fn("MetricsServer.serve")(function* <R>(
  address: ListenAddress,
  beforeScrape?: Effect.Effect<void, never, R>,
  readiness?: Effect.Effect<Readiness, never, R>,
) {
  const metrics = yield* Metrics
  // Imported here: an ES import of node:http also loads its HTTP client (undici), about
  // 15 ms of every command's start-up, and only this command serves HTTP.
  const { createServer } = yield* Effect.promise(() => import("node:http"))
  const context = yield* Effect.context<R>()
  const refresh = beforeScrape
    ? () => Effect.runPromiseWith(context)(beforeScrape)
    : () => Promise.resolve()
  const ready = readiness
    ? () => Effect.runPromiseWith(context)(readiness)
    : () => Promise.resolve<Readiness>({ ready: true, reason: "ok" })
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0]
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end()
      return
    }
    if (path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n")
      return
    }
    if (path === "/readyz") {
      ready().then(
        (answer) =>
          response
            .writeHead(answer.ready ? 200 : 503, { "content-type": "text/plain" })
            .end(`${answer.ready ? "ready" : "not ready"}: ${answer.reason}\n`),
        (error: unknown) =>
          response
            .writeHead(503, { "content-type": "text/plain" })
            .end(`not ready: ${String(error)}\n`),
      )
      return
    }
    if (path !== "/metrics") {
      response
        .writeHead(404, { "content-type": "text/plain" })
        .end("not found: try /metrics, /healthz or /readyz\n")
      return
    }
    refresh()
      .then(() => metrics.exposition())
      .then(
        (body) => response.writeHead(200, { "content-type": metrics.contentType }).end(body),
        (error: unknown) =>
          response
            .writeHead(500, { "content-type": "text/plain" })
            .end(`exposition failed: ${String(error)}\n`),
      )
  })
  const label = formatListenAddress(address)
  yield* Effect.acquireRelease(
    Effect.callback<void, MetricsServerError>((resume) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        resume(
          Effect.fail(
            new MetricsServerError({
              address: label,
              code: error.code,
              message: `cannot listen on ${label}: ${error.code ?? error.message}`,
            }),
          ),
        ),
      )
      server.listen(address.port, address.host, () => resume(Effect.void))
    }),
    () =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      }),
  )
  // The address the system bound: the port chosen for port 0, `localhost` resolved.
  const bound = server.address()
  return (
    typeof bound === "object" && bound !== null
      ? { host: bound.address, port: bound.port }
      : address
  ) satisfies ListenAddress
})
