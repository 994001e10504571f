export * from "./ApiKeyPurge.js"
export * from "./ExpiredApiKeysCollector.js"
