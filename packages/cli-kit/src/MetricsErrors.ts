import type { InvalidListenAddress, MetricsServerError, TextfileError } from "@coderops/metrics"
import { errorTable } from "./ErrorTable.js"
import { ExitCode } from "./ExitCode.js"

/**
 * The metrics library's errors: every command writes --metrics-file, and two plugins
 * serve /metrics (metrics serve, prebuilds reconcile --watch), so all share this table.
 */
export const metricsErrors = errorTable<InvalidListenAddress | MetricsServerError | TextfileError>({
  InvalidListenAddress: (error) => ({
    problem: `--metrics-addr ${error.message}`,
    exitCode: ExitCode.invalidConfig,
  }),
  MetricsServerError: (error) => ({
    hint:
      error.code === "EADDRINUSE"
        ? "another process uses that port; choose another with --metrics-addr"
        : "check the address given to --metrics-addr",
    exitCode: ExitCode.failure,
  }),
  TextfileError: () => ({
    hint: "check that the directory exists and is writable (node_exporter reads *.prom files from --collector.textfile.directory)",
    exitCode: ExitCode.failure,
  }),
})
