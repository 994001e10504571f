-- Baseline: the subset of Coder's schema at migration version 370 that coderops
-- works with (users, organizations, membership, groups, templates, template
-- versions, presets, workspaces, API keys and the OAuth2 provider tables).
--
-- Written from the schema facts in DESIGN.md; column names match Coder so that the
-- queries coderops runs against a real Coder database also run against this one.
-- golang-migrate style: plain SQL, no transaction control, no schema_migrations
-- writes (the runner owns both).

CREATE TYPE login_type AS ENUM (
    'password',
    'github',
    'oidc',
    'token',
    'none'
);

COMMENT ON TYPE login_type IS 'How a user (or an API key) authenticates. ''none'' is for system users that cannot log in.';

CREATE TYPE user_status AS ENUM (
    'active',
    'suspended',
    'dormant'
);

CREATE TYPE api_key_scope AS ENUM (
    'all',
    'application_connect'
);

CREATE TYPE group_source AS ENUM (
    'user',
    'oidc'
);

COMMENT ON TYPE group_source IS 'Who manages a group: ''user'' for groups made through the API, ''oidc'' for groups synced from an identity provider.';

-- users ----------------------------------------------------------------------

CREATE TABLE users (
    id uuid NOT NULL,
    email text NOT NULL,
    username text NOT NULL DEFAULT '',
    name text NOT NULL DEFAULT '',
    hashed_password bytea NOT NULL DEFAULT ''::bytea,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    status user_status NOT NULL DEFAULT 'dormant',
    rbac_roles text[] NOT NULL DEFAULT '{}',
    login_type login_type NOT NULL DEFAULT 'password',
    avatar_url text NOT NULL DEFAULT '',
    deleted boolean NOT NULL DEFAULT false,
    last_seen_at timestamp with time zone NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    is_system boolean NOT NULL DEFAULT false,
    PRIMARY KEY (id)
);

COMMENT ON COLUMN users.is_system IS 'True for users the server owns (such as the prebuilds user); they cannot log in.';

CREATE UNIQUE INDEX users_username_lower_idx ON users USING btree (lower(username)) WHERE deleted = false;

CREATE UNIQUE INDEX users_email_lower_idx ON users USING btree (lower(email)) WHERE deleted = false;

-- The prebuilds system user owns prebuilt workspaces until a real user claims them.
-- Its id is fixed: coderd and coderops both refer to it by this literal.
INSERT INTO users (
    id, email, username, name, created_at, updated_at, status, login_type, is_system
) VALUES (
    'c42fdf75-3097-471c-8c33-fb52454d81c0',
    'prebuilds@system',
    'prebuilds',
    'Prebuilds Owner',
    now(),
    now(),
    'active',
    'none',
    true
);

-- organizations ----------------------------------------------------------------

CREATE TABLE organizations (
    id uuid NOT NULL,
    name text NOT NULL,
    display_name text NOT NULL,
    description text NOT NULL DEFAULT '',
    icon text NOT NULL DEFAULT '',
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    deleted boolean NOT NULL DEFAULT false,
    PRIMARY KEY (id)
);

CREATE UNIQUE INDEX idx_organization_name_lower ON organizations USING btree (lower(name)) WHERE deleted = false;

CREATE UNIQUE INDEX organizations_single_default_org ON organizations USING btree (is_default) WHERE is_default = true;

COMMENT ON INDEX organizations_single_default_org IS 'At most one organization is the default one.';

CREATE TABLE organization_members (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    roles text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX idx_organization_member_organization_id_uuid ON organization_members USING btree (organization_id);

CREATE INDEX idx_organization_member_user_id_uuid ON organization_members USING btree (user_id);

-- groups -------------------------------------------------------------------------

CREATE TABLE groups (
    id uuid NOT NULL,
    name text NOT NULL,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    avatar_url text NOT NULL DEFAULT '',
    quota_allowance integer NOT NULL DEFAULT 0,
    display_name text NOT NULL DEFAULT '',
    source group_source NOT NULL DEFAULT 'user',
    PRIMARY KEY (id),
    UNIQUE (name, organization_id)
);

COMMENT ON TABLE groups IS 'Every organization has an "Everyone" group whose id equals the organization id.';

-- No primary key, as in Coder: uniqueness comes from the (user_id, group_id) constraint.
CREATE TABLE group_members (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    UNIQUE (user_id, group_id)
);

-- templates, versions, presets -----------------------------------------------------

-- Index set is deliberately exactly Coder's: the primary key and the unique name index.
CREATE TABLE templates (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    deleted boolean NOT NULL DEFAULT false,
    name character varying(64) NOT NULL,
    provisioner text NOT NULL DEFAULT 'terraform',
    active_version_id uuid NOT NULL,
    description character varying(128) NOT NULL DEFAULT '',
    display_name character varying(64) NOT NULL DEFAULT '',
    created_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    PRIMARY KEY (id)
);

COMMENT ON COLUMN templates.active_version_id IS 'The template version new workspaces use. No foreign key (a template and its first version reference each other).';

CREATE UNIQUE INDEX templates_organization_id_name_idx ON templates USING btree (organization_id, lower((name)::text)) WHERE deleted = false;

-- Index set is deliberately exactly Coder's: the primary key, unique (template_id, name)
-- and (has_ai_task).
CREATE TABLE template_versions (
    id uuid NOT NULL,
    template_id uuid REFERENCES templates (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    name character varying(64) NOT NULL,
    readme character varying(1048576) NOT NULL DEFAULT '',
    job_id uuid NOT NULL,
    created_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    archived boolean NOT NULL DEFAULT false,
    message character varying(1048576) NOT NULL DEFAULT '',
    has_ai_task boolean,
    PRIMARY KEY (id),
    UNIQUE (template_id, name)
);

COMMENT ON COLUMN template_versions.template_id IS 'NULL while a version is being imported and not yet attached to a template.';

CREATE INDEX idx_template_versions_has_ai_task ON template_versions USING btree (has_ai_task);

-- Index set is deliberately exactly Coder's. There is NO index on template_version_id
-- alone (idx_template_version_presets_default serves only rows WHERE is_default), so
-- a join from versions to presets cannot use an index on that column. coderops must be
-- fast on the schema Coder really has: do not add one here.
CREATE TABLE template_version_presets (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    template_version_id uuid NOT NULL REFERENCES template_versions (id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    desired_instances integer,
    invalidate_after_secs integer DEFAULT 0,
    is_default boolean NOT NULL DEFAULT false,
    PRIMARY KEY (id),
    CONSTRAINT template_version_presets_unique_name UNIQUE (name, template_version_id)
);

COMMENT ON COLUMN template_version_presets.desired_instances IS 'Number of prebuilt workspaces to keep for this preset. NULL means prebuilds are not configured; 0 counts as configured.';

CREATE UNIQUE INDEX idx_template_version_presets_default ON template_version_presets USING btree (template_version_id) WHERE is_default;

-- workspaces -------------------------------------------------------------------------

CREATE TABLE workspaces (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    owner_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    template_id uuid NOT NULL REFERENCES templates (id) ON DELETE RESTRICT,
    deleted boolean NOT NULL DEFAULT false,
    name character varying(64) NOT NULL,
    template_version_preset_id uuid REFERENCES template_version_presets (id) ON DELETE SET NULL,
    last_used_at timestamp with time zone NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    PRIMARY KEY (id)
);

COMMENT ON TABLE workspaces IS 'Minimal subset of Coder''s workspaces table.';

COMMENT ON COLUMN workspaces.template_version_preset_id IS 'Simplification: in Coder the preset is recorded on each workspace build (workspace_builds.template_version_preset_id), not on the workspace.';

CREATE INDEX workspaces_owner_id_idx ON workspaces USING btree (owner_id);

CREATE UNIQUE INDEX workspaces_owner_id_lower_idx ON workspaces USING btree (owner_id, lower((name)::text)) WHERE deleted = false;

-- API keys -------------------------------------------------------------------------

-- No index on expires_at, as in Coder: purging expired keys scans the table.
CREATE TABLE api_keys (
    id text NOT NULL,
    hashed_secret bytea NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_used timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    login_type login_type NOT NULL,
    lifetime_seconds bigint NOT NULL DEFAULT 86400,
    ip_address inet NOT NULL DEFAULT '0.0.0.0'::inet,
    scope api_key_scope NOT NULL DEFAULT 'all',
    token_name text NOT NULL DEFAULT '',
    PRIMARY KEY (id)
);

COMMENT ON COLUMN api_keys.scope IS 'Replaced by the scopes and allow_list arrays in migration 000371.';

CREATE INDEX idx_api_keys_user ON api_keys USING btree (user_id);

CREATE UNIQUE INDEX idx_api_key_name ON api_keys USING btree (user_id, token_name) WHERE login_type = 'token';

-- OAuth2 provider ---------------------------------------------------------------------

CREATE TABLE oauth2_provider_apps (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    name character varying(64) NOT NULL,
    icon character varying(256) NOT NULL DEFAULT '',
    callback_url text NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);

CREATE TABLE oauth2_provider_app_secrets (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    hashed_secret bytea NOT NULL,
    secret_prefix bytea NOT NULL,
    app_id uuid NOT NULL REFERENCES oauth2_provider_apps (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (secret_prefix)
);

CREATE TABLE oauth2_provider_app_tokens (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    hash_prefix bytea NOT NULL,
    refresh_hash bytea NOT NULL,
    app_secret_id uuid NOT NULL REFERENCES oauth2_provider_app_secrets (id) ON DELETE CASCADE,
    api_key_id text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (hash_prefix)
);

COMMENT ON COLUMN oauth2_provider_app_tokens.api_key_id IS 'The API key this token authenticates as; deleting (or purging) the key deletes the token.';
