// The embedded server's own errors, as EmbeddedPostgresError's reason: the CLI words them.
export {
  ClusterError,
  DirectoryNotEnterable,
  isPgServerError,
  type PgServerError,
  UnsafeDirectory,
} from "@coderops/pg-server"
export * from "./DatabaseConfig.js"
export * from "./Db.js"
export * from "./DbCoreError.js"
export * from "./DbShape.js"
export * from "./EmbeddedPostgres.js"
export * from "./EmbeddedPostgresError.js"
export * from "./GoDuration.js"
export { withFileLock } from "./internal/fileLock.js"
export * from "./PgPool.js"
export * from "./PrivateServer.js"
export * from "./QueryObserver.js"
export * from "./RequiredTables.js"
export * from "./ServerActivity.js"
export * from "./ServerVersion.js"
export * from "./SqlError.js"
export * from "./TableSizes.js"
export * from "./TextPosition.js"
