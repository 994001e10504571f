import { Db } from "@coderops/db-core"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { run } from "@coderops/test-db"
import * as Effect from "effect/Effect"

export { run }

/** Runs SQL statements as one script (test data). */
export const seed = (url: string, statements: ReadonlyArray<string>) =>
  run(
    url,
    Db.use((db) => db.script("Seed", statements.join("\n"))),
  )

export const owner = "11111111-1111-4111-8111-111111111111"

/** An organization with one template, one version and presets with these desired_instances. */
export const organizationSql = (index: number, desired: ReadonlyArray<number | null>) => {
  const id = `22222222-2222-4222-8222-${String(index).padStart(12, "0")}`
  const template = `33333333-3333-4333-8333-${String(index).padStart(12, "0")}`
  const version = `44444444-4444-4444-8444-${String(index).padStart(12, "0")}`
  const presets = desired
    .map((d, i) => `('${version}', 'preset-${i}', ${d === null ? "NULL" : d})`)
    .join(", ")
  return `
    INSERT INTO organizations (id, name, display_name, created_at, updated_at, description)
      VALUES ('${id}', 'org-${String(index).padStart(4, "0")}', 'Org ${index}', now(), now(), '');
    INSERT INTO templates (id, created_at, updated_at, organization_id, name, active_version_id, created_by, provisioner)
      VALUES ('${template}', now(), now(), '${id}', 'template', '${version}', '${owner}', 'terraform');
    INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, job_id, created_by, readme)
      VALUES ('${version}', '${template}', '${id}', now(), now(), 'v1', gen_random_uuid(), '${owner}', '');
    ${presets ? `INSERT INTO template_version_presets (template_version_id, name, desired_instances) VALUES ${presets};` : ""}`
}

export const organizationId = (index: number) =>
  `22222222-2222-4222-8222-${String(index).padStart(12, "0")}`

/** The bundled schema plus a user who owns the templates. */
export const prepareSchema = Effect.andThen(
  applyCoderSchemaForTests(),
  Db.use((db) =>
    db.execute(
      "InsertOwner",
      "INSERT INTO users (id, email, username, created_at, updated_at, hashed_password) VALUES ($1, 'owner@example.com', 'owner', now(), now(), '')",
      [owner],
    ),
  ),
)
