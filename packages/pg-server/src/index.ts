export * from "./PgServerError.js"
export * from "./PostgresCluster.js"
export * from "./Postmaster.js"
export { binariesCacheDir, reachableBinaries } from "./ReachableBinaries.js"
