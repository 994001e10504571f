import { createRequire } from "node:module"
import { dirname, join } from "node:path"

/**
 * The bundled migration directory: baseline 000370 and the fast 000371. Found through the
 * package name, not this module's location: in the bundled CLI this module lives inside a
 * plugin's bundle (and the plugin depends on this package).
 */
export const migrationsDir = join(
  dirname(createRequire(import.meta.url).resolve("@coderops/coder-schema/package.json")),
  "migrations",
)

/** Coder's constants that the prebuilds subsystem depends on. */
export const prebuildsUserId = "c42fdf75-3097-471c-8c33-fb52454d81c0"
export const prebuildsGroupName = "coderprebuiltworkspaces"
export const prebuildsGroupDisplayName = "Prebuilt Workspaces"
