import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { DatabaseConfig, type DatabaseTarget, EmbeddedTarget } from "../DatabaseConfig.js"
import { ensureEmbeddedServer } from "../EmbeddedPostgres.js"
import type { EmbeddedPostgresError } from "../EmbeddedPostgresError.js"

/**
 * The settings of a target: as given, or the embedded server's, which is started when
 * the layer is built if it does not run (the first command starts it, the others find it).
 */
export const targetConfig = (
  target: DatabaseTarget,
): Layer.Layer<DatabaseConfig, EmbeddedPostgresError> =>
  target instanceof EmbeddedTarget
    ? Layer.effect(DatabaseConfig)(
        Effect.map(
          ensureEmbeddedServer(target.root, target.overrides, target.database),
          (server) => server.settings,
        ),
      )
    : DatabaseConfig.layer(target)
