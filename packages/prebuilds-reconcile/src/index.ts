export * from "./PrebuildStatus.js"
export * from "./PrebuildsHealth.js"
