export * from "./PostgresCluster.js"
