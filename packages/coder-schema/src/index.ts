export * from "./CoderSchema.js"
