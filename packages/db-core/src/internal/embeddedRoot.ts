import { homedir, userInfo } from "node:os"
import { join } from "node:path"

/**
 * `$CODEROPS_DATA_DIR`, else `$XDG_DATA_HOME/coderops/postgres`, else
 * `~/.local/share/coderops/postgres`; for root `/var/lib/coderops/postgres`, because the
 * server runs as the `postgres` account, which cannot enter /root.
 */
export const defaultEmbeddedRoot = (env: Readonly<Record<string, string | undefined>>) => {
  if (env.CODEROPS_DATA_DIR) return env.CODEROPS_DATA_DIR
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, "coderops", "postgres")
  if (userInfo().uid === 0) return "/var/lib/coderops/postgres"
  return join(homedir(), ".local", "share", "coderops", "postgres")
}
