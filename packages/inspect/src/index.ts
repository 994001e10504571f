export * from "./DatabaseInfo.js"
export * from "./Doctor.js"
export * from "./ExporterCollectors.js"
