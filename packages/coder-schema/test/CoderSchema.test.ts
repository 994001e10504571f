import { Db, parseDatabaseUrl } from "@coderops/db-core"
import { useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { beforeAll, describe, expect, it } from "vitest"
import { applyCoderSchemaForTests } from "../src/index.js"

// Facts of Coder's schema at migration 000370 that coderops' queries and their speed
// depend on, checked in the catalogs of a database migrated with the bundled schema.

const database = useTestDatabase()

const sql = <R extends object>(text: string, params: ReadonlyArray<unknown> = []) =>
  Effect.runPromise(
    Effect.flatMap(parseDatabaseUrl(database.url, "explicit"), (settings) =>
      Effect.provide(
        Db.use((db) => db.query<R>("TestQuery", text, params)),
        Db.layerFrom(settings),
      ),
    ),
  )

beforeAll(async () => {
  await Effect.runPromise(
    Effect.flatMap(parseDatabaseUrl(database.url, "explicit"), (settings) =>
      Effect.provide(applyCoderSchemaForTests(), Db.layerFrom(settings)),
    ),
  )
})

/** Every index of each table, unique ones marked, as `name` or `name unique`. */
const indexes = async (tables: ReadonlyArray<string>) => {
  const rows = await sql<{ table: string; index: string }>(
    `SELECT c.relname AS table, i.relname || CASE WHEN x.indisunique THEN ' unique' ELSE '' END AS index
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
      WHERE c.relname = ANY($1::text[]) AND c.relnamespace = current_schema()::regnamespace
      ORDER BY 1, 2`,
    [tables],
  )
  return Object.fromEntries(
    tables.map((table) => [
      table,
      rows.filter((row) => row.table === table).map((row) => row.index),
    ]),
  )
}

describe("the bundled schema at 000371 (after the fast form of Coder's migration)", () => {
  it("records a workspace's preset on its builds, as Coder does", async () => {
    const columns = await sql<{ table: string; nullable: string }>(
      `SELECT table_name AS table, is_nullable AS nullable FROM information_schema.columns
        WHERE column_name = 'template_version_preset_id' AND table_schema = current_schema()
        ORDER BY 1`,
    )
    expect(columns).toEqual([
      { table: "workspace_builds", nullable: "YES" },
      // Coder's views expose it too.
      { table: "workspace_latest_builds", nullable: "YES" },
      { table: "workspace_prebuild_builds", nullable: "YES" },
    ])
    const [fk] = await sql<{ target: string; on_delete: string }>(
      `SELECT confrelid::regclass::text AS target, confdeltype::text AS on_delete FROM pg_constraint
        WHERE conname = 'workspace_builds_template_version_preset_id_fkey'`,
    )
    // 'n': ON DELETE SET NULL.
    expect(fk).toEqual({ target: "template_version_presets", on_delete: "n" })
  })

  it("has exactly Coder's indexes on the tables coderops queries", async () => {
    expect(
      await indexes([
        "templates",
        "template_versions",
        "template_version_presets",
        "organization_members",
        "groups",
        "group_members",
        "workspaces",
        "workspace_builds",
        "provisioner_jobs",
        "api_keys",
      ]),
    ).toEqual({
      api_keys: [
        "api_keys_last_used_idx",
        "api_keys_pkey unique",
        "idx_api_key_name unique",
        "idx_api_keys_user",
      ],
      group_members: ["group_members_user_id_group_id_key unique"],
      groups: ["groups_name_organization_id_key unique", "groups_pkey unique"],
      organization_members: [
        "idx_organization_member_organization_id_uuid",
        "idx_organization_member_user_id_uuid",
        "organization_members_pkey unique",
      ],
      provisioner_jobs: [
        "idx_provisioner_jobs_status",
        "provisioner_jobs_pkey unique",
        "provisioner_jobs_started_at_idx",
        "provisioner_jobs_worker_id_organization_id_completed_at_idx",
      ],
      template_version_presets: [
        "idx_template_version_presets_default unique",
        "idx_unique_preset_name unique",
        "template_version_presets_pkey unique",
      ],
      template_versions: [
        "idx_template_versions_has_ai_task",
        "template_versions_pkey unique",
        "template_versions_template_id_name_key unique",
      ],
      templates: ["templates_organization_id_name_idx unique", "templates_pkey unique"],
      workspace_builds: [
        "idx_workspace_builds_initiator_id",
        "workspace_builds_job_id_key unique",
        "workspace_builds_pkey unique",
        "workspace_builds_workspace_id_build_number_key unique",
      ],
      workspaces: [
        "workspace_next_start_at_idx",
        "workspace_template_id_idx",
        "workspaces_owner_id_lower_idx unique",
        "workspaces_pkey unique",
      ],
    })
  })

  it("requires the columns Coder requires without a default", async () => {
    const rows = await sql<{ column: string }>(
      `SELECT table_name || '.' || column_name AS column FROM information_schema.columns
        WHERE table_schema = current_schema() AND is_nullable = 'NO' AND column_default IS NULL
          AND is_generated = 'NEVER'
          AND table_name IN ('users', 'organizations', 'templates', 'template_versions')
        ORDER BY 1`,
    )
    expect(rows.map((row) => row.column)).toEqual([
      "organizations.created_at",
      "organizations.description",
      "organizations.display_name",
      "organizations.id",
      "organizations.name",
      "organizations.updated_at",
      "template_versions.created_at",
      "template_versions.created_by",
      "template_versions.id",
      "template_versions.job_id",
      "template_versions.name",
      "template_versions.organization_id",
      "template_versions.readme",
      "template_versions.updated_at",
      "templates.active_version_id",
      "templates.created_at",
      "templates.created_by",
      "templates.id",
      "templates.name",
      "templates.organization_id",
      "templates.provisioner",
      "templates.updated_at",
      "users.created_at",
      "users.email",
      "users.hashed_password",
      "users.id",
      "users.updated_at",
    ])
  })
})
