import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { Db, parseDatabaseUrl } from "@coderops/db-core"
import { useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { beforeAll, describe, expect, it } from "vitest"
import { migrationsDir } from "../src/index.js"

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

// Every up migration in order, each as one script: the directory under test, applied
// here rather than through @coderops/test-coder-schema, which depends on this package.
beforeAll(async () => {
  const files = (await readdir(migrationsDir)).filter((name) => name.endsWith(".up.sql")).sort()
  for (const file of files) {
    const text = await readFile(join(migrationsDir, file), "utf8")
    await Effect.runPromise(
      Effect.flatMap(parseDatabaseUrl(database.url, "explicit"), (settings) =>
        Effect.provide(
          Db.use((db) => db.script(`Apply ${file}`, text)),
          Db.layerFrom(settings),
        ),
      ),
    )
  }
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

// Coder's triggers change what writes do; coderops (and its seeder) must live with them.

/** Runs statements without parameters as one script. */
const run = (text: string) =>
  Effect.runPromise(
    Effect.flatMap(parseDatabaseUrl(database.url, "explicit"), (settings) =>
      Effect.provide(
        Db.use((db) => db.script("TestScript", text)),
        Db.layerFrom(settings),
      ),
    ),
  )

/** A fixed test id: `id(7)` is ...-000000000007 in a namespace of this file's own. */
const id = (n: number) => `7a1e0000-0000-4000-8000-${String(n).padStart(12, "0")}`

const user = (n: number) =>
  `INSERT INTO users (id, email, username, hashed_password, created_at, updated_at, status)
   VALUES ('${id(n)}', 'u${n}@example.com', 'u${n}', '', now(), now(), 'active');`

const organization = (n: number) =>
  `INSERT INTO organizations (id, name, display_name, description, created_at, updated_at)
   VALUES ('${id(n)}', 'org${n}', 'Org ${n}', '', now(), now());
   INSERT INTO groups (id, name, organization_id) VALUES ('${id(n)}', 'Everyone', '${id(n)}');`

const member = (userN: number, orgN: number) =>
  `INSERT INTO organization_members (user_id, organization_id, created_at, updated_at)
   VALUES ('${id(userN)}', '${id(orgN)}', now(), now());`

const apiKey = (key: string, userN: number) =>
  `INSERT INTO api_keys (id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type, scopes, allow_list)
   VALUES ('${key}', '', '${id(userN)}', now(), now() + interval '1 day', now(), now(), 'password',
           '{all}', '{*:*}');`

describe("Coder's triggers in the bundled schema", () => {
  it("are exactly Coder's on the tables coderops touches", async () => {
    // pg_get_triggerdef's text, the form of Coder's dump.sql, with the schema taken out.
    const rows = await sql<{ def: string }>(
      `SELECT replace(pg_get_triggerdef(t.oid), current_schema() || '.', '') AS def
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
        ORDER BY t.tgname`,
    )
    expect(rows.map((row) => row.def)).toEqual([
      "CREATE TRIGGER protect_deleting_organizations BEFORE UPDATE ON organizations FOR EACH ROW WHEN (((new.deleted = true) AND (old.deleted = false))) EXECUTE FUNCTION protect_deleting_organizations()",
      "CREATE TRIGGER trigger_delete_group_members_on_org_member_delete BEFORE DELETE ON organization_members FOR EACH ROW EXECUTE FUNCTION delete_group_members_on_org_member_delete()",
      "CREATE TRIGGER trigger_delete_oauth2_provider_app_token AFTER DELETE ON oauth2_provider_app_tokens FOR EACH ROW EXECUTE FUNCTION delete_deleted_oauth2_provider_app_token_api_key()",
      "CREATE TRIGGER trigger_insert_apikeys BEFORE INSERT ON api_keys FOR EACH ROW EXECUTE FUNCTION insert_apikey_fail_if_user_deleted()",
      "CREATE TRIGGER trigger_nullify_next_start_at_on_workspace_autostart_modificati AFTER UPDATE ON workspaces FOR EACH ROW EXECUTE FUNCTION nullify_next_start_at_on_workspace_autostart_modification()",
      "CREATE TRIGGER trigger_update_users AFTER INSERT OR UPDATE ON users FOR EACH ROW WHEN ((new.deleted = true)) EXECUTE FUNCTION delete_deleted_user_resources()",
      "CREATE TRIGGER trigger_upsert_user_links BEFORE INSERT OR UPDATE ON user_links FOR EACH ROW EXECUTE FUNCTION insert_user_links_fail_if_user_deleted()",
      "CREATE TRIGGER user_status_change_trigger AFTER INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION record_user_status_change()",
      "CREATE TRIGGER workspace_agent_name_unique_trigger BEFORE INSERT OR UPDATE OF name, resource_id ON workspace_agents FOR EACH ROW EXECUTE FUNCTION check_workspace_agent_name_unique()",
    ])
  })

  it("deleting an organization membership removes the user's group memberships in that organization only", async () => {
    await run(`
      ${user(1)} ${organization(10)} ${organization(11)} ${member(1, 10)} ${member(1, 11)}
      INSERT INTO groups (id, name, organization_id) VALUES ('${id(12)}', 'devs', '${id(10)}');
      INSERT INTO group_members (user_id, group_id)
      VALUES ('${id(1)}', '${id(10)}'), ('${id(1)}', '${id(12)}'), ('${id(1)}', '${id(11)}');
      DELETE FROM organization_members WHERE user_id = '${id(1)}' AND organization_id = '${id(10)}';`)
    const rows = await sql<{ group_id: string }>(
      "SELECT group_id::text FROM group_members WHERE user_id = $1",
      [id(1)],
    )
    expect(rows).toEqual([{ group_id: id(11) }])
  })

  it("refuses an API key or login link for a soft-deleted user, and soft-deleting a user deletes both", async () => {
    const link = (n: number) =>
      `INSERT INTO user_links (user_id, login_type, linked_id) VALUES ('${id(n)}', 'oidc', 'sub-${n}');`
    await run(`${user(2)} ${apiKey("trigkey001", 2)} ${link(2)} ${user(3)}
      UPDATE users SET deleted = true, updated_at = '2025-03-01 00:00:00+00' WHERE id = '${id(3)}';`)
    await expect(run(apiKey("trigkey002", 3))).rejects.toThrow(
      /Cannot create API key for deleted user/,
    )
    await expect(run(link(3))).rejects.toThrow(/Cannot create user_link for deleted user/)
    await run(`UPDATE users SET deleted = true WHERE id = '${id(2)}';`)
    const users = [id(2), id(3)]
    expect(await sql("SELECT id FROM api_keys WHERE user_id = ANY($1::uuid[])", [users])).toEqual(
      [],
    )
    expect(await sql("SELECT 1 FROM user_links WHERE user_id = ANY($1::uuid[])", [users])).toEqual(
      [],
    )
    // The deletions and each user's creation are recorded, as Coder records them.
    const [history] = await sql<{ deleted: string[]; created: number }>(
      `SELECT (SELECT array_agg(deleted_at::text ORDER BY deleted_at) FROM user_deleted
                WHERE user_id = $1) AS deleted,
              (SELECT count(*)::int FROM user_status_changes WHERE user_id = ANY($2::uuid[])) AS created`,
      [id(3), users],
    )
    expect(history).toEqual({ deleted: ["2025-03-01 00:00:00+00"], created: 2 })
  })

  it("refuses to soft-delete an organization that still has provisioner keys or groups other than Everyone", async () => {
    await run(`${organization(20)}
      INSERT INTO groups (id, name, organization_id) VALUES ('${id(21)}', 'ops', '${id(20)}');
      INSERT INTO provisioner_keys (id, created_at, organization_id, name, hashed_secret, tags)
      VALUES ('${id(22)}', now(), '${id(20)}', 'k22', '', '{}');`)
    const softDelete = `UPDATE organizations SET deleted = true WHERE id = '${id(20)}';`
    await expect(run(softDelete)).rejects.toThrow(
      /cannot delete organization: organization has 1 provisioner keys that must be deleted first/,
    )
    await run(`DELETE FROM provisioner_keys WHERE id = '${id(22)}';`)
    await expect(run(softDelete)).rejects.toThrow(
      /organization has 1 groups that must be deleted first/,
    )
    await run(`DELETE FROM groups WHERE id = '${id(21)}'; ${softDelete}`)
  })

  it("deleting an OAuth2 app token deletes its API key", async () => {
    await run(`${user(30)} ${apiKey("trigkey030", 30)}
      INSERT INTO oauth2_provider_apps (id, created_at, updated_at, name, icon, callback_url)
      VALUES ('${id(31)}', now(), now(), 'app31', '', 'http://localhost/cb');
      INSERT INTO oauth2_provider_app_secrets (id, created_at, hashed_secret, display_secret, app_id, secret_prefix)
      VALUES ('${id(32)}', now(), '', 'x', '${id(31)}', 'p32');
      INSERT INTO oauth2_provider_app_tokens (id, created_at, expires_at, hash_prefix, refresh_hash, app_secret_id, api_key_id, user_id)
      VALUES ('${id(33)}', now(), now() + interval '1 day', 'h33', '', '${id(32)}', 'trigkey030', '${id(30)}');
      DELETE FROM oauth2_provider_app_tokens WHERE id = '${id(33)}';`)
    expect(await sql("SELECT id FROM api_keys WHERE id = 'trigkey030'")).toEqual([])
  })

  it("keeps agent names unique in a workspace build and clears a stale next autostart", async () => {
    // A workspace with one build whose job has two resources.
    await run(`${user(40)} ${organization(41)}
      INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
      VALUES ('${id(42)}', now(), now(), '${id(41)}', 't42', 'terraform', '${id(43)}', '${id(40)}');
      INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
      VALUES ('${id(43)}', '${id(42)}', '${id(41)}', now(), now(), 'v43', '', '${id(44)}', '${id(40)}');
      INSERT INTO provisioner_jobs (id, created_at, updated_at, organization_id, initiator_id, provisioner, storage_method, type, input, file_id)
      VALUES ('${id(44)}', now(), now(), '${id(41)}', '${id(40)}', 'terraform', 'file', 'workspace_build', '{}', '${id(45)}');
      INSERT INTO workspaces (id, created_at, updated_at, owner_id, organization_id, template_id, name, autostart_schedule, next_start_at)
      VALUES ('${id(46)}', now(), now(), '${id(40)}', '${id(41)}', '${id(42)}', 'w46', 'CRON_TZ=UTC 0 9 * * *', now() + interval '1 day');
      INSERT INTO workspace_builds (id, created_at, updated_at, workspace_id, template_version_id, build_number, transition, initiator_id, job_id)
      VALUES ('${id(47)}', now(), now(), '${id(46)}', '${id(43)}', 1, 'start', '${id(40)}', '${id(44)}');
      INSERT INTO workspace_resources (id, created_at, job_id, transition, type, name)
      VALUES ('${id(48)}', now(), '${id(44)}', 'start', 'docker_container', 'a'),
             ('${id(49)}', now(), '${id(44)}', 'start', 'docker_container', 'b');
      INSERT INTO workspace_agents (id, created_at, updated_at, name, resource_id, auth_token, architecture, operating_system)
      VALUES ('${id(50)}', now(), now(), 'main', '${id(48)}', '${id(51)}', 'amd64', 'linux');`)
    await expect(
      run(`INSERT INTO workspace_agents (id, created_at, updated_at, name, resource_id, auth_token, architecture, operating_system)
           VALUES ('${id(52)}', now(), now(), 'main', '${id(49)}', '${id(53)}', 'amd64', 'linux');`),
    ).rejects.toThrow(/workspace agent name "main" already exists in this workspace build/)

    await run(
      `UPDATE workspaces SET autostart_schedule = 'CRON_TZ=UTC 0 10 * * *' WHERE id = '${id(46)}';`,
    )
    const [workspace] = await sql<{ next_start_at: string | null }>(
      "SELECT next_start_at FROM workspaces WHERE id = $1",
      [id(46)],
    )
    expect(workspace).toEqual({ next_start_at: null })
  })
})
