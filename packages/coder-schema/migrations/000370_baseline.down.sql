-- Reverses 000370_baseline: drops every table (dependents first), then the types.
-- schema_migrations belongs to the runner and is not touched.

DROP TABLE oauth2_provider_app_tokens;
DROP TABLE oauth2_provider_app_secrets;
DROP TABLE oauth2_provider_apps;
DROP TABLE api_keys;
DROP TABLE workspaces;
DROP TABLE template_version_presets;
DROP TABLE template_versions;
DROP TABLE templates;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE organization_members;
DROP TABLE organizations;
DROP TABLE users;

DROP TYPE group_source;
DROP TYPE api_key_scope;
DROP TYPE user_status;
DROP TYPE login_type;
