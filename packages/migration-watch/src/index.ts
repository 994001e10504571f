export * from "./MigrationActivity.js"
export * from "./RunningMigration.js"
