export * from "./SeedErrors.js"
export * from "./SeedOptions.js"
export * from "./SyntheticDeployment.js"
