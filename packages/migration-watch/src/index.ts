export * from "./MigrationActivity.js"
