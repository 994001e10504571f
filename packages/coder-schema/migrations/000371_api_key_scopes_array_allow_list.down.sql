-- Reverses 000371: restores the single `scope` column in one UPDATE, preferring 'all',
-- then 'application_connect' (as Coder's down migration collapses the arrays), then
-- drops the arrays. The enum values the up migration added stay, as in Coder (an enum
-- value cannot be dropped; 000370's down drops the whole type). Keys purged by the up
-- migration (expired more than 7 days before it ran) are not restored: they were
-- expired and are gone for good.

ALTER TABLE api_keys ADD COLUMN scope api_key_scope NOT NULL DEFAULT 'all';

UPDATE api_keys
   SET scope = CASE WHEN 'application_connect' = ANY (scopes) AND NOT 'all' = ANY (scopes)
                    THEN 'application_connect'::api_key_scope
                    ELSE 'all'::api_key_scope END;

ALTER TABLE api_keys
    DROP COLUMN scopes,
    DROP COLUMN allow_list;

COMMENT ON COLUMN api_keys.scope IS 'Replaced by the scopes and allow_list arrays in migration 000371.';
