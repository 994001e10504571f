export * from "./Demo.js"
export * from "./DemoDatabase.js"
export * from "./DemoSize.js"
export * from "./DemoSummary.js"
