export * from "./MembershipReconciler.js"
export * from "./PrebuildStatus.js"
export * from "./PrebuildsHealth.js"
