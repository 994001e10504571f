import * as Effect from "effect/Effect"
import {
  type Collector,
  defaultExporterOptions,
  type ExporterOptions,
  makeExporter,
} from "./Exporter.js"
import { formatListenAddress, type ListenAddress, serveMetrics } from "./MetricsServer.js"

/**
 * Serves `/metrics` on `address` until the scope closes, the collectors refreshed by an
 * exporter on scrapes (see `makeExporter`); `/readyz` says whether its last refresh
 * reached the database. Returns the address bound (the port chosen for port 0), as
 * HOST:PORT too (`listen`, IPv6 in brackets), and the URL of `/metrics` on it.
 */
export const serveExporter = Effect.fn("MetricsServer.serveExporter")(function* (
  address: ListenAddress,
  collectors: ReadonlyArray<Collector>,
  options: ExporterOptions = defaultExporterOptions,
) {
  const exporter = yield* makeExporter(collectors, options)
  const bound = yield* serveMetrics(address, exporter.refresh, exporter.readiness)
  const listen = formatListenAddress(bound)
  return { ...bound, listen, url: `http://${listen}/metrics` }
})
