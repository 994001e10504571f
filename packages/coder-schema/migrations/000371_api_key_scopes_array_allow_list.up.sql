-- api_keys: replace the single `scope` column with `scopes api_key_scope[]` and
-- `allow_list text[]` (Coder v2.27, migration 000371) — the FAST form.
--
-- Coder's original version stalled upgrades on deployments with large api_keys
-- tables: it filled the new columns with two separate full-table UPDATEs, so every
-- row was rewritten twice, and it carried along years of keys that had long expired
-- (which nothing will ever use again and the purge job deletes anyway).
--
-- This version:
--   1. purges keys that expired more than 7 days ago first (their OAuth2 provider
--      tokens go with them through ON DELETE CASCADE), so the rewrite only touches
--      rows worth keeping;
--   2. adds both columns as nullable without a default (a catalog-only change);
--   3. backfills BOTH columns in ONE UPDATE (a single pass over the table);
--   4. then sets NOT NULL and drops the old column.
--
-- The whole file runs as one transaction. Scope values are mapped one-to-one onto
-- the existing api_key_scope type ('all' -> 'all', 'application_connect' ->
-- 'application_connect'); this subset does not carry Coder's newer 'coder:*' scope
-- names, and no enum value is added here (a value added by ALTER TYPE ... ADD VALUE
-- cannot be used in the transaction that added it).

DELETE FROM api_keys WHERE expires_at < now() - interval '7 days';

ALTER TABLE api_keys
    ADD COLUMN scopes api_key_scope[],
    ADD COLUMN allow_list text[];

UPDATE api_keys SET scopes = ARRAY[scope], allow_list = ARRAY['*:*'];

ALTER TABLE api_keys
    ALTER COLUMN scopes SET NOT NULL,
    ALTER COLUMN allow_list SET NOT NULL,
    ALTER COLUMN allow_list SET DEFAULT '{}'::text[],
    DROP COLUMN scope;

COMMENT ON COLUMN api_keys.scopes IS 'Scopes granted to the key (replaces the single scope column).';

COMMENT ON COLUMN api_keys.allow_list IS 'Resources the key may act on, as type:id patterns; ''*:*'' allows everything.';
