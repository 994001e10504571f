// The collectors `metrics serve` publishes live in @coderops/inspect (the demo reads them
// too); re-exported here for those who imported them from this plugin.
export { connectionsCollector, exporterCollectors, tableSizesCollector } from "@coderops/inspect"
