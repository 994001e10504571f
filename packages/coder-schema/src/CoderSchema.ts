import { createRequire } from "node:module"
import { dirname, join } from "node:path"

/**
 * The bundled migration directory: baseline 000370 and the fast 000371. Found through the
 * package name, not this module's location: in the bundled CLI this module lives inside a
 * plugin's bundle (and the plugin depends on this package).
 */
const packageDir = dirname(
  createRequire(import.meta.url).resolve("@coderops/coder-schema/package.json"),
)

export const migrationsDir = join(packageDir, "migrations")

/**
 * Coder's original, slow 000371 (two full-table UPDATEs, no purge first): what stalled
 * upgrades, kept to show and measure the difference (`coderops demo`, lint and rehearse).
 */
export const slow371Path = join(
  packageDir,
  "original",
  "000371_api_key_scopes_array_allow_list.up.sql",
)

/** Coder's constants that the prebuilds subsystem depends on. */
export const prebuildsUserId = "c42fdf75-3097-471c-8c33-fb52454d81c0"
export const prebuildsGroupName = "coderprebuiltworkspaces"
export const prebuildsGroupDisplayName = "Prebuilt Workspaces"
