-- Reverses 000370_baseline: drops the views, every table (dependents first; their
-- triggers go with them), the trigger functions, then the types. schema_migrations
-- belongs to the runner and is not touched.

DROP VIEW workspace_prebuilds;
DROP VIEW workspace_prebuild_builds;
DROP VIEW workspace_latest_builds;

DROP TABLE oauth2_provider_app_tokens;
DROP TABLE oauth2_provider_app_secrets;
DROP TABLE oauth2_provider_apps;
DROP TABLE api_keys;
DROP TABLE workspace_builds;
DROP TABLE workspace_apps;
DROP TABLE workspace_agents;
DROP TABLE workspace_resources;
DROP TABLE workspaces;
DROP TABLE provisioner_keys;
DROP TABLE provisioner_jobs;
DROP TABLE template_version_presets;
DROP TABLE template_versions;
DROP TABLE templates;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE organization_members;
DROP TABLE organizations;
DROP TABLE user_links;
DROP TABLE dbcrypt_keys;
DROP TABLE user_deleted;
DROP TABLE user_status_changes;
DROP TABLE users;

DROP FUNCTION delete_deleted_oauth2_provider_app_token_api_key();
DROP FUNCTION check_workspace_agent_name_unique();
DROP FUNCTION nullify_next_start_at_on_workspace_autostart_modification();
DROP FUNCTION protect_deleting_organizations();
DROP FUNCTION delete_group_members_on_org_member_delete();
DROP FUNCTION insert_user_links_fail_if_user_deleted();
DROP FUNCTION insert_apikey_fail_if_user_deleted();
DROP FUNCTION delete_deleted_user_resources();
DROP FUNCTION record_user_status_change();

DROP TYPE workspace_app_open_in;
DROP TYPE workspace_app_health;
DROP TYPE agent_key_scope_enum;
DROP TYPE display_app;
DROP TYPE workspace_agent_subsystem;
DROP TYPE workspace_agent_lifecycle_state;
DROP TYPE prebuild_status;
DROP TYPE provisioner_job_status;
DROP TYPE provisioner_job_type;
DROP TYPE provisioner_storage_method;
DROP TYPE provisioner_type;
DROP TYPE workspace_transition;
DROP TYPE build_reason;
DROP TYPE automatic_updates;
DROP TYPE cors_behavior;
DROP TYPE app_sharing_level;
DROP TYPE group_source;
DROP TYPE api_key_scope;
DROP TYPE user_status;
DROP TYPE login_type;
