export * from "./DatabaseInfo.js"
export * from "./Doctor.js"
