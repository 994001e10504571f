export * from "./CoderSchema.js"
export * from "./SyntheticDeployment.js"
