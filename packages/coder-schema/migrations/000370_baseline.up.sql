-- Baseline: Coder's schema at migration 000370 (v2.27, the last migration before
-- 000371_api_key_scopes_array_allow_list), for every table and view coderops reads or
-- writes, and every table their foreign keys reach:
--
--   users, organizations, organization_members, groups, group_members,
--   templates, template_versions, template_version_presets,
--   provisioner_jobs, workspaces, workspace_builds, workspace_resources,
--   workspace_agents, workspace_apps, api_keys,
--   oauth2_provider_apps, oauth2_provider_app_secrets, oauth2_provider_app_tokens;
--   views workspace_latest_builds, workspace_prebuild_builds, workspace_prebuilds.
--
-- Column for column as Coder has them at 000370: names, types, nullability, defaults,
-- primary and unique keys (with Coder's constraint and index names), indexes, check
-- constraints, foreign keys and their actions, and every value of each enum used.
-- Taken (the facts, not the text) from Coder's coderd/database/dump.sql as generated
-- between migrations 000366 (tasks) and 000370 (its tasks tables present, its AI Bridge
-- tables not yet); 000370 itself only adds the AI Bridge tables. Later Coder migrations
-- change these tables (users.is_service_account, the workspaces ACL checks, dropping
-- workspace_builds.ai_task_sidebar_app_id, the 'coder:*' api_key_scope values, ...):
-- they are not part of 000370 and are not here. Not carried over: the tables none of
-- the above references.
--
-- Coder's triggers on these tables, with their functions, are here too (section
-- "triggers" at the end; the users one beside users), and so are the small tables their
-- functions write or read that nothing above references: user_status_changes,
-- user_deleted, user_links (with dbcrypt_keys, which its foreign keys reach) and
-- provisioner_keys. Left out: remove_organization_member_custom_role, a trigger on
-- custom_roles, a table coderops does not touch; the organization system-roles trigger
-- is later than 000370 (Coder 000408).
--
-- golang-migrate style: plain SQL, no transaction control, no schema_migrations writes
-- (the runner owns both).

-- enums ------------------------------------------------------------------------------

CREATE TYPE login_type AS ENUM ('password', 'github', 'oidc', 'token', 'none', 'oauth2_provider_app');

COMMENT ON TYPE login_type IS 'How a user (or an API key) authenticates; ''none'' allows no authentication at all (system users).';

CREATE TYPE user_status AS ENUM ('active', 'suspended', 'dormant');

CREATE TYPE api_key_scope AS ENUM ('all', 'application_connect');

CREATE TYPE group_source AS ENUM ('user', 'oidc');

CREATE TYPE app_sharing_level AS ENUM ('owner', 'authenticated', 'organization', 'public');

CREATE TYPE cors_behavior AS ENUM ('simple', 'passthru');

CREATE TYPE automatic_updates AS ENUM ('always', 'never');

CREATE TYPE build_reason AS ENUM (
    'initiator', 'autostart', 'autostop', 'dormancy', 'failedstop', 'autodelete',
    'dashboard', 'cli', 'ssh_connection', 'vscode_connection', 'jetbrains_connection'
);

CREATE TYPE workspace_transition AS ENUM ('start', 'stop', 'delete');

CREATE TYPE provisioner_type AS ENUM ('echo', 'terraform');

CREATE TYPE provisioner_storage_method AS ENUM ('file');

CREATE TYPE provisioner_job_type AS ENUM ('template_version_import', 'workspace_build', 'template_version_dry_run');

CREATE TYPE provisioner_job_status AS ENUM (
    'pending', 'running', 'succeeded', 'canceling', 'canceled', 'failed', 'unknown'
);

COMMENT ON TYPE provisioner_job_status IS 'Derived from a job''s timestamps and error (provisioner_jobs.job_status); a hung job stays in its state.';

CREATE TYPE prebuild_status AS ENUM ('healthy', 'hard_limited', 'validation_failed');

CREATE TYPE workspace_agent_lifecycle_state AS ENUM (
    'created', 'starting', 'start_timeout', 'start_error', 'ready',
    'shutting_down', 'shutdown_timeout', 'shutdown_error', 'off'
);

CREATE TYPE workspace_agent_subsystem AS ENUM ('envbuilder', 'envbox', 'none', 'exectrace');

CREATE TYPE display_app AS ENUM ('vscode', 'vscode_insiders', 'web_terminal', 'ssh_helper', 'port_forwarding_helper');

CREATE TYPE agent_key_scope_enum AS ENUM ('all', 'no_user_data');

CREATE TYPE workspace_app_health AS ENUM ('disabled', 'initializing', 'healthy', 'unhealthy');

CREATE TYPE workspace_app_open_in AS ENUM ('tab', 'window', 'slim-window');

-- users ------------------------------------------------------------------------------

CREATE TABLE users (
    id uuid NOT NULL,
    email text NOT NULL,
    username text NOT NULL DEFAULT '',
    hashed_password bytea NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    status user_status NOT NULL DEFAULT 'dormant',
    rbac_roles text[] NOT NULL DEFAULT '{}',
    login_type login_type NOT NULL DEFAULT 'password',
    avatar_url text NOT NULL DEFAULT '',
    deleted boolean NOT NULL DEFAULT false,
    -- Without a time zone in Coder, unlike every other timestamp here.
    last_seen_at timestamp without time zone NOT NULL DEFAULT '0001-01-01 00:00:00',
    quiet_hours_schedule text NOT NULL DEFAULT '',
    name text NOT NULL DEFAULT '',
    github_com_user_id bigint,
    hashed_one_time_passcode bytea,
    one_time_passcode_expires_at timestamp with time zone,
    is_system boolean NOT NULL DEFAULT false,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT one_time_passcode_set CHECK (
        (hashed_one_time_passcode IS NULL AND one_time_passcode_expires_at IS NULL)
        OR (hashed_one_time_passcode IS NOT NULL AND one_time_passcode_expires_at IS NOT NULL)
    ),
    CONSTRAINT users_username_min_length CHECK (length(username) >= 1)
);

COMMENT ON COLUMN users.is_system IS 'True for users the server owns (such as the prebuilds user); they cannot log in.';

CREATE UNIQUE INDEX idx_users_email ON users USING btree (email) WHERE deleted = false;

CREATE UNIQUE INDEX idx_users_username ON users USING btree (username) WHERE deleted = false;

CREATE UNIQUE INDEX users_email_lower_idx ON users USING btree (lower(email)) WHERE deleted = false;

CREATE UNIQUE INDEX users_username_lower_idx ON users USING btree (lower(username)) WHERE deleted = false;

-- Coder records every user's status changes and soft deletions (for its user-activity
-- insights) from a trigger on users. The history rows reference users without ON DELETE,
-- so a user with history cannot be hard-deleted: Coder only ever soft-deletes users.
CREATE TABLE user_status_changes (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    new_status user_status NOT NULL,
    changed_at timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT user_status_changes_pkey PRIMARY KEY (id),
    CONSTRAINT user_status_changes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);

COMMENT ON TABLE user_status_changes IS 'History of each user''s status, one row per change (and one at creation).';

CREATE INDEX idx_user_status_changes_changed_at ON user_status_changes USING btree (changed_at);

CREATE TABLE user_deleted (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    deleted_at timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT user_deleted_pkey PRIMARY KEY (id),
    CONSTRAINT user_deleted_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);

COMMENT ON TABLE user_deleted IS 'When each user was soft-deleted.';

CREATE INDEX idx_user_deleted_deleted_at ON user_deleted USING btree (deleted_at);

-- External login links (OIDC, GitHub) of users, with the tokens of the identity provider,
-- encrypted when the deployment enables database encryption (dbcrypt_keys). Here for
-- Coder's users triggers, which delete a soft-deleted user's links and refuse new ones.
CREATE TABLE dbcrypt_keys (
    number integer NOT NULL,
    active_key_digest text,
    revoked_key_digest text,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,
    revoked_at timestamp with time zone,
    test text NOT NULL,
    CONSTRAINT dbcrypt_keys_pkey PRIMARY KEY (number),
    CONSTRAINT dbcrypt_keys_active_key_digest_key UNIQUE (active_key_digest),
    CONSTRAINT dbcrypt_keys_revoked_key_digest_key UNIQUE (revoked_key_digest)
);

COMMENT ON TABLE dbcrypt_keys IS 'Keys that encrypt secrets in the database, known by their digests; test holds a value encrypted with the key.';

CREATE TABLE user_links (
    user_id uuid NOT NULL,
    login_type login_type NOT NULL,
    linked_id text NOT NULL DEFAULT '',
    oauth_access_token text NOT NULL DEFAULT '',
    oauth_refresh_token text NOT NULL DEFAULT '',
    oauth_expiry timestamp with time zone NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    -- NULL: the token beside it is stored unencrypted.
    oauth_access_token_key_id text,
    oauth_refresh_token_key_id text,
    claims jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT user_links_pkey PRIMARY KEY (user_id, login_type),
    CONSTRAINT user_links_oauth_access_token_key_id_fkey
        FOREIGN KEY (oauth_access_token_key_id) REFERENCES dbcrypt_keys (active_key_digest),
    CONSTRAINT user_links_oauth_refresh_token_key_id_fkey
        FOREIGN KEY (oauth_refresh_token_key_id) REFERENCES dbcrypt_keys (active_key_digest),
    CONSTRAINT user_links_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN user_links.claims IS 'The identity provider''s claims about the user (id token and userinfo).';

CREATE UNIQUE INDEX user_links_linked_id_login_type_idx ON user_links USING btree (linked_id, login_type) WHERE linked_id <> '';

-- On insert, and on every update that changes the status, a status row stamped with the
-- user's updated_at; on the update that soft-deletes, a deletion row.
CREATE FUNCTION record_user_status_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN
        INSERT INTO user_status_changes (user_id, new_status, changed_at)
        VALUES (NEW.id, NEW.status, NEW.updated_at);
    END IF;
    -- On INSERT, OLD is null and so is this comparison.
    IF OLD.deleted = false AND NEW.deleted = true THEN
        INSERT INTO user_deleted (user_id, deleted_at) VALUES (NEW.id, NEW.updated_at);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER user_status_change_trigger AFTER INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION record_user_status_change();

-- The prebuilds system user owns prebuilt workspaces until a real user claims them.
-- Its id is fixed: coderd and coderops both refer to it by this literal. The values are
-- those of Coder's migration 000308 (its password hash is the bytes of 'none').
INSERT INTO users (
    id, email, username, name, created_at, updated_at, status, rbac_roles,
    hashed_password, is_system, login_type
) VALUES (
    'c42fdf75-3097-471c-8c33-fb52454d81c0', 'prebuilds@system', 'prebuilds', 'Prebuilds Owner',
    now(), now(), 'active', '{}', 'none', true, 'none'
);

-- organizations and membership -----------------------------------------------------------

CREATE TABLE organizations (
    id uuid NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    display_name text NOT NULL,
    icon text NOT NULL DEFAULT '',
    deleted boolean NOT NULL DEFAULT false,
    CONSTRAINT organizations_pkey PRIMARY KEY (id)
);

CREATE UNIQUE INDEX idx_organization_name_lower ON organizations USING btree (lower(name)) WHERE deleted = false;

CREATE UNIQUE INDEX organizations_single_default_org ON organizations USING btree (is_default) WHERE is_default = true;

CREATE TABLE organization_members (
    user_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    roles text[] NOT NULL DEFAULT '{}',
    CONSTRAINT organization_members_pkey PRIMARY KEY (organization_id, user_id),
    CONSTRAINT organization_members_organization_id_uuid_fkey
        FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT organization_members_user_id_uuid_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX idx_organization_member_organization_id_uuid ON organization_members USING btree (organization_id);

CREATE INDEX idx_organization_member_user_id_uuid ON organization_members USING btree (user_id);

CREATE TABLE groups (
    id uuid NOT NULL,
    name text NOT NULL,
    organization_id uuid NOT NULL,
    avatar_url text NOT NULL DEFAULT '',
    quota_allowance integer NOT NULL DEFAULT 0,
    display_name text NOT NULL DEFAULT '',
    source group_source NOT NULL DEFAULT 'user',
    CONSTRAINT groups_pkey PRIMARY KEY (id),
    CONSTRAINT groups_name_organization_id_key UNIQUE (name, organization_id),
    CONSTRAINT groups_organization_id_fkey
        FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE
);

COMMENT ON TABLE groups IS 'Every organization has an "Everyone" group whose id equals the organization id.';

-- No primary key, as in Coder: uniqueness comes from the (user_id, group_id) constraint.
CREATE TABLE group_members (
    user_id uuid NOT NULL,
    group_id uuid NOT NULL,
    CONSTRAINT group_members_user_id_group_id_key UNIQUE (user_id, group_id),
    CONSTRAINT group_members_group_id_fkey FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE,
    CONSTRAINT group_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- templates, versions, presets ---------------------------------------------------------

-- Indexes exactly Coder's: the primary key and the unique name index.
CREATE TABLE templates (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    organization_id uuid NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    name character varying(64) NOT NULL,
    provisioner provisioner_type NOT NULL,
    -- No foreign key: a template and its first version reference each other.
    active_version_id uuid NOT NULL,
    description character varying(128) NOT NULL DEFAULT '',
    default_ttl bigint NOT NULL DEFAULT '604800000000000',
    created_by uuid NOT NULL,
    icon character varying(256) NOT NULL DEFAULT '',
    user_acl jsonb NOT NULL DEFAULT '{}',
    group_acl jsonb NOT NULL DEFAULT '{}',
    display_name character varying(64) NOT NULL DEFAULT '',
    allow_user_cancel_workspace_jobs boolean NOT NULL DEFAULT true,
    allow_user_autostart boolean NOT NULL DEFAULT true,
    allow_user_autostop boolean NOT NULL DEFAULT true,
    failure_ttl bigint NOT NULL DEFAULT 0,
    time_til_dormant bigint NOT NULL DEFAULT 0,
    time_til_dormant_autodelete bigint NOT NULL DEFAULT 0,
    autostop_requirement_days_of_week smallint NOT NULL DEFAULT 0,
    autostop_requirement_weeks bigint NOT NULL DEFAULT 0,
    autostart_block_days_of_week smallint NOT NULL DEFAULT 0,
    require_active_version boolean NOT NULL DEFAULT false,
    deprecated text NOT NULL DEFAULT '',
    activity_bump bigint NOT NULL DEFAULT '3600000000000',
    max_port_sharing_level app_sharing_level NOT NULL DEFAULT 'owner',
    use_classic_parameter_flow boolean NOT NULL DEFAULT false,
    cors_behavior cors_behavior NOT NULL DEFAULT 'simple',
    CONSTRAINT templates_pkey PRIMARY KEY (id),
    CONSTRAINT templates_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT templates_organization_id_fkey
        FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX templates_organization_id_name_idx ON templates USING btree (organization_id, lower((name)::text)) WHERE deleted = false;

-- Indexes exactly Coder's: the primary key, unique (template_id, name) and (has_ai_task).
CREATE TABLE template_versions (
    id uuid NOT NULL,
    -- NULL while a version is being imported and not yet attached to a template.
    template_id uuid,
    organization_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    name character varying(64) NOT NULL,
    readme character varying(1048576) NOT NULL,
    -- The import job; no foreign key in Coder.
    job_id uuid NOT NULL,
    created_by uuid NOT NULL,
    external_auth_providers jsonb NOT NULL DEFAULT '[]',
    message character varying(1048576) NOT NULL DEFAULT '',
    archived boolean NOT NULL DEFAULT false,
    source_example_id text,
    has_ai_task boolean,
    has_external_agent boolean,
    CONSTRAINT template_versions_pkey PRIMARY KEY (id),
    CONSTRAINT template_versions_template_id_name_key UNIQUE (template_id, name),
    CONSTRAINT template_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT template_versions_organization_id_fkey
        FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT template_versions_template_id_fkey
        FOREIGN KEY (template_id) REFERENCES templates (id) ON DELETE CASCADE
);

CREATE INDEX idx_template_versions_has_ai_task ON template_versions USING btree (has_ai_task);

-- Indexes exactly Coder's. There is NO index on template_version_id alone
-- (idx_template_version_presets_default serves only rows WHERE is_default), so a join
-- from versions to presets cannot use an index on that column. coderops must be fast on
-- the schema Coder really has: do not add one here.
CREATE TABLE template_version_presets (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    template_version_id uuid NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Prebuilt workspaces to keep; NULL: prebuilds not configured (0 counts as configured).
    desired_instances integer,
    invalidate_after_secs integer DEFAULT 0,
    prebuild_status prebuild_status NOT NULL DEFAULT 'healthy',
    scheduling_timezone text NOT NULL DEFAULT '',
    is_default boolean NOT NULL DEFAULT false,
    description character varying(128) NOT NULL DEFAULT '',
    icon character varying(256) NOT NULL DEFAULT '',
    CONSTRAINT template_version_presets_pkey PRIMARY KEY (id),
    CONSTRAINT template_version_presets_template_version_id_fkey
        FOREIGN KEY (template_version_id) REFERENCES template_versions (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX idx_template_version_presets_default ON template_version_presets USING btree (template_version_id) WHERE is_default = true;

CREATE UNIQUE INDEX idx_unique_preset_name ON template_version_presets USING btree (name, template_version_id);

-- provisioner jobs -------------------------------------------------------------------------

CREATE TABLE provisioner_jobs (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    canceled_at timestamp with time zone,
    completed_at timestamp with time zone,
    error text,
    organization_id uuid NOT NULL,
    initiator_id uuid NOT NULL,
    provisioner provisioner_type NOT NULL,
    storage_method provisioner_storage_method NOT NULL,
    type provisioner_job_type NOT NULL,
    input jsonb NOT NULL,
    worker_id uuid,
    file_id uuid NOT NULL,
    tags jsonb NOT NULL DEFAULT '{"scope": "organization"}',
    error_code text,
    trace_metadata jsonb,
    job_status provisioner_job_status NOT NULL GENERATED ALWAYS AS (
        CASE
            WHEN completed_at IS NOT NULL THEN
                CASE
                    WHEN error <> '' THEN 'failed'::provisioner_job_status
                    WHEN canceled_at IS NOT NULL THEN 'canceled'::provisioner_job_status
                    ELSE 'succeeded'::provisioner_job_status
                END
            ELSE
                CASE
                    WHEN error <> '' THEN 'failed'::provisioner_job_status
                    WHEN canceled_at IS NOT NULL THEN 'canceling'::provisioner_job_status
                    WHEN started_at IS NULL THEN 'pending'::provisioner_job_status
                    ELSE 'running'::provisioner_job_status
                END
        END
    ) STORED,
    logs_length integer NOT NULL DEFAULT 0,
    logs_overflowed boolean NOT NULL DEFAULT false,
    CONSTRAINT provisioner_jobs_pkey PRIMARY KEY (id),
    CONSTRAINT max_provisioner_logs_length CHECK (logs_length <= 1048576),
    CONSTRAINT provisioner_jobs_organization_id_fkey
        FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE INDEX idx_provisioner_jobs_status ON provisioner_jobs USING btree (job_status);

CREATE INDEX provisioner_jobs_started_at_idx ON provisioner_jobs USING btree (started_at) WHERE started_at IS NULL;

-- DESC puts NULLs (jobs not completed) first.
CREATE INDEX provisioner_jobs_worker_id_organization_id_completed_at_idx ON provisioner_jobs USING btree (worker_id, organization_id, completed_at DESC);

-- Keys external provisioner daemons authenticate with, per organization. Here for Coder's
-- guard against soft-deleting an organization that still has some.
CREATE TABLE provisioner_keys (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    organization_id uuid NOT NULL,
    name character varying(64) NOT NULL,
    hashed_secret bytea NOT NULL,
    tags jsonb NOT NULL,
    CONSTRAINT provisioner_keys_pkey PRIMARY KEY (id),
    CONSTRAINT provisioner_keys_organization_id_fkey
        FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX provisioner_keys_organization_id_name_idx ON provisioner_keys USING btree (organization_id, lower((name)::text));

-- workspaces and their builds ---------------------------------------------------------------

-- No index on owner_id alone, as in Coder: the unique (owner_id, lower(name)) index of
-- live workspaces serves lookups by owner.
CREATE TABLE workspaces (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    owner_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    template_id uuid NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    name character varying(64) NOT NULL,
    autostart_schedule text,
    ttl bigint,
    last_used_at timestamp with time zone NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    dormant_at timestamp with time zone,
    deleting_at timestamp with time zone,
    automatic_updates automatic_updates NOT NULL DEFAULT 'never',
    favorite boolean NOT NULL DEFAULT false,
    next_start_at timestamp with time zone,
    group_acl jsonb NOT NULL DEFAULT '{}',
    user_acl jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT workspaces_pkey PRIMARY KEY (id),
    CONSTRAINT workspaces_organization_id_fkey
        FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT workspaces_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT workspaces_template_id_fkey FOREIGN KEY (template_id) REFERENCES templates (id) ON DELETE RESTRICT
);

CREATE INDEX workspace_next_start_at_idx ON workspaces USING btree (next_start_at) WHERE deleted = false;

CREATE INDEX workspace_template_id_idx ON workspaces USING btree (template_id) WHERE deleted = false;

CREATE UNIQUE INDEX workspaces_owner_id_lower_idx ON workspaces USING btree (owner_id, lower((name)::text)) WHERE deleted = false;

CREATE TABLE workspace_resources (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    job_id uuid NOT NULL,
    transition workspace_transition NOT NULL,
    type character varying(192) NOT NULL,
    name character varying(64) NOT NULL,
    hide boolean NOT NULL DEFAULT false,
    icon character varying(256) NOT NULL DEFAULT '',
    instance_type character varying(256),
    daily_cost integer NOT NULL DEFAULT 0,
    module_path text,
    CONSTRAINT workspace_resources_pkey PRIMARY KEY (id),
    CONSTRAINT workspace_resources_job_id_fkey FOREIGN KEY (job_id) REFERENCES provisioner_jobs (id) ON DELETE CASCADE
);

CREATE INDEX workspace_resources_job_id_idx ON workspace_resources USING btree (job_id);

CREATE TABLE workspace_agents (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    name character varying(64) NOT NULL,
    first_connected_at timestamp with time zone,
    last_connected_at timestamp with time zone,
    disconnected_at timestamp with time zone,
    resource_id uuid NOT NULL,
    auth_token uuid NOT NULL,
    auth_instance_id character varying,
    architecture character varying(64) NOT NULL,
    environment_variables jsonb,
    operating_system character varying(64) NOT NULL,
    instance_metadata jsonb,
    resource_metadata jsonb,
    directory character varying(4096) NOT NULL DEFAULT '',
    version text NOT NULL DEFAULT '',
    last_connected_replica_id uuid,
    connection_timeout_seconds integer NOT NULL DEFAULT 0,
    troubleshooting_url text NOT NULL DEFAULT '',
    motd_file text NOT NULL DEFAULT '',
    lifecycle_state workspace_agent_lifecycle_state NOT NULL DEFAULT 'created',
    expanded_directory character varying(4096) NOT NULL DEFAULT '',
    logs_length integer NOT NULL DEFAULT 0,
    logs_overflowed boolean NOT NULL DEFAULT false,
    started_at timestamp with time zone,
    ready_at timestamp with time zone,
    subsystems workspace_agent_subsystem[] DEFAULT '{}',
    display_apps display_app[] DEFAULT '{vscode,vscode_insiders,web_terminal,ssh_helper,port_forwarding_helper}',
    api_version text NOT NULL DEFAULT '',
    display_order integer NOT NULL DEFAULT 0,
    parent_id uuid,
    api_key_scope agent_key_scope_enum NOT NULL DEFAULT 'all',
    deleted boolean NOT NULL DEFAULT false,
    CONSTRAINT workspace_agents_pkey PRIMARY KEY (id),
    CONSTRAINT max_logs_length CHECK (logs_length <= 1048576),
    CONSTRAINT subsystems_not_none CHECK (NOT ('none'::workspace_agent_subsystem = ANY (subsystems))),
    CONSTRAINT workspace_agents_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES workspace_agents (id) ON DELETE CASCADE,
    CONSTRAINT workspace_agents_resource_id_fkey
        FOREIGN KEY (resource_id) REFERENCES workspace_resources (id) ON DELETE CASCADE
);

CREATE INDEX workspace_agents_auth_token_idx ON workspace_agents USING btree (auth_token);

CREATE INDEX workspace_agents_resource_id_idx ON workspace_agents USING btree (resource_id);

CREATE TABLE workspace_apps (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    agent_id uuid NOT NULL,
    display_name character varying(64) NOT NULL,
    icon character varying(256) NOT NULL,
    command character varying(65534),
    url character varying(65534),
    healthcheck_url text NOT NULL DEFAULT '',
    healthcheck_interval integer NOT NULL DEFAULT 0,
    healthcheck_threshold integer NOT NULL DEFAULT 0,
    health workspace_app_health NOT NULL DEFAULT 'disabled',
    subdomain boolean NOT NULL DEFAULT false,
    sharing_level app_sharing_level NOT NULL DEFAULT 'owner',
    slug text NOT NULL,
    external boolean NOT NULL DEFAULT false,
    display_order integer NOT NULL DEFAULT 0,
    hidden boolean NOT NULL DEFAULT false,
    open_in workspace_app_open_in NOT NULL DEFAULT 'slim-window',
    display_group text,
    tooltip character varying(2048) NOT NULL DEFAULT '',
    CONSTRAINT workspace_apps_pkey PRIMARY KEY (id),
    CONSTRAINT workspace_apps_agent_id_slug_idx UNIQUE (agent_id, slug),
    CONSTRAINT workspace_apps_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES workspace_agents (id) ON DELETE CASCADE
);

-- A workspace's preset is template_version_preset_id of its builds, read through the
-- latest build (workspaces has no such column). Indexes exactly Coder's at 000370:
-- the primary key, unique (job_id), unique (workspace_id, build_number) — which serves
-- "the latest build of a workspace" — and (initiator_id) from 000363.
CREATE TABLE workspace_builds (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    workspace_id uuid NOT NULL,
    template_version_id uuid NOT NULL,
    build_number integer NOT NULL,
    transition workspace_transition NOT NULL,
    initiator_id uuid NOT NULL,
    provisioner_state bytea,
    job_id uuid NOT NULL,
    deadline timestamp with time zone NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    reason build_reason NOT NULL DEFAULT 'initiator',
    daily_cost integer NOT NULL DEFAULT 0,
    max_deadline timestamp with time zone NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    template_version_preset_id uuid,
    has_ai_task boolean,
    ai_task_sidebar_app_id uuid,
    has_external_agent boolean,
    CONSTRAINT workspace_builds_pkey PRIMARY KEY (id),
    CONSTRAINT workspace_builds_job_id_key UNIQUE (job_id),
    CONSTRAINT workspace_builds_workspace_id_build_number_key UNIQUE (workspace_id, build_number),
    CONSTRAINT workspace_builds_ai_task_sidebar_app_id_required CHECK (
        ((has_ai_task IS NULL OR has_ai_task = false) AND ai_task_sidebar_app_id IS NULL)
        OR (has_ai_task = true AND ai_task_sidebar_app_id IS NOT NULL)
    ),
    CONSTRAINT workspace_builds_deadline_below_max_deadline CHECK (
        (deadline <> '0001-01-01 00:00:00+00'::timestamp with time zone AND deadline <= max_deadline)
        OR max_deadline = '0001-01-01 00:00:00+00'::timestamp with time zone
    ),
    CONSTRAINT workspace_builds_ai_task_sidebar_app_id_fkey
        FOREIGN KEY (ai_task_sidebar_app_id) REFERENCES workspace_apps (id),
    CONSTRAINT workspace_builds_job_id_fkey FOREIGN KEY (job_id) REFERENCES provisioner_jobs (id) ON DELETE CASCADE,
    CONSTRAINT workspace_builds_template_version_id_fkey
        FOREIGN KEY (template_version_id) REFERENCES template_versions (id) ON DELETE CASCADE,
    CONSTRAINT workspace_builds_template_version_preset_id_fkey
        FOREIGN KEY (template_version_preset_id) REFERENCES template_version_presets (id) ON DELETE SET NULL,
    CONSTRAINT workspace_builds_workspace_id_fkey
        FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

CREATE INDEX idx_workspace_builds_initiator_id ON workspace_builds USING btree (initiator_id);

-- Coder's views over builds: the latest build of each live workspace (with its job's
-- status), builds the prebuilds user started, and prebuilt workspaces with the preset of
-- their latest build that has one.
CREATE VIEW workspace_latest_builds AS
SELECT latest_build.id,
       latest_build.workspace_id,
       latest_build.template_version_id,
       latest_build.job_id,
       latest_build.template_version_preset_id,
       latest_build.transition,
       latest_build.created_at,
       latest_build.job_status
  FROM workspaces
  LEFT JOIN LATERAL (
      SELECT b.id, b.workspace_id, b.template_version_id, b.job_id,
             b.template_version_preset_id, b.transition, b.created_at, j.job_status
        FROM workspace_builds b
        JOIN provisioner_jobs j ON j.id = b.job_id
       WHERE b.workspace_id = workspaces.id
       ORDER BY b.build_number DESC
       LIMIT 1
  ) latest_build ON true
 WHERE workspaces.deleted = false
 ORDER BY workspaces.id;

CREATE VIEW workspace_prebuild_builds AS
SELECT id, workspace_id, template_version_id, transition, job_id, template_version_preset_id, build_number
  FROM workspace_builds
 WHERE initiator_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid;

CREATE VIEW workspace_prebuilds AS
WITH all_prebuilds AS (
    SELECT w.id, w.name, w.template_id, w.created_at
      FROM workspaces w
     WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
), workspaces_with_latest_presets AS (
    SELECT DISTINCT ON (workspace_id) workspace_id, template_version_preset_id
      FROM workspace_builds
     WHERE template_version_preset_id IS NOT NULL
     ORDER BY workspace_id, build_number DESC
), workspaces_with_agents_status AS (
    SELECT w.id AS workspace_id,
           bool_and(wa.lifecycle_state = 'ready'::workspace_agent_lifecycle_state) AS ready
      FROM workspaces w
      JOIN workspace_latest_builds wlb ON wlb.workspace_id = w.id
      JOIN workspace_resources wr ON wr.job_id = wlb.job_id
      JOIN workspace_agents wa ON wa.resource_id = wr.id AND wa.deleted = false
     WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
     GROUP BY w.id
), current_presets AS (
    SELECT w.id AS prebuild_id, wlp.template_version_preset_id
      FROM workspaces w
      JOIN workspaces_with_latest_presets wlp ON wlp.workspace_id = w.id
     WHERE w.owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid
)
SELECT p.id,
       p.name,
       p.template_id,
       p.created_at,
       coalesce(a.ready, false) AS ready,
       cp.template_version_preset_id AS current_preset_id
  FROM all_prebuilds p
  LEFT JOIN workspaces_with_agents_status a ON a.workspace_id = p.id
  JOIN current_presets cp ON cp.prebuild_id = p.id;

-- API keys ------------------------------------------------------------------------------

-- No index on expires_at, as in Coder: purging expired keys scans the table (the
-- index on last_used does not help it).
CREATE TABLE api_keys (
    id text NOT NULL,
    hashed_secret bytea NOT NULL,
    user_id uuid NOT NULL,
    last_used timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    login_type login_type NOT NULL,
    lifetime_seconds bigint NOT NULL DEFAULT 86400,
    ip_address inet NOT NULL DEFAULT '0.0.0.0'::inet,
    scope api_key_scope NOT NULL DEFAULT 'all',
    token_name text NOT NULL DEFAULT '',
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_user_id_uuid_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN api_keys.scope IS 'Replaced by the scopes and allow_list arrays in migration 000371.';

CREATE UNIQUE INDEX idx_api_key_name ON api_keys USING btree (user_id, token_name) WHERE login_type = 'token'::login_type;

CREATE INDEX idx_api_keys_user ON api_keys USING btree (user_id);

CREATE INDEX api_keys_last_used_idx ON api_keys USING btree (last_used DESC);

-- OAuth2 provider ----------------------------------------------------------------------

CREATE TABLE oauth2_provider_apps (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    name character varying(64) NOT NULL,
    icon character varying(256) NOT NULL,
    callback_url text NOT NULL,
    redirect_uris text[],
    client_type text DEFAULT 'confidential',
    dynamically_registered boolean DEFAULT false,
    client_id_issued_at timestamp with time zone DEFAULT now(),
    client_secret_expires_at timestamp with time zone,
    grant_types text[] DEFAULT '{authorization_code,refresh_token}',
    response_types text[] DEFAULT '{code}',
    token_endpoint_auth_method text DEFAULT 'client_secret_basic',
    scope text DEFAULT '',
    contacts text[],
    client_uri text,
    logo_uri text,
    tos_uri text,
    policy_uri text,
    jwks_uri text,
    jwks jsonb,
    software_id text,
    software_version text,
    registration_access_token text,
    registration_client_uri text,
    CONSTRAINT oauth2_provider_apps_pkey PRIMARY KEY (id)
);

CREATE TABLE oauth2_provider_app_secrets (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    hashed_secret bytea NOT NULL,
    display_secret text NOT NULL,
    app_id uuid NOT NULL,
    secret_prefix bytea NOT NULL,
    CONSTRAINT oauth2_provider_app_secrets_pkey PRIMARY KEY (id),
    CONSTRAINT oauth2_provider_app_secrets_secret_prefix_key UNIQUE (secret_prefix),
    CONSTRAINT oauth2_provider_app_secrets_app_id_fkey
        FOREIGN KEY (app_id) REFERENCES oauth2_provider_apps (id) ON DELETE CASCADE
);

CREATE TABLE oauth2_provider_app_tokens (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    hash_prefix bytea NOT NULL,
    refresh_hash bytea NOT NULL,
    app_secret_id uuid NOT NULL,
    -- The API key this token authenticates as; deleting (or purging) the key deletes it.
    api_key_id text NOT NULL,
    audience text,
    user_id uuid NOT NULL,
    CONSTRAINT oauth2_provider_app_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT oauth2_provider_app_tokens_hash_prefix_key UNIQUE (hash_prefix),
    CONSTRAINT fk_oauth2_provider_app_tokens_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT oauth2_provider_app_tokens_api_key_id_fkey
        FOREIGN KEY (api_key_id) REFERENCES api_keys (id) ON DELETE CASCADE,
    CONSTRAINT oauth2_provider_app_tokens_app_secret_id_fkey
        FOREIGN KEY (app_secret_id) REFERENCES oauth2_provider_app_secrets (id) ON DELETE CASCADE
);

-- triggers ---------------------------------------------------------------------------------
--
-- Coder's triggers on these tables at 000370, with their functions' behaviour (the
-- record of user status changes is with the users table above). PL/pgSQL resolves table
-- names when a function first runs, so every function can refer to any table here.

-- A soft-deleted user loses every API key and external login link at once (and may never
-- get new ones, below). The login type stays on users; an undeleted user can be matched to
-- a new link by email.
CREATE FUNCTION delete_deleted_user_resources() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.deleted THEN
        DELETE FROM api_keys WHERE user_id = OLD.id;
        DELETE FROM user_links WHERE user_id = OLD.id;
    END IF;
    RETURN NEW;
END;
$$;

-- On INSERT, OLD is null: a user inserted already deleted keeps nothing to delete.
CREATE TRIGGER trigger_update_users AFTER INSERT OR UPDATE ON users
    FOR EACH ROW WHEN (new.deleted = true) EXECUTE FUNCTION delete_deleted_user_resources();

-- No API key for a soft-deleted user. Fires for COPY rows too: a key per row looks its
-- user up.
CREATE FUNCTION insert_apikey_fail_if_user_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.user_id IS NOT NULL THEN
        IF (SELECT deleted FROM users WHERE id = NEW.user_id LIMIT 1) THEN
            RAISE EXCEPTION 'Cannot create API key for deleted user';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_insert_apikeys BEFORE INSERT ON api_keys
    FOR EACH ROW EXECUTE FUNCTION insert_apikey_fail_if_user_deleted();

-- Nor an external login link, inserted or updated.
CREATE FUNCTION insert_user_links_fail_if_user_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.user_id IS NOT NULL THEN
        IF (SELECT deleted FROM users WHERE id = NEW.user_id LIMIT 1) THEN
            RAISE EXCEPTION 'Cannot create user_link for deleted user';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_upsert_user_links BEFORE INSERT OR UPDATE ON user_links
    FOR EACH ROW EXECUTE FUNCTION insert_user_links_fail_if_user_deleted();

-- Leaving an organization means leaving all of its groups.
CREATE FUNCTION delete_group_members_on_org_member_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM group_members
     WHERE user_id = OLD.user_id
       AND group_id IN (SELECT id FROM groups WHERE organization_id = OLD.organization_id);
    RETURN OLD;
END;
$$;

CREATE TRIGGER trigger_delete_group_members_on_org_member_delete BEFORE DELETE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION delete_group_members_on_org_member_delete();

-- An organization can be soft-deleted only once it is empty: no live workspaces or
-- templates, no provisioner keys, no group but "Everyone", at most one member who is not
-- deleted. The message names only what is left.
CREATE FUNCTION protect_deleting_organizations() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    workspace_count int;
    template_count int;
    group_count int;
    member_count int;
    provisioner_keys_count int;
    parts text[] := '{}';
BEGIN
    SELECT count(*) INTO workspace_count FROM workspaces
     WHERE workspaces.organization_id = OLD.id AND workspaces.deleted = false;
    SELECT count(*) INTO template_count FROM templates
     WHERE templates.organization_id = OLD.id AND templates.deleted = false;
    SELECT count(*) INTO group_count FROM groups WHERE groups.organization_id = OLD.id;
    SELECT count(*) INTO member_count
      FROM organization_members LEFT JOIN users ON users.id = organization_members.user_id
     WHERE organization_members.organization_id = OLD.id AND users.deleted = false;
    SELECT count(*) INTO provisioner_keys_count FROM provisioner_keys
     WHERE provisioner_keys.organization_id = OLD.id;

    IF workspace_count + template_count + provisioner_keys_count > 0 THEN
        IF workspace_count > 0 THEN
            parts := array_append(parts, workspace_count || ' workspaces');
        END IF;
        IF template_count > 0 THEN
            parts := array_append(parts, template_count || ' templates');
        END IF;
        IF provisioner_keys_count > 0 THEN
            parts := array_append(parts, provisioner_keys_count || ' provisioner keys');
        END IF;
        RAISE EXCEPTION 'cannot delete organization: organization has % that must be deleted first',
            array_to_string(parts, ', ');
    END IF;
    -- The "Everyone" group goes with the organization.
    IF group_count > 1 THEN
        RAISE EXCEPTION 'cannot delete organization: organization has % groups that must be deleted first',
            group_count - 1;
    END IF;
    -- One member may stay: whoever deletes it cannot remove themselves first.
    IF member_count > 1 THEN
        RAISE EXCEPTION 'cannot delete organization: organization has % members that must be deleted first',
            member_count - 1;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER protect_deleting_organizations BEFORE UPDATE ON organizations
    FOR EACH ROW WHEN (new.deleted = true AND old.deleted = false)
    EXECUTE FUNCTION protect_deleting_organizations();

-- A changed autostart schedule (with next_start_at left as it was), or dormancy, makes
-- the precomputed next autostart stale: clear it. The nested update fires this trigger
-- again, which then finds nothing to clear.
CREATE FUNCTION nullify_next_start_at_on_workspace_autostart_modification() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (NEW.autostart_schedule <> OLD.autostart_schedule AND NEW.next_start_at = OLD.next_start_at)
        OR (NEW.dormant_at IS NOT NULL AND NEW.next_start_at IS NOT NULL)
    THEN
        UPDATE workspaces SET next_start_at = NULL WHERE id = NEW.id;
    END IF;
    RETURN NEW;
END;
$$;

-- Coder's trigger name is cut to PostgreSQL's 63 bytes.
CREATE TRIGGER trigger_nullify_next_start_at_on_workspace_autostart_modificati AFTER UPDATE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION nullify_next_start_at_on_workspace_autostart_modification();

-- Agent names are unique among the live agents of one workspace build (a trigger, not a
-- constraint, because older data may break the rule). Agents whose resource belongs to
-- no workspace build (template imports) are not checked.
CREATE FUNCTION check_workspace_agent_name_unique() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    build_id uuid;
    same_name int;
BEGIN
    SELECT workspace_builds.id INTO build_id
      FROM workspace_resources
      JOIN workspace_builds ON workspace_builds.job_id = workspace_resources.job_id
     WHERE workspace_resources.id = NEW.resource_id;
    IF build_id IS NULL THEN
        RETURN NEW;
    END IF;

    SELECT count(*) INTO same_name
      FROM workspace_agents
      JOIN workspace_resources ON workspace_resources.id = workspace_agents.resource_id
      JOIN workspace_builds ON workspace_builds.job_id = workspace_resources.job_id
     WHERE workspace_builds.id = build_id
       AND workspace_agents.name = NEW.name
       AND workspace_agents.id <> NEW.id
       AND workspace_agents.deleted = false;
    IF same_name > 0 THEN
        RAISE EXCEPTION 'workspace agent name "%" already exists in this workspace build', NEW.name
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER workspace_agent_name_unique_trigger BEFORE INSERT OR UPDATE OF name, resource_id ON workspace_agents
    FOR EACH ROW EXECUTE FUNCTION check_workspace_agent_name_unique();

COMMENT ON TRIGGER workspace_agent_name_unique_trigger ON workspace_agents IS
    'A trigger rather than a unique constraint: existing rows may break the rule, new ones may not.';

-- An OAuth2 access token is an API key underneath: deleting the token deletes its key.
CREATE FUNCTION delete_deleted_oauth2_provider_app_token_api_key() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM api_keys WHERE id = OLD.api_key_id;
    RETURN OLD;
END;
$$;

CREATE TRIGGER trigger_delete_oauth2_provider_app_token AFTER DELETE ON oauth2_provider_app_tokens
    FOR EACH ROW EXECUTE FUNCTION delete_deleted_oauth2_provider_app_token_api_key();
