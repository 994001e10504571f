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

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz` until the scope closes.
 * `beforeScrape` runs before each exposition (the exporter refreshes its gauges there);
 * a failure in it never fails the scrape.
 */
export const serveMetrics = Effect.fn("MetricsServer.serve")(function* <R>(
  address: ListenAddress,
  beforeScrape?: Effect.Effect<void, never, R>,
) {
  const metrics = yield* Metrics
  // Imported here: an ES import of node:http also loads its HTTP client (undici), about
  // 15 ms of every command's start-up, and only this command serves HTTP.
  const { createServer } = yield* Effect.promise(() => import("node:http"))
  const context = yield* Effect.context<R>()
  const refresh = beforeScrape
    ? () => Effect.runPromiseWith(context)(beforeScrape)
    : () => Promise.resolve()
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
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n")
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
  const bound = server.address()
  return {
    host: address.host,
    port: typeof bound === "object" && bound !== null ? bound.port : address.port,
  } satisfies ListenAddress
})
