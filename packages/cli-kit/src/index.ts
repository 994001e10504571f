export * from "./BaseCommand.js"
export * from "./ExitCode.js"
export * from "./render.js"
