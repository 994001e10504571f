export * from "./BaseCommand.js"
export * from "./ExitCode.js"
export * from "./IntegerFlag.js"
export * from "./render.js"
