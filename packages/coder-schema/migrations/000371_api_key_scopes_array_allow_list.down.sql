-- Reverses 000371: restores the single `scope` column from the first element of
-- `scopes` (falling back to 'all') in one UPDATE, then drops the arrays.
-- Keys purged by the up migration (expired more than 7 days before it ran) are
-- not restored: they were expired and are gone for good.

ALTER TABLE api_keys ADD COLUMN scope api_key_scope NOT NULL DEFAULT 'all';

UPDATE api_keys SET scope = coalesce(scopes[1], 'all');

ALTER TABLE api_keys
    DROP COLUMN scopes,
    DROP COLUMN allow_list;

COMMENT ON COLUMN api_keys.scope IS 'Replaced by the scopes and allow_list arrays in migration 000371.';
