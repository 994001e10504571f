export * from "./ApiKeyPurge.js"
