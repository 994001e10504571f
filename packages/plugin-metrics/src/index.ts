export * from "./collectors.js"
