export * from "./PostgresCluster.js"
export * from "./Postmaster.js"
